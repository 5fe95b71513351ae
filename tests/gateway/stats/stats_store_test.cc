#include "gateway/stats/stats_store.h"

#include <sys/wait.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace chaukas::stats {
namespace {

using ::testing::Contains;
using ::testing::DoubleEq;
using ::testing::Not;

TEST(CounterTest, IncrementsFromManyThreadsAddUpExactly) {
  StatsStore store;
  constexpr int kThreads = 4;
  constexpr int kIncrementsPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store] {
      Counter& counter = store.GetCounter("ingest.events", {{"protocol", "grpc"}});
      for (int i = 0; i < kIncrementsPerThread; ++i) counter.Inc();
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(store.ValueOf("ingest.events", {{"protocol", "grpc"}}),
            kThreads * kIncrementsPerThread);
}

TEST(StatsStoreTest, LookupsFromManyThreadsWhileRenderingAreSafe) {
  StatsStore store;
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 500; ++i) {
        store.GetCounter("requests", {{"tenant", absl::StrCat("t", i % 50)}}).Inc();
        store.GetHistogram("latency_us", {{"thread", absl::StrCat(t)}}).Record(i);
      }
    });
  }
  threads.emplace_back([&store] {
    for (int i = 0; i < 50; ++i) {
      store.RenderText();
      store.RenderPrometheus();
    }
  });
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(store.ValueOf("requests", {{"tenant", "t7"}}), 3 * 10);
}

TEST(StatsStoreTest, ReturnsTheSameSeriesForTheSameNameAndLabels) {
  StatsStore store;
  Counter& first = store.GetCounter("cluster.events_written", {{"cluster", "local"}});
  for (int i = 0; i < 1000; ++i) store.GetCounter("other", {{"n", absl::StrCat(i)}});
  Counter& again = store.GetCounter("cluster.events_written", {{"cluster", "local"}});
  EXPECT_EQ(&first, &again);
  EXPECT_NE(&first, &store.GetCounter("cluster.events_written", {{"cluster", "acme"}}));
}

TEST(StatsStoreTest, GaugesGoUpAndDown) {
  StatsStore store;
  Gauge& gauge = store.GetGauge("server.connections");
  gauge.Add(5);
  gauge.Add(-7);
  EXPECT_EQ(store.ValueOf("server.connections"), -2);
  gauge.Set(3);
  EXPECT_EQ(store.ValueOf("server.connections"), 3);
}

TEST(StatsStoreTest, ValueOfAnAbsentSeriesOrAHistogramIsZero) {
  StatsStore store;
  store.GetCounter("present", {{"a", "b"}}).Inc();
  store.GetHistogram("latency_us").Record(5);
  EXPECT_EQ(store.ValueOf("absent"), 0);
  EXPECT_EQ(store.ValueOf("present", {{"a", "c"}}), 0);
  EXPECT_EQ(store.ValueOf("latency_us"), 0);
}

TEST(StatsStoreTest, LabelSetsPastTheBoundShareOneOverflowSeries) {
  StatsStore store(StatsStoreOptions{.max_series_per_metric = 2});
  store.GetCounter("tenant.events", {{"tenant", "a"}, {"project", "x"}}).Inc(1);
  store.GetCounter("tenant.events", {{"tenant", "b"}, {"project", "x"}}).Inc(2);
  Counter& c = store.GetCounter("tenant.events", {{"tenant", "c"}, {"project", "x"}});
  Counter& d = store.GetCounter("tenant.events", {{"tenant", "d"}, {"project", "y"}});
  EXPECT_EQ(&c, &d);
  c.Inc(3);
  d.Inc(4);
  // Series that existed before the bound was reached keep their own counts.
  store.GetCounter("tenant.events", {{"tenant", "a"}, {"project", "x"}}).Inc(10);

  EXPECT_EQ(store.ValueOf("tenant.events", {{"tenant", "a"}, {"project", "x"}}), 11);
  EXPECT_EQ(store.ValueOf("tenant.events", {{"tenant", "_overflow"}, {"project", "_overflow"}}), 7);
  EXPECT_EQ(store.ValueOf("tenant.events", {{"tenant", "c"}, {"project", "x"}}), 0);
  EXPECT_EQ(store.RenderText(),
            "tenant._overflow._overflow.events: 7\n"
            "tenant.a.x.events: 11\n"
            "tenant.b.x.events: 2\n");
}

