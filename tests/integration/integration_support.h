#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "chaukas/spec/common/v1/events.pb.h"
#include "tests/support/gateway_process.h"

namespace chaukas::testing {

namespace v1 = chaukas::spec::common::v1;

// A valid event (every field the validate filter requires), timestamped now.
v1::Event MakeEvent(const std::string& event_id, const std::string& session_id = "sess-1",
                    v1::EventType type = v1::EVENT_TYPE_AGENT_START,
                    const std::string& tenant = "acme", const std::string& project = "shop");

// The bytes of tests/data/vectors/<name>.
std::string ReadVector(const std::string& name);

// Every line of a JSON-lines sink, parsed with protobuf's own JSON parser (an oracle
// independent of the gateway's codec). Fails on a line that does not parse.
absl::StatusOr<std::vector<v1::Event>> ReadJsonLines(const std::filesystem::path& path);

// Stops the gateway with SIGTERM (so every queued event is written) and expects exit 0.
void StopCleanly(GatewayProcess& gateway);

// Stops the gateway cleanly, then reads its JSON-lines sink ({dir}/events.jsonl of
// DefaultTestConfig); an unreadable sink fails the test.
std::vector<v1::Event> StopAndReadSink(GatewayProcess& gateway);

// `text` with the one occurrence of `from` replaced by `to`; fails the test when absent.
std::string ReplaceOnce(std::string text, const std::string& from, const std::string& to);

// GET on the admin listener; the body, or the transport error as text.
std::string AdminGet(const GatewayProcess& gateway, const std::string& path);

}  // namespace chaukas::testing
