#include "tests/support/backend_process.h"

#include <signal.h>

#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/support/subprocess.h"

namespace chaukas::testing {
namespace {

// Debian's interpreter: the one with python3-grpcio and python3-protobuf.
constexpr char kPython[] = "/usr/bin/python3";

constexpr char kRecordFile[] = "record.tsv";
constexpr char kMetadataFile[] = "metadata.txt";
constexpr char kControlFile[] = "control";
constexpr char kGrpcPortFile[] = "grpc.port";
constexpr char kHttpPortFile[] = "http.port";
constexpr char kLogFile[] = "backend.log";

// The complete lines of a file; a line still being written (no newline yet) is left out.
std::vector<std::string> CompleteLines(const std::filesystem::path& path) {
  const std::string content = ReadFile(path);
  std::vector<std::string> lines = absl::StrSplit(content, '\n');
  lines.pop_back();  // after the last newline: "" or an incomplete line
  return lines;
}

// The port a backend wrote to `path`; 0 when unreadable.
uint16_t ReadPort(const std::filesystem::path& path) {
  uint32_t port = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(path)), &port) || port > 65535) {
    return 0;
  }
  return static_cast<uint16_t>(port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<BackendProcess>> BackendProcess::Start(
    Kind kind, uint16_t grpc_port, uint16_t http_port, std::vector<std::string> extra_args) {
  std::unique_ptr<BackendProcess> backend(new BackendProcess(kind));
  backend->extra_args_ = std::move(extra_args);
  backend->grpc_port_ = grpc_port;
  backend->http_port_ = kind == Kind::kPython ? http_port : 0;
  if (absl::Status status = backend->Launch(absl::Seconds(30)); !status.ok()) return status;
  return backend;
}

BackendProcess::~BackendProcess() {
  if (pid_ > 0) (void)StopProcess(pid_, SIGTERM, absl::Seconds(20), "backend");
}

std::string BackendProcess::grpc_address() const { return absl::StrCat("127.0.0.1:", grpc_port_); }

std::string BackendProcess::http_base_url() const {
  return absl::StrCat("http://127.0.0.1:", http_port_);
}

absl::Status BackendProcess::Launch(absl::Duration timeout) {
  const std::filesystem::path grpc_port_file = dir() / kGrpcPortFile;
  const std::filesystem::path http_port_file = dir() / kHttpPortFile;
  std::error_code ignored;
  std::filesystem::remove(grpc_port_file, ignored);
  std::filesystem::remove(http_port_file, ignored);

  const std::vector<std::string> files = {"--record",          (dir() / kRecordFile).string(),
                                          "--metadata-record", (dir() / kMetadataFile).string(),
                                          "--control",         (dir() / kControlFile).string()};
  std::vector<std::string> argv;
  std::vector<std::filesystem::path> port_files = {grpc_port_file};
  if (kind_ == Kind::kCpp) {
    argv = {CHAUKAS_TEST_BACKEND_BINARY, "--port", std::to_string(grpc_port_), "--port-file",
            grpc_port_file.string()};
  } else {
    argv = {kPython,
            CHAUKAS_PYTHON_BACKEND,
            "--grpc-port",
            std::to_string(grpc_port_),
            "--grpc-port-file",
            grpc_port_file.string(),
            "--http-port",
            std::to_string(http_port_),
            "--http-port-file",
            http_port_file.string()};
    port_files.push_back(http_port_file);
  }
  argv.insert(argv.end(), files.begin(), files.end());
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());

  absl::StatusOr<pid_t> pid = SpawnProcess(argv, (dir() / kLogFile).string());
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  const absl::Time deadline = absl::Now() + timeout;
  const auto listening = [&] {
    for (const auto& file : port_files) {
      if (!std::filesystem::exists(file)) return false;
    }
    return true;
  };
  while (!listening()) {
    const int exit_code = WaitForExit(pid_, absl::Now());
    if (exit_code >= 0) {
      pid_ = -1;
      return absl::InternalError(
          absl::StrCat(argv[0], " exited with ", exit_code, " before listening:\n", log()));
    }
    if (absl::Now() > deadline) {
      (void)Kill();
      return absl::DeadlineExceededError(absl::StrCat(argv[0], " did not listen within ",
                                                      absl::FormatDuration(timeout), ":\n", log()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  grpc_port_ = ReadPort(grpc_port_file);
  if (kind_ == Kind::kPython) http_port_ = ReadPort(http_port_file);
  if (grpc_port_ == 0 || (kind_ == Kind::kPython && http_port_ == 0)) {
    (void)Kill();
    return absl::InternalError(absl::StrCat("unreadable port file in ", dir().string()));
  }
  return absl::OkStatus();
}

void BackendProcess::SetMode(const std::string& mode) {
  // The backend starts a new mode whenever the content changes: the counter line makes
  // every write a change. Renamed into place, so the backend never reads half a file.
  const std::string content = absl::StrCat(mode, "\n# write ", ++mode_writes_, "\n");
  const std::filesystem::path temporary = dir_.WriteFile("control.tmp", content);
  std::filesystem::rename(temporary, dir() / kControlFile);
}

absl::Status BackendProcess::Stop(absl::Duration timeout) {
  if (pid_ <= 0) return absl::OkStatus();
  const pid_t pid = pid_;
  pid_ = -1;
  absl::StatusOr<int> exit_code = StopProcess(pid, SIGTERM, timeout, "backend");
  if (!exit_code.ok()) {
    return absl::Status(exit_code.status().code(),
                        absl::StrCat(exit_code.status().message(), ":\n", log()));
  }
  if (*exit_code != 0) {
    return absl::InternalError(absl::StrCat("backend exited with ", *exit_code, ":\n", log()));
  }
  return absl::OkStatus();
}

absl::Status BackendProcess::Kill() {
  if (pid_ <= 0) return absl::OkStatus();
  kill(pid_, SIGKILL);
  WaitForExit(pid_, absl::InfiniteFuture());
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status BackendProcess::Restart() {
  if (absl::Status status = Stop(); !status.ok()) return status;
  // SO_REUSEADDR lets the port be bound again at once; the retries cover the rare case of
  // another process taking the freed port meanwhile, for as long as it holds it briefly.
  absl::Status status;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    status = Launch(absl::Seconds(30));
    if (status.ok() || status.code() != absl::StatusCode::kInternal) return status;
  }
  return status;
}

std::vector<BackendProcess::Received> BackendProcess::ReceivedEvents() const {
  std::vector<Received> received;
  for (const std::string& line : CompleteLines(dir() / kRecordFile)) {
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    Received event;
    if (fields.size() != 4 || !absl::SimpleAtoi(fields[3], &event.call)) continue;
    event.event_id = std::move(fields[0]);
    event.tenant_id = std::move(fields[1]);
    event.session_id = std::move(fields[2]);
    received.push_back(std::move(event));
  }
  return received;
}

std::vector<std::string> BackendProcess::ReceivedEventIds() const {
  std::vector<std::string> ids;
  for (Received& event : ReceivedEvents()) ids.push_back(std::move(event.event_id));
  return ids;
}

int BackendProcess::calls() const {
  return static_cast<int>(CompleteLines(dir() / kMetadataFile).size());
}

std::vector<std::string> BackendProcess::MetadataLines() const {
  return CompleteLines(dir() / kMetadataFile);
}

std::string BackendProcess::log() const { return ReadFile(dir() / kLogFile); }

}  // namespace chaukas::testing
