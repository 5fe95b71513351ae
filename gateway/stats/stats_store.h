#pragma once

#include <sched.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace chaukas::stats {

// Label pairs of one series, e.g. {{"cluster", "local"}}. Order is kept as given.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count. Lock-free; safe from any thread. An increment goes to one
// of a few stripes, each on its own cache line, picked by the CPU the thread runs on: a counter
// bumped on every request from every core would otherwise move one line between the cores on
// every increment (it cost a two-thread filter chain a third of its time). Reading sums them.
class Counter {
 public:
  void Inc(uint64_t amount = 1) {
    stripes_[StripeOfThisCpu()].value.fetch_add(amount, std::memory_order_relaxed);
  }
  uint64_t value() const;

 private:
  static constexpr size_t kStripes = 4;
  struct alignas(64) Stripe {
    std::atomic<uint64_t> value{0};
  };
  static size_t StripeOfThisCpu() {
    const int cpu = sched_getcpu();  // glibc reads it from rseq: a few ns
    return cpu < 0 ? 0 : static_cast<size_t>(cpu) % kStripes;
  }
  std::array<Stripe, kStripes> stripes_;
};

// A value that goes up and down (queue bytes, open connections). Lock-free.
class alignas(64) Gauge {
 public:
  // Stores only a changed value: a gauge set to the same value from several cores on every
  // request then stays in all their caches instead of moving between them.
  void Set(int64_t value) {
    if (value_.load(std::memory_order_relaxed) != value) {
      value_.store(value, std::memory_order_relaxed);
    }
  }
  void Add(int64_t amount) { value_.fetch_add(amount, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// A distribution (latencies in microseconds, sizes in bytes) over fixed exponential buckets.
// Recording is lock-free: one relaxed add on a bucket and one on the sum. The count is the
// sum of the buckets, so a snapshot's buckets always add up to its count.
class Histogram {
 public:
  // Upper bounds (inclusive) of the finite buckets; a last bucket holds everything larger.
  static constexpr std::array<uint64_t, 24> kBucketBounds = {
      1,      2,      5,       10,      25,      50,       100,      250,
      500,    1000,   2500,    5000,    10000,   25000,    50000,    100000,
      250000, 500000, 1000000, 2500000, 5000000, 10000000, 30000000, 60000000};

  struct Snapshot {
    std::array<uint64_t, kBucketBounds.size() + 1> bucket_counts{};  // not cumulative
    uint64_t count = 0;
    uint64_t sum = 0;
    // Estimated value at quantile q in [0, 1], interpolated inside the bucket; 0 when empty.
    double Quantile(double q) const;
  };

  void Record(uint64_t value);
  Snapshot snapshot() const;

 private:
  std::array<std::atomic<uint64_t>, kBucketBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> sum_{0};
};

struct StatsStoreOptions {
  // Bound on distinct label sets per metric name. Past it, new label sets share one series
  // whose label values are all "_overflow", so unbounded tenants cannot exhaust memory.
  size_t max_series_per_metric = 10000;
};

// Owns every metric of the process. Lookups (GetCounter...) take a lock: call them once and
// keep the reference, which stays valid for the store's lifetime. Updates are lock-free.
//
// Naming: a metric has a dotted name ("cluster.events_written") and labels
// ({cluster: local}). The two renderings:
//   /stats (plain text, Envoy style): label values are spliced in after the first name
//     segment: "cluster.local.events_written: 42". Sorted by that name.
//   /stats/prometheus: "chaukas_cluster_events_written_total{cluster="local"} 42" with
//     "# TYPE" lines; counters get the "_total" suffix; histograms export _bucket{le=...},
//     _sum and _count; label values are escaped as the exposition format requires.
class StatsStore {
 public:
  explicit StatsStore(StatsStoreOptions options = {});
  ~StatsStore();
  StatsStore(const StatsStore&) = delete;
  StatsStore& operator=(const StatsStore&) = delete;

  Counter& GetCounter(std::string_view name, const Labels& labels = {});
  Gauge& GetGauge(std::string_view name, const Labels& labels = {});
  Histogram& GetHistogram(std::string_view name, const Labels& labels = {});

  // Histograms render as "name: count=N sum=S p50=X p90=Y p99=Z".
  std::string RenderText() const;
  std::string RenderPrometheus() const;

  // Current value of a counter or gauge series, for tests and the admin API; 0 when absent.
  int64_t ValueOf(std::string_view name, const Labels& labels = {}) const;

 private:
  struct Series;
  struct Family;
  Series& FindOrCreate(std::string_view name, const Labels& labels, int kind);
  Family& FamilyFor(std::string_view name, int kind) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const StatsStoreOptions options_;
  mutable absl::Mutex mutex_;
  // By name; ordered so that renderings come out sorted by family.
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_ ABSL_GUARDED_BY(mutex_);
};

// A view of the store under a name prefix and base labels, handed to one component (a
// filter gets prefix "filter" and labels {filter: validate}).
class StatsScope {
 public:
  StatsScope(StatsStore& store, std::string prefix, Labels labels = {});

  Counter& GetCounter(std::string_view name, const Labels& extra = {}) const;
  Gauge& GetGauge(std::string_view name, const Labels& extra = {}) const;
  Histogram& GetHistogram(std::string_view name, const Labels& extra = {}) const;
  StatsStore& store() const { return *store_; }

 private:
  std::string FullName(std::string_view name) const;
  Labels AllLabels(const Labels& extra) const;

  StatsStore* store_;
  std::string prefix_;
  Labels labels_;
};

}  // namespace chaukas::stats
