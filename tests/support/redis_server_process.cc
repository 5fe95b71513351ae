#include "tests/support/redis_server_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/subprocess.h"

namespace chaukas::testing {
namespace {

// Debian's server; REDIS_SERVER overrides it.
constexpr char kDefaultRedisServer[] = "/usr/bin/redis-server";
constexpr char kLogFile[] = "redis.log";
constexpr int kStartAttempts = 5;

std::string RedisServerBinary() {
  const char* binary = std::getenv("REDIS_SERVER");
  return binary != nullptr && *binary != '\0' ? binary : kDefaultRedisServer;
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// True when something on the port answers PING as Redis does (NOAUTH included: a server
// started with --requirepass is up too). Raw RESP over a socket, so the helper needs no
// client library.
bool AnswersPing(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const timeval timeout = {0, 200'000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  const sockaddr_in address = Loopback(port);
  bool answered = false;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
    constexpr std::string_view kPing = "*1\r\n$4\r\nPING\r\n";
    char reply[64];
    if (send(fd, kPing.data(), kPing.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(kPing.size())) {
      const ssize_t received = recv(fd, reply, sizeof(reply), 0);
      const std::string_view text(reply, received > 0 ? static_cast<size_t>(received) : 0);
      answered = text.starts_with("+PONG") || text.starts_with("-NOAUTH");
    }
  }
  close(fd);
  return answered;
}

}  // namespace

absl::StatusOr<uint16_t> PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string error = strerror(errno);
    close(fd);
    return absl::InternalError(absl::StrCat("picking a free port: ", error));
  }
  close(fd);
  return ntohs(address.sin_port);
}

absl::StatusOr<std::unique_ptr<RedisServerProcess>> RedisServerProcess::Start(
    uint16_t port, std::vector<std::string> extra_args) {
  std::unique_ptr<RedisServerProcess> server(new RedisServerProcess(port, std::move(extra_args)));
  absl::Status status;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    if (port == 0) {
      absl::StatusOr<uint16_t> free_port = PickFreePort();
      if (!free_port.ok()) return free_port.status();
      server->port_ = *free_port;
    }
    status = server->Launch(absl::Seconds(10));
    // Unavailable: the port was taken between picking and binding; any other error is final.
    if (status.ok()) return server;
    if (status.code() != absl::StatusCode::kUnavailable || port != 0) return status;
  }
  return status;
}

RedisServerProcess::~RedisServerProcess() { Kill(); }

std::string RedisServerProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

absl::Status RedisServerProcess::Launch(absl::Duration timeout) {
  std::vector<std::string> argv = {RedisServerBinary(),
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--daemonize",
                                   "no",
                                   "--dir",
                                   dir_.path().string()};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  absl::StatusOr<pid_t> pid = SpawnProcess(argv, dir_.Join(kLogFile).string());
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  const absl::Time deadline = absl::Now() + timeout;
  while (!AnswersPing(port_)) {
    const int exit_code = WaitForExit(pid_, absl::Now());
    if (exit_code >= 0) {
      pid_ = -1;
      const std::string output = log();
      const std::string message =
          absl::StrCat(argv[0], " on port ", port_, " exited with ", exit_code, ":\n", output);
      if (absl::StrContains(output, "Address already in use")) {
        return absl::UnavailableError(message);
      }
      return absl::InternalError(message);
    }
    if (absl::Now() > deadline) {
      Kill();
      return absl::DeadlineExceededError(absl::StrCat(argv[0], " did not answer PING within ",
                                                      absl::FormatDuration(timeout), ":\n", log()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return absl::OkStatus();
}

void RedisServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  WaitForExit(pid_, absl::InfiniteFuture());
  pid_ = -1;
}

absl::Status RedisServerProcess::Restart() {
  Kill();
  // Redis binds with SO_REUSEADDR, so the port is free again at once; the retries cover
  // another process holding it briefly meanwhile.
  absl::Status status;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    status = Launch(absl::Seconds(10));
    if (status.code() != absl::StatusCode::kUnavailable) return status;
  }
  return status;
}

std::string RedisServerProcess::log() const { return ReadFile(dir_.Join(kLogFile)); }

}  // namespace chaukas::testing
