#include "filters/builtin.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace chaukas::filters {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::StatusIs;
using ::testing::HasSubstr;

config::FilterSpec Spec(const std::string& yaml) {
  const config::ConfigNode node(YAML::Load(yaml), "gateway.yaml", "filters[0]");
  return {*node.Child("name").AsString(), node.Child("name"), node.Child("config")};
}

class FilterRegistryTest : public ::testing::Test {
 protected:
  FilterRegistryTest() { RegisterBuiltinFilters(registry_); }

  FilterFactoryContext Context() {
    return {stats::StatsScope(stats_, "filter", {{"filter", "x"}}), clock_, random_};
  }

  FilterRegistry registry_;
  stats::StatsStore stats_;
  SystemClock clock_;
  SystemRandom random_;
};

TEST_F(FilterRegistryTest, BuildsBuiltinFilterByName) {
  FilterFactoryContext context = Context();
  EXPECT_THAT(registry_.Create(Spec("name: validate"), context), IsOk());
}

TEST_F(FilterRegistryTest, UnknownNameListsKnownFilters) {
  FilterFactoryContext context = Context();
  EXPECT_THAT(registry_.Create(Spec("name: valdate"), context),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "gateway.yaml:1:7 filters[0].name: unknown filter \"valdate\"; known "
                       "filters: rate_limit, sampling, tenant_auth, validate"));
}

TEST_F(FilterRegistryTest, ConfigMustBeAMap) {
  FilterFactoryContext context = Context();
  EXPECT_THAT(
      registry_.Create(Spec("name: validate\nconfig: [1, 2]"), context),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filters[0].config: must be a map")));
}

}  // namespace
}  // namespace chaukas::filters
