#include "filters/builtin.h"

#include "filters/validate/validate_config.h"

namespace chaukas::filters {

void RegisterBuiltinFilters(FilterRegistry& registry) {
  registry.Register("validate", CreateValidateFilter);
}

}  // namespace chaukas::filters
