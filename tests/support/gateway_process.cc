#include "tests/support/gateway_process.h"

#include <signal.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "simdjson.h"
#include "tests/support/subprocess.h"

namespace chaukas::testing {
namespace {

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
  absl::StatusOr<pid_t> pid = SpawnProcess(argv, (gateway->dir() / "gateway.log").string(), {});
  if (!pid.ok()) return pid.status();
  gateway->pid_ = *pid;

  const absl::Time deadline = absl::Now() + timeout;
  while (!std::filesystem::exists(addresses_file)) {
    const int exit_code = WaitForExit(gateway->pid_, absl::Now());
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
  const pid_t pid = pid_;
  pid_ = -1;
  return StopProcess(pid, signal, timeout, "gateway");
}

std::string GatewayProcess::log() const { return ReadFile(dir() / "gateway.log"); }

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::vector<std::string>& extra_env) {
  TempDir dir;
  const std::string output = (dir.path() / "output").string();
  absl::StatusOr<pid_t> pid = SpawnProcess(argv, output, extra_env);
  if (!pid.ok()) return pid.status();
  const int exit_code = WaitForExit(*pid, absl::Now() + timeout);
  if (exit_code < 0) {
    kill(*pid, SIGKILL);
    WaitForExit(*pid, absl::InfiniteFuture());
    return absl::DeadlineExceededError(absl::StrCat(argv[0], " did not finish within ",
                                                    absl::FormatDuration(timeout), ":\n",
                                                    ReadFile(output)));
  }
  return CommandResult{exit_code, ReadFile(output)};
}

std::string TestConfig(const std::string& clusters_yaml, const std::string& routes_yaml) {
  return absl::StrCat(R"(
admin: {address: 127.0.0.1:0}
listeners:
  grpc: {address: 127.0.0.1:0}
  http: {address: 127.0.0.1:0, threads: 2}
filters:
  - name: validate
routes:
)",
                      routes_yaml, "clusters:\n", clusters_yaml);
}

std::string DefaultTestConfig(const std::string& extra_cluster_yaml) {
  return TestConfig(
      absl::StrCat("  - name: local\n    protocol: file\n    path: {dir}/events.jsonl\n",
                   extra_cluster_yaml),
      "  - match: {}\n    cluster: local\n");
}

}  // namespace chaukas::testing
