#include "filters/pii_redaction/builtin_detectors.h"

#include "filters/pii_redaction/detectors/identity_detectors.h"
#include "filters/pii_redaction/detectors/secret_detectors.h"

namespace chaukas::filters::pii_redaction {

std::vector<std::unique_ptr<Detector>> BuiltinDetectors() {
  std::vector<std::unique_ptr<Detector>> detectors;
  const auto add = [&](std::vector<std::unique_ptr<Detector>> more) {
    for (auto& detector : more) detectors.push_back(std::move(detector));
  };
  detectors.push_back(MakePrivateKeyDetector());
  detectors.push_back(MakeJwtDetector());
  detectors.push_back(MakeGithubTokenDetector());
  detectors.push_back(MakeSlackTokenDetector());
  detectors.push_back(MakeAwsAccessKeyDetector());
  detectors.push_back(MakeUrlCredentialsDetector());
  detectors.push_back(MakeGenericSecretDetector());
  detectors.push_back(MakeEmailDetector());
  detectors.push_back(MakeCreditCardDetector());
  detectors.push_back(MakeUsSsnDetector());
  detectors.push_back(MakeIbanDetector());
  detectors.push_back(MakeCryptoAddressDetector());
  add(MakeIpAddressDetectors());
  add(MakePhoneDetectors());
  return detectors;
}

}  // namespace chaukas::filters::pii_redaction
