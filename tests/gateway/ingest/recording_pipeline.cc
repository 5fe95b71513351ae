#include "tests/gateway/ingest/recording_pipeline.h"

#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace chaukas::ingest {

class RecordingPipeline::RecordingFilter : public filters::Filter {
 public:
  explicit RecordingFilter(RecordingPipeline& pipeline) : pipeline_(pipeline) {}

  filters::EventVerdict OnEvent(const pipeline::RequestContext& request,
                                pipeline::Event& /*event*/) const override {
    Record(request);
    return filters::EventVerdict::Continue();
  }

  absl::Status OnRead(pipeline::RequestContext& request,
                      filters::ReadRequest& /*read*/) const override {
    Record(request);
    return absl::OkStatus();
  }

 private:
  void Record(const pipeline::RequestContext& request) const {
    absl::MutexLock lock(&pipeline_.mutex_);
    pipeline_.certificates_.push_back(request.certificate);
  }

  RecordingPipeline& pipeline_;
};

RecordingPipeline::RecordingPipeline() {
  config::ClusterConfig cluster_config;
  cluster_config.name = "local";
  cluster_config.file.path = (dir_.path() / "events.jsonl").string();
  cluster_ = std::make_unique<upstream::FileCluster>(cluster_config, stats_);
  EXPECT_THAT(cluster_->Start(), ::chaukas::testing::IsOk());

  std::vector<filters::FilterChain::Stage> stages;
  stages.push_back({"recording", std::make_unique<RecordingFilter>(*this)});
  chain_ = std::make_unique<filters::FilterChain>(std::move(stages), stats_);

  pipeline::Route route;
  route.name = "all";
  route.cluster = cluster_.get();
  route.events_matched = &matched_;
  router_ = std::make_unique<pipeline::Router>(std::vector<pipeline::Route>{route});
  ingest_ = std::make_unique<IngestHandler>(*chain_, *router_, stats_, aggregates_);
  reads_ = std::make_unique<ReadPaths>(*chain_, *router_, aggregates_);
}

RecordingPipeline::~RecordingPipeline() { cluster_->Drain(absl::Seconds(10)); }

std::vector<pipeline::PeerCertificate> RecordingPipeline::certificates() const {
  absl::MutexLock lock(&mutex_);
  return certificates_;
}

}  // namespace chaukas::ingest
