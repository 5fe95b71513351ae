#pragma once

#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "filters/filter_chain.h"
#include "gateway/common/clock.h"
#include "gateway/ingest/ingest_handler.h"
#include "gateway/ingest/read_paths.h"
#include "gateway/pipeline/router.h"
#include "gateway/stats/event_aggregates.h"
#include "gateway/stats/stats_store.h"
#include "gateway/upstream/file_cluster.h"
#include "tests/support/temp_dir.h"

namespace chaukas::ingest {

// The ingest pipeline for tests of the front ends (gRPC services, HTTP routes): one filter that
// records the client certificate of every request it sees, and a JSON-lines file cluster that
// every event routes to. What the listeners put in RequestContext is observed here, where
// filters (tenant_auth) will read it.
class RecordingPipeline {
 public:
  RecordingPipeline();
  ~RecordingPipeline();

  const IngestHandler& ingest() const { return *ingest_; }
  const ReadPaths& reads() const { return *reads_; }
  stats::StatsStore& stats() { return stats_; }

  // RequestContext::certificate of each event and each read the filter saw, in order.
  std::vector<pipeline::PeerCertificate> certificates() const;

 private:
  class RecordingFilter;

  testing::TempDir dir_;
  stats::StatsStore stats_;
  SystemClock clock_;
  stats::EventAggregates aggregates_{stats::EventAggregatesOptions{}, clock_, stats_};
  mutable absl::Mutex mutex_;
  std::vector<pipeline::PeerCertificate> certificates_ ABSL_GUARDED_BY(mutex_);
  std::unique_ptr<upstream::FileCluster> cluster_;
  std::unique_ptr<filters::FilterChain> chain_;
  std::unique_ptr<pipeline::Router> router_;
  stats::Counter matched_;
  std::unique_ptr<IngestHandler> ingest_;
  std::unique_ptr<ReadPaths> reads_;
};

}  // namespace chaukas::ingest
