#include "tests/integration/integration_support.h"

#include <signal.h>

#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/http_test_client.h"
#include "tests/support/temp_dir.h"

namespace chaukas::testing {

v1::Event MakeEvent(const std::string& event_id, const std::string& session_id, v1::EventType type,
                    const std::string& tenant, const std::string& project) {
  v1::Event event;
  event.set_event_id(event_id);
  event.set_session_id(session_id);
  event.set_tenant_id(tenant);
  event.set_project_id(project);
  event.set_type(type);
  event.set_status(v1::EVENT_STATUS_STARTED);
  event.set_severity(v1::SEVERITY_INFO);
  event.mutable_timestamp()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  event.mutable_message()->set_text("hello from " + event_id);
  return event;
}

std::string ReadVector(const std::string& name) {
  return ReadFile(std::filesystem::path(CHAUKAS_TEST_DATA_DIR) / "vectors" / name);
}

absl::StatusOr<std::vector<v1::Event>> ReadJsonLines(const std::filesystem::path& path) {
  std::vector<v1::Event> events;
  std::istringstream in(ReadFile(path));
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    v1::Event event;
    const auto status = google::protobuf::util::JsonStringToMessage(line, &event);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.string(), ":", line_number, ": ", status.ToString(), ": ", line));
    }
    events.push_back(std::move(event));
  }
  return events;
}

void StopCleanly(GatewayProcess& gateway) {
  absl::StatusOr<int> exit_code = gateway.Stop(SIGTERM);
  ASSERT_TRUE(exit_code.ok()) << exit_code.status() << "\n" << gateway.log();
  EXPECT_EQ(*exit_code, 0) << gateway.log();
}

std::vector<v1::Event> StopAndReadSink(GatewayProcess& gateway) {
  StopCleanly(gateway);
  absl::StatusOr<std::vector<v1::Event>> events = ReadJsonLines(gateway.dir() / "events.jsonl");
  EXPECT_TRUE(events.ok()) << events.status();
  return events.ok() ? *std::move(events) : std::vector<v1::Event>{};
}

std::string ReplaceOnce(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "\"" << from << "\" not in:\n" << text;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string AdminGet(const GatewayProcess& gateway, const std::string& path) {
  HttpTestClient client("127.0.0.1", gateway.admin_port());
  absl::StatusOr<HttpTestResponse> response = client.Get(path);
  if (!response.ok()) return response.status().ToString();
  return response->body;
}

}  // namespace chaukas::testing
