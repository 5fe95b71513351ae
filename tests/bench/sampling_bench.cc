// The sampling filter's cost per event: the hash draw at a rate below 1 (most events dropped,
// kept ones annotated with their rate), with the error-biased session memory on, and the
// always-kept path.
//
//   ninja -C build/bench sampling_bench && build/bench/tests/bench/sampling_bench
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "chaukas/spec/common/v1/events.pb.h"
#include "filters/sampling/sampling_filter.h"
#include "yaml-cpp/yaml.h"

namespace chaukas::filters::sampling {
namespace {

namespace v1 = chaukas::spec::common::v1;

// 10,000 sessions of one event each, for two tenants.
std::vector<v1::Event> Events(v1::EventType type) {
  std::vector<v1::Event> events(10'000);
  for (size_t i = 0; i < events.size(); ++i) {
    events[i].set_event_id(absl::StrCat("0192f0c1-7a4e-7b3c-9d2e-", 100000000000 + i));
    events[i].set_session_id(absl::StrCat("0192f0c1-7a4e-7b3c-9d2e-5f6a7b8c", i));
    events[i].set_tenant_id(i % 2 == 0 ? "acme" : "globex");
    events[i].set_type(type);
    events[i].set_severity(v1::SEVERITY_INFO);
    events[i].set_status(v1::EVENT_STATUS_COMPLETED);
  }
  return events;
}

void Run(benchmark::State& state, const std::string& yaml, v1::EventType type) {
  stats::StatsStore stats;
  absl::StatusOr<SamplingConfig> config =
      ParseSamplingConfig(config::ConfigNode(YAML::Load(yaml), "bench.yaml", "config"));
  if (!config.ok()) {
    state.SkipWithError(std::string(config.status().message()).c_str());
    return;
  }
  const SamplingFilter filter(*std::move(config), stats::StatsScope(stats, "filter", {}));
  const std::vector<v1::Event> templates = Events(type);
  const pipeline::RequestContext request;
  std::vector<v1::Event> events;
  for (auto _ : state) {
    // Fresh events for each pass (kept ones get a metadata entry), copied outside the timing.
    state.PauseTiming();
    events = templates;
    state.ResumeTiming();
    for (v1::Event& event : events) benchmark::DoNotOptimize(filter.OnEvent(request, event));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * templates.size()));
}

void BM_RateTenPercent(benchmark::State& state) {
  Run(state, "default_rate: 0.1\n", v1::EVENT_TYPE_TOOL_CALL_END);
}
void BM_RateTenPercentErrorBiased(benchmark::State& state) {
  Run(state, "default_rate: 0.1\nkeep_sessions_after_error: {enabled: true}\n",
      v1::EVENT_TYPE_TOOL_CALL_END);
}
void BM_AlwaysKept(benchmark::State& state) {
  Run(state, "default_rate: 0.1\n", v1::EVENT_TYPE_ERROR);
}
BENCHMARK(BM_RateTenPercent);
BENCHMARK(BM_RateTenPercentErrorBiased);
BENCHMARK(BM_AlwaysKept);

}  // namespace
}  // namespace chaukas::filters::sampling
