#pragma once

#include "filters/filter.h"

namespace chaukas::filters {

// Registers every filter shipped with the gateway, by its config name.
void RegisterBuiltinFilters(FilterRegistry& registry);

}  // namespace chaukas::filters