TEST(StatsStoreTest, AskingForANameUnderAnotherKindGetsASeparateMisusedFamily) {
  StatsStore store;
  store.GetCounter("queue.bytes").Inc(5);
  Gauge& gauge = store.GetGauge("queue.bytes");
  gauge.Set(9);
  store.GetHistogram("queue.bytes").Record(1);

  EXPECT_EQ(store.ValueOf("queue.bytes"), 5);
  EXPECT_EQ(store.ValueOf("queue.bytes.misused_as_gauge"), 9);
  EXPECT_EQ(&gauge, &store.GetGauge("queue.bytes"));
  EXPECT_EQ(store.RenderText(),
            "queue.bytes: 5\n"
            "queue.bytes.misused_as_gauge: 9\n"
            "queue.bytes.misused_as_histogram: count=1 sum=1 p50=0.5 p90=0.9 p99=1.0\n");
}

TEST(StatsStoreTest, RendersTextWithLabelValuesSplicedAfterTheFirstNameSegment) {
  StatsStore store;
  store.GetCounter("cluster.events_written", {{"cluster", "local"}}).Inc(42);
  store.GetCounter("cluster.events_written", {{"cluster", "acme"}}).Inc(7);
  store.GetCounter("filter.events_rejected", {{"filter", "validate"}, {"reason", "schema"}}).Inc(2);
  store.GetGauge("server.connections").Set(-3);
  store.GetGauge("uptime_s", {{"build", "dev"}}).Set(12);

  EXPECT_EQ(store.RenderText(),
            "cluster.acme.events_written: 7\n"
            "cluster.local.events_written: 42\n"
            "filter.validate.schema.events_rejected: 2\n"
            "server.connections: -3\n"
            "uptime_s.dev: 12\n");
}

TEST(StatsStoreTest, RendersHistogramTextWithCountSumAndQuantiles) {
  StatsStore store;
  Histogram& histogram = store.GetHistogram("ingest.latency_us", {{"protocol", "http"}});
  for (int i = 0; i < 4; ++i) histogram.Record(3);  // all in the bucket (2, 5]

  EXPECT_EQ(store.RenderText(), "ingest.http.latency_us: count=4 sum=12 p50=3.5 p90=4.7 p99=5.0\n");
}

TEST(StatsScopeTest, PrefixesNamesAndAddsBaseLabels) {
  StatsStore store;
  StatsScope scope(store, "filter", {{"filter", "validate"}});
  scope.GetCounter("events_rejected", {{"reason", "schema"}}).Inc(3);
  scope.GetGauge("rules").Set(4);
  scope.GetHistogram("check_us").Record(10);

  EXPECT_EQ(&scope.store(), &store);
  EXPECT_EQ(store.ValueOf("filter.events_rejected", {{"filter", "validate"}, {"reason", "schema"}}),
            3);
  EXPECT_EQ(store.ValueOf("filter.rules", {{"filter", "validate"}}), 4);
  EXPECT_THAT(store.RenderText(), ::testing::HasSubstr("filter.validate.check_us: count=1"));
}

TEST(HistogramTest, BucketUpperBoundsAreInclusive) {
  Histogram histogram;
  histogram.Record(0);
  histogram.Record(1);
  histogram.Record(2);
  histogram.Record(60000001);
  const Histogram::Snapshot snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.bucket_counts[0], 2u);
  EXPECT_EQ(snapshot.bucket_counts[1], 1u);
  EXPECT_EQ(snapshot.bucket_counts[Histogram::kBucketBounds.size()], 1u);
  EXPECT_EQ(snapshot.count, 4u);
  EXPECT_EQ(snapshot.sum, 60000004u);
}

TEST(HistogramTest, QuantileInterpolatesLinearlyInsideTheBucket) {
  Histogram::Snapshot snapshot;
  snapshot.bucket_counts[3] = 10;  // (5, 10]
  snapshot.count = 10;
  EXPECT_THAT(snapshot.Quantile(0.0), DoubleEq(5.0));
  EXPECT_THAT(snapshot.Quantile(0.5), DoubleEq(7.5));
  EXPECT_THAT(snapshot.Quantile(1.0), DoubleEq(10.0));
}

TEST(HistogramTest, QuantileSpansBucketsAndSkipsEmptyOnes) {
  Histogram histogram;
  histogram.Record(1);    // [0, 1]
  histogram.Record(700);  // (500, 1000]
  const Histogram::Snapshot snapshot = histogram.snapshot();
  EXPECT_THAT(snapshot.Quantile(0.5), DoubleEq(1.0));
  EXPECT_THAT(snapshot.Quantile(0.75), DoubleEq(750.0));
}

TEST(HistogramTest, QuantileOfTheOverflowBucketIsTheLastFiniteBound) {
  Histogram histogram;
  histogram.Record(100000000);
  EXPECT_THAT(histogram.snapshot().Quantile(0.5), DoubleEq(60000000.0));
}

