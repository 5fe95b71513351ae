// chaukas-gateway: flags, signals, start and stop. Everything else lives in the libraries.

#include <openssl/rand.h>
#include <signal.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "config/loader.h"
#include "filters/tenant_auth/tenant_auth_config.h"
#include "gateway/common/log.h"
#include "gateway/server/gateway_server.h"

namespace {

constexpr char kVersion[] = "chaukas-gateway 0.1.0 (Chaukas spec v1.0.5)";
constexpr char kUsage[] =
    "usage: chaukas-gateway [--config FILE] [--validate] [--bound-addresses-file FILE]\n"
    "                       [--drain-timeout-ms N] [--log-level debug|info|warning|error]\n"
    "\n"
    "  --config FILE               the YAML config (default: config/gateway.yaml)\n"
    "  --validate                  check the config completely, print the result, and exit\n"
    "  --bound-addresses-file FILE once every listener is up, write its address there as\n"
    "                              JSON (useful with port 0)\n"
    "  --drain-timeout-ms N        on SIGTERM/SIGINT, how long to finish requests and write\n"
    "                              out queued events (default 10000)\n"
    "  --log-level LEVEL           default info\n"
    "  --version, --help\n"
    "\n"
    "       chaukas-gateway hash-key [--generate]\n"
    "\n"
    "  Prints the SHA-256 that tenant_auth's `keys:` takes for an API key read from stdin\n"
    "  (stdin, so the key stays out of shell history and ps). --generate makes a new random\n"
    "  key and prints it, then its SHA-256.\n";

struct Flags {
  std::string config = "config/gateway.yaml";
  bool validate = false;
  std::string bound_addresses_file;
  int64_t drain_timeout_ms = 10'000;
  chaukas::LogLevel log_level = chaukas::LogLevel::kInfo;
};

absl::Status ParseLogLevel(std::string_view text, chaukas::LogLevel& level) {
  if (text == "debug")
    level = chaukas::LogLevel::kDebug;
  else if (text == "info")
    level = chaukas::LogLevel::kInfo;
  else if (text == "warning")
    level = chaukas::LogLevel::kWarning;
  else if (text == "error")
    level = chaukas::LogLevel::kError;
  else
    return absl::InvalidArgumentError(
        absl::StrCat("--log-level: unknown level \"", std::string(text), "\""));
  return absl::OkStatus();
}

// Returns a non-OK status for bad flags; exits for --help and --version.
absl::Status ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> absl::StatusOr<std::string> {
      if (i + 1 >= argc)
        return absl::InvalidArgumentError(absl::StrCat(std::string(arg), " needs a value"));
      return std::string(argv[++i]);
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (arg == "--version") {
      std::cout << kVersion << "\n";
      std::exit(0);
    } else if (arg == "--validate") {
      flags.validate = true;
    } else if (arg == "--config" || arg == "-c") {
      absl::StatusOr<std::string> path = value();
      if (!path.ok()) return path.status();
      flags.config = *path;
    } else if (arg == "--bound-addresses-file") {
      absl::StatusOr<std::string> path = value();
      if (!path.ok()) return path.status();
      flags.bound_addresses_file = *path;
    } else if (arg == "--drain-timeout-ms") {
      absl::StatusOr<std::string> text = value();
      if (!text.ok()) return text.status();
      auto [end, ec] =
          std::from_chars(text->data(), text->data() + text->size(), flags.drain_timeout_ms);
      if (ec != std::errc() || end != text->data() + text->size() || flags.drain_timeout_ms < 0) {
        return absl::InvalidArgumentError("--drain-timeout-ms needs a number of milliseconds >= 0");
      }
    } else if (arg == "--log-level") {
      absl::StatusOr<std::string> text = value();
      if (!text.ok()) return text.status();
      if (absl::Status status = ParseLogLevel(*text, flags.log_level); !status.ok()) return status;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown argument \"", std::string(arg), "\"\n", kUsage));
    }
  }
  return absl::OkStatus();
}

// Written to a temporary name and renamed, so a reader never sees half a file.
absl::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << content << "\n";
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", temporary));
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error)
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", error.message()));
  return absl::OkStatus();
}

// Blocks the signals this process handles, in every thread it will start: they are taken
// one at a time by WaitForShutdownSignal on the main thread.
sigset_t BlockHandledSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a peer closing mid-write is an error code, not a death
  return signals;
}

void WaitForShutdownSignal(const sigset_t& signals) {
  while (true) {
    int signal_number = 0;
    if (sigwait(&signals, &signal_number) != 0) continue;
    if (signal_number == SIGHUP) {
      chaukas::Log(chaukas::LogLevel::kWarning,
                   "SIGHUP: config reload is not supported yet; restart to apply changes");
      continue;
    }
    chaukas::Log(chaukas::LogLevel::kInfo,
                 absl::StrCat("received ", strsignal(signal_number), "; draining"));
    return;
  }
}

int Fail(const absl::Status& status) {
  std::cerr << "chaukas-gateway: " << status.message() << "\n";
  return 1;
}

// `chaukas-gateway hash-key [--generate]`.
int HashKey(int argc, char** argv) {
  std::string key;
  if (argc == 3 && std::string_view(argv[2]) == "--generate") {
    unsigned char random[32];
    if (RAND_bytes(random, sizeof(random)) != 1) {
      return Fail(absl::InternalError("no randomness from OpenSSL"));
    }
    // URL-safe, so it fits headers, env files and YAML without quoting.
    key = "chk_" + absl::WebSafeBase64Escape(
                       absl::string_view(reinterpret_cast<const char*>(random), sizeof(random)));
    std::cout << key << "\n";
  } else if (argc == 2) {
    std::getline(std::cin, key);
    if (!key.empty() && key.back() == '\r') key.pop_back();
    if (key.empty()) return Fail(absl::InvalidArgumentError("hash-key: no key on stdin"));
  } else {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("hash-key takes no argument but --generate\n", kUsage)));
  }
  std::cout << chaukas::filters::tenant_auth::Sha256Hex(key) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "hash-key") return HashKey(argc, argv);
  Flags flags;
  if (absl::Status status = ParseFlags(argc, argv, flags); !status.ok()) return Fail(status);
  chaukas::SetMinLogLevel(flags.log_level);
  // Debian's abseil is built with mutex deadlock detection on: every absl::Mutex operation,
  // gRPC's included, then takes a global lock (15-20% of a null gRPC server's throughput,
  // measured). It is a debugging aid; the tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const sigset_t signals = BlockHandledSignals();

  absl::StatusOr<chaukas::config::GatewayConfig> config =
      chaukas::config::LoadConfigFile(flags.config);
  if (!config.ok()) return Fail(config.status());
  absl::StatusOr<std::unique_ptr<chaukas::server::GatewayServer>> server =
      chaukas::server::GatewayServer::Create(*std::move(config));
  if (!server.ok()) return Fail(server.status());
  if (flags.validate) {
    std::cout << flags.config << ": OK\n";
    return 0;
  }

  if (absl::Status status = (*server)->Start(); !status.ok()) return Fail(status);
  if (!flags.bound_addresses_file.empty()) {
    absl::Status status =
        WriteFileAtomically(flags.bound_addresses_file, (*server)->BoundAddressesJson());
    if (!status.ok()) return Fail(status);
  }
  WaitForShutdownSignal(signals);
  (*server)->Shutdown(absl::Milliseconds(flags.drain_timeout_ms));
  chaukas::Log(chaukas::LogLevel::kInfo, "stopped");
  return 0;
}
