#include "gateway/upstream/cluster.h"

#include "absl/strings/str_cat.h"
#include "gateway/common/strings.h"

namespace chaukas::upstream {
namespace {

absl::Status NothingToRead(const Cluster& cluster, std::string_view what) {
  return absl::UnimplementedError(
      absl::StrCat(ToAbsl(what), " goes to cluster ", cluster.name(),
                   ", which forwards to no Chaukas backend (a file cluster holds nothing to "
                   "query); route it to a grpc or http cluster"));
}

}  // namespace

void Cluster::QueryEvents(const chaukas::spec::common::v1::QueryRequest& /*request*/,
                          ReadCallback<chaukas::spec::common::v1::QueryResponse> done) {
  done(NothingToRead(*this, "QueryEvents"));
}

void Cluster::GetCapabilities(ReadCallback<chaukas::spec::common::v1::Capabilities> done) {
  done(NothingToRead(*this, "GetCapabilities"));
}

void Cluster::GetEventStats(const chaukas::spec::server::v1::GetEventStatsRequest& /*request*/,
                            ReadCallback<chaukas::spec::server::v1::GetEventStatsResponse> done) {
  done(NothingToRead(*this, "GetEventStats"));
}

}  // namespace chaukas::upstream
