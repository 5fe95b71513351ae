#include "gateway/stats/stats_store.h"

#include <algorithm>
#include <variant>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gateway/common/strings.h"

namespace chaukas::stats {
namespace {

// The kind of a family is the index of its metric type in Series::Metric.
enum Kind : int { kCounter = 0, kGauge = 1, kHistogram = 2 };

constexpr std::string_view kOverflowLabelValue = "_overflow";

std::string_view KindName(int kind) {
  switch (kind) {
    case kCounter:
      return "counter";
    case kGauge:
      return "gauge";
    default:
      return "histogram";
  }
}

}  // namespace

struct StatsStore::Series {
  using Metric = std::variant<Counter, Gauge, Histogram>;

  Series(Labels labels_in, int kind) : labels(std::move(labels_in)), metric(MakeMetric(kind)) {}

  // Counter, Gauge and Histogram hold atomics and cannot move: build the variant in place.
  static Metric MakeMetric(int kind) {
    switch (kind) {
      case kCounter:
        return Metric(std::in_place_index<kCounter>);
      case kGauge:
        return Metric(std::in_place_index<kGauge>);
      default:
        return Metric(std::in_place_index<kHistogram>);
    }
  }

  const Labels labels;
  Metric metric;
};

struct StatsStore::Family {
  explicit Family(int kind_in) : kind(kind_in) {}

  Series& SeriesFor(const Labels& labels, size_t max_series) {
    if (auto it = series.find(labels); it != series.end()) return *it->second;
    if (series.size() < max_series) return Insert(labels);
    Labels overflow = labels;
    for (auto& [label_name, value] : overflow) value = std::string(kOverflowLabelValue);
    if (auto it = series.find(overflow); it != series.end()) return *it->second;
    return Insert(overflow);
  }

  Series& Insert(const Labels& labels) {
    return *series.emplace(labels, std::make_unique<Series>(labels, kind)).first->second;
  }

  // Series ordered by labels, so renderings are stable.
  std::vector<const Series*> SortedSeries() const {
    std::vector<const Series*> sorted;
    sorted.reserve(series.size());
    for (const auto& [labels, one_series] : series) sorted.push_back(one_series.get());
    std::sort(sorted.begin(), sorted.end(),
              [](const Series* a, const Series* b) { return a->labels < b->labels; });
    return sorted;
  }

