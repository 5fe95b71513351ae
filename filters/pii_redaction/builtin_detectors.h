#pragma once

#include <memory>
#include <vector>

#include "filters/pii_redaction/detector.h"

namespace chaukas::filters::pii_redaction {

// One or more detectors for every built-in category.
std::vector<std::unique_ptr<Detector>> BuiltinDetectors();

}  // namespace chaukas::filters::pii_redaction
