#include "filters/builtin.h"

#include "filters/rate_limit/rate_limit_config.h"
#include "filters/sampling/sampling_config.h"
#include "filters/tenant_auth/tenant_auth_config.h"
#include "filters/validate/validate_config.h"

namespace chaukas::filters {

void RegisterBuiltinFilters(FilterRegistry& registry) {
  registry.Register("validate", CreateValidateFilter);
  registry.Register("tenant_auth", tenant_auth::CreateTenantAuthFilter);
  registry.Register("rate_limit", rate_limit::CreateRateLimitFilter);
  registry.Register("sampling", sampling::CreateSamplingFilter);
}

}  // namespace chaukas::filters
