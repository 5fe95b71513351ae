#include "tests/support/gateway_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "simdjson.h"

namespace chaukas::testing {
namespace {

// Starts argv[0] with stdout+stderr appended to `output_path`. Only async-signal-safe calls
// happen between fork and exec (the test process has threads).
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& output_path,
                            const std::vector<std::string>& extra_env) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** entry = environ; *entry != nullptr; ++entry) env_storage.emplace_back(*entry);
  env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> env;
  for (const std::string& entry : env_storage) env.push_back(const_cast<char*>(entry.c_str()));
  env.push_back(nullptr);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int fd = open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  return pid;
}

// Waits for `pid` until `deadline`: its exit code, or -1 while it still runs.
int WaitUntil(pid_t pid, absl::Time deadline) {
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (absl::Now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// The port of `key` ("127.0.0.1:41234") in the bound addresses file; 0 when absent.
uint16_t PortOf(simdjson::dom::element addresses, const char* key) {
  std::string_view address;
  if (addresses[key].get_string().get(address) != simdjson::SUCCESS) return 0;
  const size_t colon = address.rfind(':');
  return static_cast<uint16_t>(std::stoi(std::string(address.substr(colon + 1))));
}

}  // namespace

absl::StatusOr<std::unique_ptr<GatewayProcess>> GatewayProcess::Start(
    const std::string& config_yaml, const std::vector<std::string>& extra_args,
    absl::Duration timeout) {
  std::unique_ptr<GatewayProcess> gateway(new GatewayProcess());
  const std::string dir = gateway->dir().string();
  const auto config =
      gateway->dir_.WriteFile("gateway.yaml", absl::StrReplaceAll(config_yaml, {{"{dir}", dir}}));
  const std::filesystem::path addresses_file = gateway->dir() / "addresses.json";
  std::vector<std::string> argv = {GatewayBinary(), "--config", config.string(),
                                   "--bound-addresses-file", addresses_file.string()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  absl::StatusOr<pid_t> pid = Spawn(argv, (gateway->dir() / "gateway.log").string(), {});
  if (!pid.ok()) return pid.status();
  gateway->pid_ = *pid;

  const absl::Time deadline = absl::Now() + timeout;
  while (!std::filesystem::exists(addresses_file)) {
    const int exit_code = WaitUntil(gateway->pid_, absl::Now());
    if (exit_code >= 0) {
      gateway->pid_ = -1;
      return absl::InternalError(
          absl::StrCat("gateway exited with ", exit_code, " before listening:\n", gateway->log()));
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "gateway did not start within ", absl::FormatDuration(timeout), ":\n", gateway->log()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  simdjson::dom::parser parser;
  simdjson::dom::element addresses;
  if (parser.parse(ReadFile(addresses_file)).get(addresses) != simdjson::SUCCESS) {
    return absl::InternalError("unreadable bound addresses file");
  }
  gateway->grpc_port_ = PortOf(addresses, "grpc");
  gateway->http_port_ = PortOf(addresses, "http");
  gateway->admin_port_ = PortOf(addresses, "admin");
  return gateway;
}

GatewayProcess::~GatewayProcess() {
  if (pid_ > 0) (void)Stop(SIGTERM, absl::Seconds(20));
}

absl::StatusOr<int> GatewayProcess::Stop(int signal, absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  kill(pid_, signal);
  int exit_code = WaitUntil(pid_, absl::Now() + timeout);
  if (exit_code < 0) {
    kill(pid_, SIGKILL);
    exit_code = WaitUntil(pid_, absl::InfiniteFuture());
    pid_ = -1;
    return absl::DeadlineExceededError(
        absl::StrCat("gateway did not exit within ", absl::FormatDuration(timeout)));
  }
  pid_ = -1;
  return exit_code;
}

std::string GatewayProcess::log() const { return ReadFile(dir() / "gateway.log"); }

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::vector<std::string>& extra_env) {
  TempDir dir;
  const std::string output = (dir.path() / "output").string();
  absl::StatusOr<pid_t> pid = Spawn(argv, output, extra_env);
  if (!pid.ok()) return pid.status();
  int exit_code = WaitUntil(*pid, absl::Now() + timeout);
  if (exit_code < 0) {
    kill(*pid, SIGKILL);
    WaitUntil(*pid, absl::InfiniteFuture());
    return absl::DeadlineExceededError(absl::StrCat(argv[0], " did not finish within ",
                                                    absl::FormatDuration(timeout), ":\n",
                                                    ReadFile(output)));
  }
  return CommandResult{exit_code, ReadFile(output)};
}

std::string DefaultTestConfig(const std::string& extra_cluster_yaml) {
  return absl::StrCat(R"(
admin: {address: 127.0.0.1:0}
listeners:
  grpc: {address: 127.0.0.1:0}
  http: {address: 127.0.0.1:0, threads: 2}
filters:
  - name: validate
routes:
  - match: {}
    cluster: local
clusters:
  - name: local
    protocol: file
    path: {dir}/events.jsonl
)",
                      extra_cluster_yaml);
}

}  // namespace chaukas::testing
