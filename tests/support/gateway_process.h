#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/temp_dir.h"

namespace chaukas::testing {

// A real chaukas-gateway process for integration tests. Writes the config into a fresh
// temp dir (every "{dir}" in it becomes that dir's path), starts the binary with
// --bound-addresses-file, and waits until every listener is up. The destructor stops it
// (SIGTERM, then SIGKILL) and removes the dir. The child dies with the test process.
class GatewayProcess {
 public:
  static absl::StatusOr<std::unique_ptr<GatewayProcess>> Start(
      const std::string& config_yaml, const std::vector<std::string>& extra_args = {},
      absl::Duration timeout = absl::Seconds(30));
  ~GatewayProcess();

  uint16_t grpc_port() const { return grpc_port_; }
  uint16_t http_port() const { return http_port_; }
  uint16_t admin_port() const { return admin_port_; }
  std::string grpc_target() const { return "127.0.0.1:" + std::to_string(grpc_port_); }
  const std::filesystem::path& dir() const { return dir_.path(); }

  // Sends `signal` and waits for the exit; returns the exit code (128 + signal when killed).
  absl::StatusOr<int> Stop(int signal, absl::Duration timeout = absl::Seconds(30));
  bool running() const { return pid_ > 0; }
  // Everything the gateway wrote to stderr so far.
  std::string log() const;

 private:
  GatewayProcess() = default;

  TempDir dir_;
  pid_t pid_ = -1;
  uint16_t grpc_port_ = 0;
  uint16_t http_port_ = 0;
  uint16_t admin_port_ = 0;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

// Runs a command to completion (killing it past `timeout`), capturing its output. argv[0]
// is a path (no PATH search); `extra_env` entries are NAME=value.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout = absl::Seconds(60),
                                         const std::vector<std::string>& extra_env = {});

// The gateway binary under test.
inline std::string GatewayBinary() { return CHAUKAS_GATEWAY_BINARY; }

// A test config: admin, grpc and http on port 0, the validate filter, and the given clusters
// and routes (YAML list items indented by two spaces).
std::string TestConfig(const std::string& clusters_yaml, const std::string& routes_yaml);

// TestConfig with one JSON-lines file cluster "local" at {dir}/events.jsonl taking every
// event. `extra_cluster_yaml` is appended to the cluster.
std::string DefaultTestConfig(const std::string& extra_cluster_yaml = "");

}  // namespace chaukas::testing
