// The rate_limit filter's local backend: the cost of one TryAcquire on the hot path (shard
// lock, map lookup, clock read, refill) on one hot key, spread over 10k keys, and with two
// threads sharing one backend. The limit is high enough that every call is allowed, so each
// one also takes tokens and computes reset.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "filters/rate_limit/local_backend.h"
#include "gateway/common/clock.h"

namespace chaukas::filters::rate_limit {
namespace {

constexpr BucketLimit kLimit{.rate_per_second = 1e12, .burst = 1e12};

// One backend for all threads of a benchmark, as the filter shares one across ingest threads.
LocalBackend& SharedBackend() {
  static const SystemClock clock;
  static LocalBackend backend(clock, absl::Minutes(5));
  return backend;
}

void BM_TryAcquireHotKey(benchmark::State& state) {
  LocalBackend& backend = SharedBackend();
  for (auto _ : state) {
    benchmark::DoNotOptimize(backend.TryAcquire("tenant-1|gpt-4o", kLimit, 1));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TryAcquireHotKey)->Threads(1)->Threads(2)->UseRealTime();

void BM_TryAcquireManyKeys(benchmark::State& state) {
  constexpr int kKeys = 10'000;
  std::vector<std::string> keys;
  keys.reserve(kKeys);
  // Threads walk the same keys from different starting points, so they meet on shards as
  // ingest threads do.
  for (int i = 0; i < kKeys; ++i) keys.push_back(absl::StrCat("tenant-", i, "|agent-", i % 7));
  size_t next = static_cast<size_t>(state.thread_index()) * (kKeys / 2);
  LocalBackend& backend = SharedBackend();
  for (auto _ : state) {
    benchmark::DoNotOptimize(backend.TryAcquire(keys[next], kLimit, 1));
    if (++next == keys.size()) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TryAcquireManyKeys)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace chaukas::filters::rate_limit
