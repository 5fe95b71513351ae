#include "gateway/stats/session_counter.h"

#include <cstdint>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chaukas::stats {
namespace {

using ::testing::DoubleNear;

SessionCounter CounterOf(uint64_t first, uint64_t end) {
  SessionCounter counter;
  for (uint64_t hash = first; hash < end; ++hash) counter.Add(hash);
  return counter;
}

TEST(SessionCounterTest, StartsEmptyAndExact) {
  const SessionCounter counter;
  EXPECT_TRUE(counter.is_exact());
  EXPECT_EQ(counter.Count(), 0u);
}

TEST(SessionCounterTest, CountsRepeatedHashesOnce) {
  SessionCounter counter;
  for (int i = 0; i < 3; ++i) {
    counter.Add(7);
    counter.Add(8);
  }
  EXPECT_EQ(counter.Count(), 2u);
}

TEST(SessionCounterTest, IsExactUpToTheLimit) {
  const SessionCounter counter = CounterOf(0, SessionCounter::kExactLimit);
  EXPECT_TRUE(counter.is_exact());
  EXPECT_EQ(counter.Count(), SessionCounter::kExactLimit);
}

TEST(SessionCounterTest, SwitchesToTheSketchPastTheLimit) {
  const SessionCounter counter = CounterOf(0, SessionCounter::kExactLimit + 1);
  EXPECT_FALSE(counter.is_exact());
  EXPECT_THAT(static_cast<double>(counter.Count()),
              DoubleNear(SessionCounter::kExactLimit + 1, 0.02 * SessionCounter::kExactLimit));
}

TEST(SessionCounterTest, EstimatesAHundredThousandWithinTwoPercent) {
  const SessionCounter counter = CounterOf(0, 100000);
  EXPECT_THAT(static_cast<double>(counter.Count()), DoubleNear(100000, 2000));
}

TEST(SessionCounterTest, EstimatesAcrossTheRangeWithinTwoPercent) {
  for (const uint64_t distinct : {5000, 20000, 50000, 300000, 1000000}) {
    const SessionCounter counter = CounterOf(distinct * 7, distinct * 8);
    EXPECT_THAT(static_cast<double>(counter.Count()), DoubleNear(distinct, 0.02 * distinct))
        << distinct << " distinct";
  }
}

TEST(SessionCounterTest, MergeOfExactCountersIsExactWhileTheUnionFits) {
  SessionCounter merged = CounterOf(0, 1000);
  merged.Merge(CounterOf(500, 2000));
  EXPECT_TRUE(merged.is_exact());
  EXPECT_EQ(merged.Count(), 2000u);
}

TEST(SessionCounterTest, MergeOfExactCountersSwitchesToTheSketchWhenTheUnionOverflows) {
  SessionCounter merged = CounterOf(0, 3000);
  merged.Merge(CounterOf(3000, 6000));
  EXPECT_FALSE(merged.is_exact());
  EXPECT_THAT(static_cast<double>(merged.Count()), DoubleNear(6000, 120));
}

TEST(SessionCounterTest, MergesSketchesAndExactCountersInAnyOrder) {
  const SessionCounter sketch = CounterOf(0, 60000);
  const SessionCounter exact = CounterOf(50000, 53000);  // overlaps the sketch
  const SessionCounter other_sketch = CounterOf(40000, 100000);

  SessionCounter exact_then_sketch = exact;
  exact_then_sketch.Merge(sketch);
  SessionCounter sketch_then_exact = sketch;
  sketch_then_exact.Merge(exact);
  EXPECT_EQ(exact_then_sketch.Count(), sketch_then_exact.Count());
  EXPECT_EQ(exact_then_sketch.Count(), sketch.Count());

  SessionCounter sketches = sketch;
  sketches.Merge(other_sketch);
  EXPECT_THAT(static_cast<double>(sketches.Count()), DoubleNear(100000, 2000));
  EXPECT_EQ(sketches.Count(), CounterOf(0, 100000).Count());
}

}  // namespace
}  // namespace chaukas::stats
