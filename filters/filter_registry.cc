#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "filters/filter.h"

namespace chaukas::filters {

void FilterRegistry::Register(std::string name, FilterFactory factory) {
  factories_[std::move(name)] = std::move(factory);
}

absl::StatusOr<std::unique_ptr<Filter>> FilterRegistry::Create(
    const config::FilterSpec& spec, FilterFactoryContext& context) const {
  auto factory = factories_.find(spec.name);
  if (factory == factories_.end()) {
    std::vector<std::string> known;
    for (const auto& [name, unused] : factories_) known.push_back(name);
    return spec.name_node.Error(absl::StrCat("unknown filter \"", spec.name,
                                             "\"; known filters: ", absl::StrJoin(known, ", ")));
  }
  if (spec.config.IsDefined()) {
    if (absl::Status status = spec.config.ExpectMap(); !status.ok()) return status;
  }
  return factory->second(spec.config, context);
}

}  // namespace chaukas::filters