  const int kind;
  // Node-based (unique_ptr values): references handed out stay valid across rehashes.
  absl::flat_hash_map<Labels, std::unique_ptr<Series>> series;
};

// ---------------------------------------------------------------------------------------
// Histogram

uint64_t Counter::value() const {
  uint64_t total = 0;
  for (const Stripe& stripe : stripes_) total += stripe.value.load(std::memory_order_relaxed);
  return total;
}

void Histogram::Record(uint64_t value) {
  const size_t bucket =
      std::lower_bound(kBucketBounds.begin(), kBucketBounds.end(), value) - kBucketBounds.begin();
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    snapshot.bucket_counts[i] = buckets_[i].load(std::memory_order_relaxed);
    snapshot.count += snapshot.bucket_counts[i];
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

double Histogram::Snapshot::Quantile(double q) const {
  if (count == 0) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(count);
  // The first non-empty bucket that reaches the rank; the last non-empty one at worst.
  size_t bucket = 0;
  uint64_t below = 0;
  for (size_t i = 0; i < bucket_counts.size(); ++i) {
    if (bucket_counts[i] == 0) continue;
    bucket = i;
    if (static_cast<double>(below + bucket_counts[i]) >= rank) break;
    below += bucket_counts[i];
  }
  // The overflow bucket has no upper bound to interpolate towards (Prometheus's
  // histogram_quantile answers the same).
  if (bucket == kBucketBounds.size()) return static_cast<double>(kBucketBounds.back());
  const double lower = bucket == 0 ? 0.0 : static_cast<double>(kBucketBounds[bucket - 1]);
  const double upper = static_cast<double>(kBucketBounds[bucket]);
  const double fraction =
      (rank - static_cast<double>(below)) / static_cast<double>(bucket_counts[bucket]);
  return lower + (upper - lower) * std::clamp(fraction, 0.0, 1.0);
}

// ---------------------------------------------------------------------------------------
// Rendering helpers

namespace {

// Envoy-style flat name: label values spliced in after the first name segment.
std::string FlatName(std::string_view name, const Labels& labels) {
  if (labels.empty()) return std::string(name);
  const size_t dot = name.find('.');
  const std::string_view first = name.substr(0, dot);
  std::string flat(first);
  for (const auto& [label_name, value] : labels) absl::StrAppend(&flat, ".", value);
  if (dot != std::string_view::npos) flat.append(name.substr(dot));
  return flat;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string ReplaceInvalidNameChars(std::string_view text) {
  std::string sanitized(text);
  std::replace_if(
      sanitized.begin(), sanitized.end(), [](char c) { return !IsNameChar(c); }, '_');
  return sanitized;
}

std::string PrometheusFamilyName(std::string_view name, int kind) {
  std::string family = absl::StrCat("chaukas_", ToAbsl(ReplaceInvalidNameChars(name)));
  constexpr std::string_view kTotal = "_total";
  if (kind == kCounter && !std::string_view(family).ends_with(kTotal)) {
    family.append(kTotal);
  }
  return family;
}

std::string PrometheusLabelName(std::string_view name) {
  std::string sanitized = ReplaceInvalidNameChars(name);
  if (!sanitized.empty() && !(sanitized[0] >= '0' && sanitized[0] <= '9')) return sanitized;
  // Built anew rather than with insert(0, ...), which trips GCC 12's -Wrestrict false positive.
  std::string prefixed(1, '_');
  prefixed += sanitized;
  return prefixed;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\':
        escaped.append("\\\\");
        break;
      case '"':
        escaped.append("\\\"");
        break;
      case '\n':
        escaped.append("\\n");
        break;
      default:
        escaped.push_back(c);
    }
  }
  return escaped;
}

// `{a="x",b="y"}`, with `extra` (a histogram's le) appended; "" when there are no labels.
std::string PrometheusLabels(const Labels& labels, std::string_view extra = {}) {
  std::vector<std::string> pairs;
  pairs.reserve(labels.size() + 1);
  for (const auto& [name, value] : labels) {
    pairs.push_back(absl::StrCat(ToAbsl(PrometheusLabelName(name)), "=\"",
                                 ToAbsl(EscapeLabelValue(value)), "\""));
  }
  if (!extra.empty()) pairs.emplace_back(extra);
  if (pairs.empty()) return "";
  return absl::StrCat("{", absl::StrJoin(pairs, ","), "}");
}

std::string TextValue(const Histogram::Snapshot& snapshot) {
  return absl::StrFormat("count=%d sum=%d p50=%.1f p90=%.1f p99=%.1f", snapshot.count, snapshot.sum,
                         snapshot.Quantile(0.5), snapshot.Quantile(0.9), snapshot.Quantile(0.99));
}

void AppendPrometheusHistogram(std::string_view family, const Labels& labels,
                               const Histogram::Snapshot& snapshot, std::string& out) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < Histogram::kBucketBounds.size(); ++i) {
    cumulative += snapshot.bucket_counts[i];
    absl::StrAppend(
        &out, ToAbsl(family), "_bucket",
        PrometheusLabels(labels, absl::StrCat("le=\"", Histogram::kBucketBounds[i], "\"")), " ",
        cumulative, "\n");
  }
  absl::StrAppend(&out, ToAbsl(family), "_bucket", PrometheusLabels(labels, "le=\"+Inf\""), " ",
                  snapshot.count, "\n");
  const std::string plain_labels = PrometheusLabels(labels);
  absl::StrAppend(&out, ToAbsl(family), "_sum", plain_labels, " ", snapshot.sum, "\n");
  absl::StrAppend(&out, ToAbsl(family), "_count", plain_labels, " ", snapshot.count, "\n");
}

}  // namespace

// ---------------------------------------------------------------------------------------
// StatsStore

StatsStore::StatsStore(StatsStoreOptions options) : options_(options) {}

StatsStore::~StatsStore() = default;

Counter& StatsStore::GetCounter(std::string_view name, const Labels& labels) {
  return std::get<kCounter>(FindOrCreate(name, labels, kCounter).metric);
}

Gauge& StatsStore::GetGauge(std::string_view name, const Labels& labels) {
  return std::get<kGauge>(FindOrCreate(name, labels, kGauge).metric);
}

Histogram& StatsStore::GetHistogram(std::string_view name, const Labels& labels) {
  return std::get<kHistogram>(FindOrCreate(name, labels, kHistogram).metric);
}

