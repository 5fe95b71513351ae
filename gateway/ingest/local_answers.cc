#include "gateway/ingest/local_answers.h"

namespace chaukas::ingest {

chaukas::spec::common::v1::Capabilities LocalCapabilities() {
  chaukas::spec::common::v1::Capabilities capabilities;
  capabilities.set_policy_decisions(true);
  capabilities.set_data_access_events(true);
  return capabilities;
}

}  // namespace chaukas::ingest