TEST(HistogramTest, QuantileOfAnEmptyHistogramIsZero) {
  EXPECT_THAT(Histogram().snapshot().Quantile(0.99), DoubleEq(0.0));
}

// --- Prometheus exposition, checked by a real parser -------------------------------------

// Checks every line against the exposition grammar (prometheus_client's parser is lax), then
// parses with prometheus_client and prints one line per family ("family <name> <type>") and
// per sample ("<name>{<label>=<hex of the UTF-8 value>,...} <value>"), labels sorted by name.
constexpr char kPrometheusCheck[] = R"py(
import re, sys
from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1], encoding="utf-8").read()
assert text.endswith("\n"), "no final newline"
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label_re = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample_re = re.compile(r"^(%s)(?:\{(?:%s(?:,%s)*)?\})? (\S+)$" % (name_re, label_re, label_re))
suffixes = {"counter": [""], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"]}
typed, current, allowed = set(), None, []
for number, line in enumerate(text.split("\n")[:-1], 1):
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split(" ")
        assert re.fullmatch(name_re, name), "line %d: bad name" % number
        assert name not in typed, "line %d: second TYPE for %s" % (number, name)
        typed.add(name)
        allowed = [name + suffix for suffix in suffixes[kind]]
        continue
    assert not line.startswith("#"), "line %d: unexpected comment" % number
    match = sample_re.match(line)
    assert match, "line %d: not a sample: %r" % (number, line)
    assert match.group(1) in allowed, "line %d: sample outside its family" % number
    float(match.group(2))

for family in text_string_to_metric_families(text):
    assert family.type != "untyped", family.name
    print("family", family.name, family.type)
    for sample in family.samples:
        labels = ",".join("%s=%s" % (k, v.encode("utf-8").hex())
                          for k, v in sorted(sample.labels.items()))
        value = "%d" % sample.value if float(sample.value).is_integer() else repr(sample.value)
        print("%s{%s} %s" % (sample.name, labels, value))
)py";

std::string Hex(std::string_view bytes) {
  std::string hex;
  for (const unsigned char c : bytes) absl::StrAppend(&hex, absl::Hex(c, absl::kZeroPad2));
  return hex;
}

// A sample as kPrometheusCheck prints it; `labels` must be sorted by name.
std::string Sample(const std::string& name, const Labels& labels, const std::string& value) {
  std::vector<std::string> pairs;
  for (const auto& [label, label_value] : labels) {
    pairs.push_back(absl::StrCat(label, "=", Hex(label_value)));
  }
  return absl::StrCat(name, "{", absl::StrJoin(pairs, ","), "} ", value);
}

// Runs the rendered text through kPrometheusCheck; fails the test unless it exits with 0.
std::vector<std::string> ParseWithPrometheusClient(const std::string& text) {
  testing::TempDir dir;
  const std::string script = dir.WriteFile("check.py", kPrometheusCheck).string();
  const std::string input = dir.WriteFile("metrics.prom", text).string();
  const std::string output = dir.Join("parsed.txt").string();
  const std::string errors = dir.Join("errors.txt").string();
  const std::string command = absl::StrCat("/usr/bin/python3 '", script, "' '", input, "' > '",
                                           output, "' 2> '", errors, "'");
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "prometheus_client rejected the text:\n"
      << testing::ReadFile(errors) << "\n--- text:\n"
      << text;
  return absl::StrSplit(testing::ReadFile(output), '\n', absl::SkipEmpty());
}

