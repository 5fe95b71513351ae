#include "gateway/upstream/retry_budget.h"

#include "gtest/gtest.h"

namespace chaukas::upstream {
namespace {

TEST(RetryBudgetTest, AlwaysAllowsMinRetryConcurrencyRetries) {
  const RetryBudget budget(/*budget_percent=*/20, /*min_retry_concurrency=*/3);
  EXPECT_TRUE(budget.CanRetry(0, 0));
  EXPECT_TRUE(budget.CanRetry(3, 2));
  EXPECT_FALSE(budget.CanRetry(3, 3));
  EXPECT_TRUE(budget.CanRetry(10, 2));
  EXPECT_FALSE(budget.CanRetry(10, 3));
}

TEST(RetryBudgetTest, AllowsBudgetPercentOfCallsInFlightAboveTheMinimum) {
  const RetryBudget budget(/*budget_percent=*/20, /*min_retry_concurrency=*/3);
  EXPECT_TRUE(budget.CanRetry(20, 3));
  EXPECT_FALSE(budget.CanRetry(20, 4));
  EXPECT_TRUE(budget.CanRetry(100, 19));
  EXPECT_FALSE(budget.CanRetry(100, 20));
}

TEST(RetryBudgetTest, RoundsTheBudgetDown) {
  const RetryBudget budget(/*budget_percent=*/20, /*min_retry_concurrency=*/0);
  EXPECT_FALSE(budget.CanRetry(4, 0));  // 0.8 retries
  EXPECT_TRUE(budget.CanRetry(5, 0));
  EXPECT_FALSE(budget.CanRetry(24, 4));  // 4.8 retries
  EXPECT_TRUE(budget.CanRetry(25, 4));
}

TEST(RetryBudgetTest, ZeroPercentLeavesOnlyTheMinimum) {
  const RetryBudget budget(/*budget_percent=*/0, /*min_retry_concurrency=*/2);
  EXPECT_TRUE(budget.CanRetry(1000, 1));
  EXPECT_FALSE(budget.CanRetry(1000, 2));
}

TEST(RetryBudgetTest, ZeroPercentAndZeroMinimumAllowNoRetry) {
  const RetryBudget budget(/*budget_percent=*/0, /*min_retry_concurrency=*/0);
  EXPECT_FALSE(budget.CanRetry(0, 0));
  EXPECT_FALSE(budget.CanRetry(1000, 0));
}

TEST(RetryBudgetTest, HundredPercentAllowsEveryCallToBeARetry) {
  const RetryBudget budget(/*budget_percent=*/100, /*min_retry_concurrency=*/0);
  EXPECT_TRUE(budget.CanRetry(10, 9));
  EXPECT_FALSE(budget.CanRetry(10, 10));
}

}  // namespace
}  // namespace chaukas::upstream