StatsStore::Series& StatsStore::FindOrCreate(std::string_view name, const Labels& labels,
                                             int kind) {
  absl::MutexLock lock(&mutex_);
  return FamilyFor(name, kind).SeriesFor(labels, options_.max_series_per_metric);
}

// Asking for a name under another kind than it was first registered with is a programming
// error. Rather than crash the gateway (a name clash may only show with one combination of
// configured filters) or hand out a metric of the wrong type, such a request gets a family
// of its own, "<name>.misused_as_<kind>", which shows in both renderings.
StatsStore::Family& StatsStore::FamilyFor(std::string_view name, int kind) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), std::make_unique<Family>(kind)).first;
  }
  if (it->second->kind != kind) {
    return FamilyFor(absl::StrCat(ToAbsl(name), ".misused_as_", ToAbsl(KindName(kind))), kind);
  }
  return *it->second;
}

std::string StatsStore::RenderText() const {
  std::vector<std::pair<std::string, std::string>> lines;  // flat name, value
  {
    absl::ReaderMutexLock lock(&mutex_);
    for (const auto& [name, family] : families_) {
      for (const auto& [labels, series] : family->series) {
        std::string value = std::visit(
            [](const auto& metric) -> std::string {
              if constexpr (std::is_same_v<decltype(metric), const Histogram&>) {
                return TextValue(metric.snapshot());
              } else {
                return absl::StrCat(metric.value());
              }
            },
            series->metric);
        lines.emplace_back(FlatName(name, labels), std::move(value));
      }
    }
  }
  std::sort(lines.begin(), lines.end());
  std::string text;
  for (const auto& [name, value] : lines) {
    absl::StrAppend(&text, ToAbsl(name), ": ", ToAbsl(value), "\n");
  }
  return text;
}

std::string StatsStore::RenderPrometheus() const {
  std::string out;
  absl::ReaderMutexLock lock(&mutex_);
  for (const auto& [name, family] : families_) {
    const std::string prometheus_name = PrometheusFamilyName(name, family->kind);
    absl::StrAppend(&out, "# TYPE ", ToAbsl(prometheus_name), " ", ToAbsl(KindName(family->kind)),
                    "\n");
    for (const Series* series : family->SortedSeries()) {
      std::visit(
          [&](const auto& metric) {
            if constexpr (std::is_same_v<decltype(metric), const Histogram&>) {
              AppendPrometheusHistogram(prometheus_name, series->labels, metric.snapshot(), out);
            } else {
              absl::StrAppend(&out, ToAbsl(prometheus_name), PrometheusLabels(series->labels), " ",
                              metric.value(), "\n");
            }
          },
          series->metric);
    }
  }
  return out;
}

int64_t StatsStore::ValueOf(std::string_view name, const Labels& labels) const {
  absl::ReaderMutexLock lock(&mutex_);
  const auto family = families_.find(name);
  if (family == families_.end()) return 0;
  const auto series = family->second->series.find(labels);
  if (series == family->second->series.end()) return 0;
  const Series::Metric& metric = series->second->metric;
  switch (metric.index()) {
    case kCounter:
      return static_cast<int64_t>(std::get<kCounter>(metric).value());
    case kGauge:
      return std::get<kGauge>(metric).value();
    default:
      return 0;  // a histogram is neither a counter nor a gauge
  }
}

// ---------------------------------------------------------------------------------------
// StatsScope

StatsScope::StatsScope(StatsStore& store, std::string prefix, Labels labels)
    : store_(&store), prefix_(std::move(prefix)), labels_(std::move(labels)) {}

Counter& StatsScope::GetCounter(std::string_view name, const Labels& extra) const {
  return store_->GetCounter(FullName(name), AllLabels(extra));
}

Gauge& StatsScope::GetGauge(std::string_view name, const Labels& extra) const {
  return store_->GetGauge(FullName(name), AllLabels(extra));
}

Histogram& StatsScope::GetHistogram(std::string_view name, const Labels& extra) const {
  return store_->GetHistogram(FullName(name), AllLabels(extra));
}

std::string StatsScope::FullName(std::string_view name) const {
  if (prefix_.empty()) return std::string(name);
  return absl::StrCat(prefix_, ".", ToAbsl(name));
}

Labels StatsScope::AllLabels(const Labels& extra) const {
  Labels all = labels_;
  all.insert(all.end(), extra.begin(), extra.end());
  return all;
}

}  // namespace chaukas::stats