TEST(PrometheusTest, RenderingParsesWithTheValuesStored) {
  StatsStore store;
  store.GetCounter("cluster.events_written", {{"cluster", "local"}}).Inc(42);
  store.GetCounter("cluster.events_written", {{"cluster", "acme"}}).Inc(7);
  store.GetGauge("server.connections").Set(-3);
  Histogram& latency = store.GetHistogram("ingest.latency_us", {{"protocol", "grpc"}});
  for (const uint64_t value : {3, 3, 700, 100000000}) latency.Record(value);

  const std::vector<std::string> parsed = ParseWithPrometheusClient(store.RenderPrometheus());

  EXPECT_THAT(parsed, Contains("family chaukas_cluster_events_written counter"));
  EXPECT_THAT(parsed, Contains(Sample("chaukas_cluster_events_written_total",
                                      {{"cluster", "local"}}, "42")));
  EXPECT_THAT(parsed,
              Contains(Sample("chaukas_cluster_events_written_total", {{"cluster", "acme"}}, "7")));
  EXPECT_THAT(parsed, Contains("family chaukas_server_connections gauge"));
  EXPECT_THAT(parsed, Contains(Sample("chaukas_server_connections", {}, "-3")));
  EXPECT_THAT(parsed, Contains("family chaukas_ingest_latency_us histogram"));
  const std::string bucket = "chaukas_ingest_latency_us_bucket";
  EXPECT_THAT(parsed, Contains(Sample(bucket, {{"le", "1"}, {"protocol", "grpc"}}, "0")));
  EXPECT_THAT(parsed, Contains(Sample(bucket, {{"le", "5"}, {"protocol", "grpc"}}, "2")));
  EXPECT_THAT(parsed, Contains(Sample(bucket, {{"le", "500"}, {"protocol", "grpc"}}, "2")));
  EXPECT_THAT(parsed, Contains(Sample(bucket, {{"le", "1000"}, {"protocol", "grpc"}}, "3")));
  EXPECT_THAT(parsed, Contains(Sample(bucket, {{"le", "60000000"}, {"protocol", "grpc"}}, "3")));
  EXPECT_THAT(parsed, Contains(Sample(bucket, {{"le", "+Inf"}, {"protocol", "grpc"}}, "4")));
  EXPECT_THAT(parsed, Contains(Sample("chaukas_ingest_latency_us_sum", {{"protocol", "grpc"}},
                                      "100000706")));
  EXPECT_THAT(parsed,
              Contains(Sample("chaukas_ingest_latency_us_count", {{"protocol", "grpc"}}, "4")));
}

TEST(PrometheusTest, RendersOneTypeLineBeforeEachFamily) {
  StatsStore store;
  store.GetCounter("b.requests", {{"x", "1"}}).Inc();
  store.GetCounter("b.requests", {{"x", "2"}}).Inc();
  store.GetGauge("a.depth").Set(1);
  EXPECT_EQ(store.RenderPrometheus(),
            "# TYPE chaukas_a_depth gauge\n"
            "chaukas_a_depth 1\n"
            "# TYPE chaukas_b_requests_total counter\n"
            "chaukas_b_requests_total{x=\"1\"} 1\n"
            "chaukas_b_requests_total{x=\"2\"} 1\n");
}

TEST(PrometheusTest, SanitizesMetricAndLabelNames) {
  StatsStore store;
  store.GetCounter("filter.rate-limit/denied", {{"tenant.id", "a"}, {"1st", "b"}, {"", "c"}})
      .Inc(5);
  store.GetCounter("upstream.retries_total").Inc(2);  // no second _total

  const std::vector<std::string> parsed = ParseWithPrometheusClient(store.RenderPrometheus());

  EXPECT_THAT(parsed, Contains(Sample("chaukas_filter_rate_limit_denied_total",
                                      {{"_", "c"}, {"_1st", "b"}, {"tenant_id", "a"}}, "5")));
  EXPECT_THAT(parsed, Contains(Sample("chaukas_upstream_retries_total", {}, "2")));
  EXPECT_THAT(parsed, Not(Contains(::testing::HasSubstr("_total_total"))));
}

TEST(PrometheusTest, TrickyLabelValuesSurviveTheRoundTrip) {
  const std::vector<std::string> values = {
      "quote\"inside", "back\\slash",    "new\nline",  "ends with backslash\\",
      "\\\"",          "ünïcødé ✓ 日本", "{braces},=", "",
      "x\",b=\"y",     "tab\tand space "};
  StatsStore store;
  for (size_t i = 0; i < values.size(); ++i) {
    store.GetCounter("tricky", {{"tenant", values[i]}, {"index", absl::StrCat(i)}}).Inc(i + 1);
  }

  const std::vector<std::string> parsed = ParseWithPrometheusClient(store.RenderPrometheus());

  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_THAT(parsed, Contains(Sample("chaukas_tricky_total",
                                        {{"index", absl::StrCat(i)}, {"tenant", values[i]}},
                                        absl::StrCat(i + 1))))
        << "value " << i;
  }
}

TEST(PrometheusTest, MisusedFamiliesKeepTheTextValid) {
  StatsStore store;
  store.GetCounter("queue.bytes").Inc(5);
  store.GetGauge("queue.bytes").Set(9);

  const std::vector<std::string> parsed = ParseWithPrometheusClient(store.RenderPrometheus());

  EXPECT_THAT(parsed, Contains(Sample("chaukas_queue_bytes_total", {}, "5")));
  EXPECT_THAT(parsed, Contains(Sample("chaukas_queue_bytes_misused_as_gauge", {}, "9")));
}

}  // namespace
}  // namespace chaukas::stats
