#include "gateway/ingest/ingest_handler.h"

#include "filters/validate/validate_config.h"
#include "gateway/upstream/file_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace chaukas::ingest {
namespace {

namespace v1 = chaukas::spec::common::v1;
using ::chaukas::testing::IsOk;
using ::chaukas::testing::ReadFile;
using ::chaukas::testing::TempDir;
using ::testing::HasSubstr;

v1::Event* AddEvent(pipeline::IngestBatch& batch, const std::string& id,
                    const std::string& tenant = "acme") {
  v1::Event* event = batch.Create<v1::Event>();
  event->set_event_id(id);
  event->set_tenant_id(tenant);
  event->set_session_id("sess-1");
  event->set_type(v1::EVENT_TYPE_AGENT_START);
  event->set_status(v1::EVENT_STATUS_STARTED);
  event->mutable_timestamp()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  batch.AddEvent(event);
  return event;
}

// The real pieces: the validate filter, a router with one tenant-restricted route, and a
// JSON-lines file cluster.
class IngestHandlerTest : public ::testing::Test {
 protected:
  IngestHandlerTest() {
    config::ClusterConfig cluster_config;
    cluster_config.name = "local";
    cluster_config.file.path = (dir_.path() / "events.jsonl").string();
    cluster_ = std::make_unique<upstream::FileCluster>(cluster_config, stats_);
    EXPECT_THAT(cluster_->Start(), IsOk());

    filters::FilterRegistry registry;
    registry.Register("validate", filters::CreateValidateFilter);
    filters::FilterFactoryContext context{
        stats::StatsScope(stats_, "filter", {{"filter", "validate"}}), clock_, random_};
    const config::FilterSpec spec{"validate", config::ConfigNode(YAML::Node(), "t.yaml"),
                                  config::ConfigNode(YAML::Node(), "t.yaml")};
    std::vector<filters::FilterChain::Stage> stages;
    stages.push_back({"validate", *registry.Create(spec, context)});
    chain_ = std::make_unique<filters::FilterChain>(std::move(stages), stats_);

    config::RouteMatch acme_only;
    acme_only.tenant = "acme";
    pipeline::Route route;
    route.name = "acme";
    route.match = acme_only;
    route.cluster = cluster_.get();
    route.events_matched = &matched_;
    router_ = std::make_unique<pipeline::Router>(std::vector<pipeline::Route>{route});
    handler_ = std::make_unique<IngestHandler>(*chain_, *router_, stats_, aggregates_);
  }

  // Every cluster here delivers asynchronously, so the outcome is there when Process returns.
  IngestOutcome Process(pipeline::IngestBatch& batch) {
    std::optional<IngestOutcome> result;
    handler_->Process(batch, [&result](IngestOutcome outcome) { result = std::move(outcome); });
    EXPECT_TRUE(result.has_value());
    return result.value_or(IngestOutcome{});
  }

  std::string Written() {
    cluster_->Drain(absl::Seconds(10));
    return ReadFile(dir_.path() / "events.jsonl");
  }

  TempDir dir_;
  stats::StatsStore stats_;
  SystemClock clock_;
  SystemRandom random_;
  stats::EventAggregates aggregates_{stats::EventAggregatesOptions{}, clock_, stats_};
  std::unique_ptr<upstream::FileCluster> cluster_;
  std::unique_ptr<filters::FilterChain> chain_;
  std::unique_ptr<pipeline::Router> router_;
  stats::Counter matched_;
  std::unique_ptr<IngestHandler> handler_;
};

TEST_F(IngestHandlerTest, AcceptsValidEventsAndRejectsTheRestWithReasons) {
  pipeline::IngestBatch batch({});
  AddEvent(batch, "good-1");
  AddEvent(batch, "bad")->clear_session_id();
  AddEvent(batch, "good-2");
  const IngestOutcome outcome = Process(batch);
  ASSERT_THAT(outcome.status, IsOk());
  EXPECT_EQ(outcome.accepted, 2u);
  ASSERT_EQ(outcome.rejected.size(), 1u);
  EXPECT_EQ(outcome.rejected[0].index, 1u);
  EXPECT_EQ(outcome.rejected[0].event_id, "bad");
  EXPECT_EQ(outcome.rejected[0].reason, "session_id: is required");

  const std::string written = Written();
  EXPECT_THAT(written, HasSubstr("\"event_id\":\"good-1\""));
  EXPECT_THAT(written, HasSubstr("\"event_id\":\"good-2\""));
  EXPECT_THAT(written, ::testing::Not(HasSubstr("\"bad\"")));
}

TEST_F(IngestHandlerTest, RejectsEventsNoRouteMatches) {
  pipeline::IngestBatch batch({});
  AddEvent(batch, "elsewhere", "other-tenant");
  const IngestOutcome outcome = Process(batch);
  ASSERT_EQ(outcome.rejected.size(), 1u);
  EXPECT_EQ(outcome.rejected[0].reason,
            "no route matches tenant_id \"other-tenant\", project_id \"\", type "
            "EVENT_TYPE_AGENT_START");
  EXPECT_EQ(stats_.ValueOf("router.events_unrouted"), 1);
}

TEST_F(IngestHandlerTest, CountsPerListenerAndPerTenantAndType) {
  pipeline::RequestContext context;
  context.protocol = pipeline::Protocol::kGrpc;
  pipeline::IngestBatch batch(context);
  AddEvent(batch, "a");
  AddEvent(batch, "b");
  AddEvent(batch, "c")->clear_event_id();
  ASSERT_THAT(Process(batch).status, IsOk());
  EXPECT_EQ(stats_.ValueOf("listener.events_received", {{"listener", "grpc"}}), 3);
  EXPECT_EQ(stats_.ValueOf("listener.events_accepted", {{"listener", "grpc"}}), 2);
  EXPECT_EQ(stats_.ValueOf("listener.events_rejected", {{"listener", "grpc"}}), 1);
  EXPECT_EQ(stats_.ValueOf("tenant.events_accepted",
                           {{"tenant", "acme"}, {"type", "EVENT_TYPE_AGENT_START"}}),
            2);
  EXPECT_EQ(stats_.ValueOf("tenant.events_rejected", {{"tenant", "acme"}}), 1);
  EXPECT_EQ(matched_.value(), 2u);
}

TEST_F(IngestHandlerTest, FeedsTheEventAggregates) {
  pipeline::IngestBatch batch({});
  AddEvent(batch, "a");
  AddEvent(batch, "b");
  ASSERT_THAT(Process(batch).status, IsOk());
  chaukas::spec::server::v1::GetEventStatsRequest request;
  request.set_tenant_id("acme");
  const auto response = aggregates_.Query(request);
  EXPECT_EQ(response.total_events(), 2);
  EXPECT_EQ(response.total_sessions(), 1);
  EXPECT_EQ(response.events_by_type().at("EVENT_TYPE_AGENT_START"), 2);
}

TEST_F(IngestHandlerTest, SummarizesRejectionsWithPositionsAndIds) {
  const std::vector<RejectedEvent> rejected = {{0, "e-1", "type: is required"},
                                               {2, "", "timestamp: is required"}};
  EXPECT_EQ(SummarizeRejections(rejected, "events"),
            "events[0] (event_id \"e-1\"): type: is required; events[2]: timestamp: is "
            "required");
  EXPECT_EQ(SummarizeRejections(rejected, "events", 1),
            "events[0] (event_id \"e-1\"): type: is required; and 1 more");
}

}  // namespace
}  // namespace chaukas::ingest
