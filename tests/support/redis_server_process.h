#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/temp_dir.h"

namespace chaukas::testing {

// A real redis-server for tests, on 127.0.0.1 and a free port, with persistence off
// (--save "" --appendonly no) and its working dir and log in a temp dir. Start returns once
// it answers PING; the destructor kills it. The child also dies with the test process.
class RedisServerProcess {
 public:
  // Picks a free port unless one is given, and retries with another when someone else takes it
  // first. `extra_args` go on every start's command line (e.g. {"--requirepass", "secret"}).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RedisServerProcess>> Start(
      uint16_t port = 0, std::vector<std::string> extra_args = {});
  ~RedisServerProcess();
  RedisServerProcess(const RedisServerProcess&) = delete;
  RedisServerProcess& operator=(const RedisServerProcess&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const;  // "127.0.0.1:port"
  bool running() const { return pid_ > 0; }

  // SIGKILL, as a crash: clients see their connections drop, then connects refused.
  void Kill();
  // Starts it again (killing it first when running) on the same port, empty.
  [[nodiscard]] absl::Status Restart();
  // Everything the server logged so far.
  std::string log() const;

 private:
  RedisServerProcess(uint16_t port, std::vector<std::string> extra_args)
      : port_(port), extra_args_(std::move(extra_args)) {}
  // Starts the server on port_ and waits until it answers PING.
  [[nodiscard]] absl::Status Launch(absl::Duration timeout);

  uint16_t port_;
  const std::vector<std::string> extra_args_;
  TempDir dir_;
  pid_t pid_ = -1;
};

// A port nobody listens on at the moment of the call: bound to port 0 and released.
[[nodiscard]] absl::StatusOr<uint16_t> PickFreePort();

}  // namespace chaukas::testing
