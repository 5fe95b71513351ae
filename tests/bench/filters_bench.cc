// The cost of tenant_auth and rate_limit in the filter chain, per request of one event (the
// unary IngestEvent the SDK's gRPC clients send) and per event of a 20-event batch (the SDK's
// HTTP batch): the chain built from YAML exactly as the gateway builds it, run on fresh
// requests. `validate` alone is the baseline; the other chains add tenant_auth (an API key
// among 1000) and rate_limit (local buckets per tenant and per credential, never exceeded).
//
//   ninja -C build/release filters_bench && build/release/tests/bench/filters_bench
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "filters/builtin.h"
#include "filters/filter_chain.h"
#include "filters/tenant_auth/tenant_auth_config.h"
#include "yaml-cpp/yaml.h"

namespace chaukas::filters {
namespace {

namespace v1 = chaukas::spec::common::v1;

constexpr char kKey[] = "chk_bench_key_0123456789abcdef";

// The key sent, listed among 999 others: lookups are by hash, so the count should not matter.
std::string TenantAuthYaml() {
  std::string yaml = "name: tenant_auth\nconfig:\n  keys:\n";
  absl::StrAppend(&yaml, "    - {name: bench, sha256: \"", tenant_auth::Sha256Hex(kKey),
                  "\", tenant: acme, projects: [\"*\"]}\n");
  for (int i = 0; i < 999; ++i) {
    absl::StrAppend(&yaml, "    - {sha256: \"", tenant_auth::Sha256Hex(absl::StrCat("k", i)),
                    "\", tenant: t", i, "}\n");
  }
  return yaml;
}

constexpr char kRateLimitYaml[] = R"(name: rate_limit
config:
  limits:
    - {key: [tenant], events_per_second: 1.0e12}
    - {key: [credential], requests_per_second: 1.0e12}
)";

constexpr char kValidateYaml[] = "name: validate\n";

// A chain of the filters given as YAML specs, built through the registry.
class Chain {
 public:
  explicit Chain(const std::vector<std::string>& specs) {
    FilterRegistry registry;
    RegisterBuiltinFilters(registry);
    std::vector<FilterChain::Stage> stages;
    for (const std::string& yaml : specs) {
      const config::ConfigNode node(YAML::Load(yaml), "bench.yaml", "filters[0]");
      const config::FilterSpec spec{*node.Child("name").AsString(), node.Child("name"),
                                    node.Child("config")};
      FilterFactoryContext context{stats::StatsScope(stats_, "filter", {{"filter", spec.name}}),
                                   clock_, random_};
      stages.push_back({spec.name, *registry.Create(spec, context)});
    }
    chain_ = std::make_unique<FilterChain>(std::move(stages), stats_);
  }
  const FilterChain& chain() const { return *chain_; }

 private:
  stats::StatsStore stats_;
  SystemClock clock_;
  SystemRandom random_;
  std::unique_ptr<FilterChain> chain_;
};

v1::Event SdkEvent(int i) {
  v1::Event event;
  event.set_event_id(absl::StrCat("0192f0c1-7a4e-7b3c-9d2e-", 100000000000 + i));
  event.set_session_id("0192f0c1-7a4e-7b3c-9d2e-5f6a7b8c9d0e");
  event.set_tenant_id("acme");
  event.set_project_id("shop");
  event.set_agent_id("planner");
  event.set_type(v1::EVENT_TYPE_TOOL_CALL_START);
  event.set_status(v1::EVENT_STATUS_STARTED);
  event.mutable_timestamp()->set_seconds(1'764'000'000);
  event.mutable_tool_call()->set_name("search");
  return event;
}

// Runs `chain` on requests of `events` events each; counters are per event. With two threads
// the chain is shared, as the gateway's ingest threads share it: both meet on the same key's
// bucket, the same API key's principal and the same counters.
void RunChain(benchmark::State& state, const Chain& chain) {
  const int events = static_cast<int>(state.range(0));
  std::vector<v1::Event> templates;
  for (int i = 0; i < events; ++i) templates.push_back(SdkEvent(i));
  for (auto _ : state) {
    // Building the request is timed too (pausing the timer costs more than a filter): it is
    // the same in every chain, so the differences between chains are the filters' cost.
    pipeline::RequestContext context;
    context.peer = "127.0.0.1:50000";
    context.authorization = std::string("Bearer ") + kKey;
    pipeline::IngestBatch batch(std::move(context));
    for (const v1::Event& event : templates) {
      auto* copy = batch.Create<v1::Event>();
      *copy = event;
      batch.AddEvent(copy);
    }
    ChainOutcome outcome = chain.chain().Run(batch.context(), batch);
    if (!outcome.status.ok() || outcome.passed.size() != templates.size()) {
      state.SkipWithError("the chain refused the benchmark's request");
      break;
    }
    benchmark::DoNotOptimize(outcome);
  }
  state.SetItemsProcessed(state.iterations() * events);
}

// Each chain is built once, by whichever thread comes first, and shared.
void BM_Validate(benchmark::State& state) {
  static const Chain chain({kValidateYaml});
  RunChain(state, chain);
}
void BM_ValidateTenantAuth(benchmark::State& state) {
  static const Chain chain({kValidateYaml, TenantAuthYaml()});
  RunChain(state, chain);
}
void BM_ValidateRateLimit(benchmark::State& state) {
  static const Chain chain({kValidateYaml, kRateLimitYaml});
  RunChain(state, chain);
}
void BM_ValidateTenantAuthRateLimit(benchmark::State& state) {
  static const Chain chain({kValidateYaml, TenantAuthYaml(), kRateLimitYaml});
  RunChain(state, chain);
}
BENCHMARK(BM_Validate)->Arg(1)->Arg(20)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_ValidateTenantAuth)->Arg(1)->Arg(20)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_ValidateRateLimit)->Arg(1)->Arg(20)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_ValidateTenantAuthRateLimit)->Arg(1)->Arg(20)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace chaukas::filters
