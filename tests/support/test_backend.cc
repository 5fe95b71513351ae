// chaukas-test-backend: a Chaukas backend (the whole ChaukasServerService over gRPC) for
// integration tests. It records every event it accepts, by event_id, in a file a test reads,
// and misbehaves on command through a control file. tests/support/python_backend.py does the
// same in Python, over gRPC and HTTP; tests/support/backend_process.h drives both.

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chaukas/spec/server/v1/server.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace {

namespace common_v1 = chaukas::spec::common::v1;
namespace server_v1 = chaukas::spec::server::v1;

constexpr char kUsage[] =
    "usage: chaukas-test-backend [--port N] [--port-file FILE] [--record FILE]\n"
    "                            [--metadata-record FILE] [--control FILE]\n"
    "\n"
    "  --port N                 listen on 127.0.0.1:N (default 0: an ephemeral port)\n"
    "  --port-file FILE         once listening, write the bound port there (atomically)\n"
    "  --record FILE            per accepted event: event_id TAB tenant_id TAB session_id TAB\n"
    "                           call_number, appended and flushed before the answer\n"
    "  --metadata-record FILE   per ingest call: its authorization, x-api-key and x-* metadata\n"
    "                           as name=value;name=value (calls are numbered on from the\n"
    "                           lines already there, so a restart keeps counting)\n"
    "  --control FILE           the mode, re-read before each call (missing or empty: ok):\n"
    "                             ok | fail CODE [MESSAGE] | fail_then_ok N CODE | stall |\n"
    "                             reject ID... | unhealthy\n"
    "                           CODE is a gRPC code name or number, or an HTTP status\n"
    "  --tls-cert FILE --tls-key FILE\n"
    "                           serve TLS with this PEM certificate chain and key\n";

struct Flags {
  uint16_t port = 0;
  std::string port_file;
  std::string record;
  std::string metadata_record;
  std::string control;
  std::string tls_cert;
  std::string tls_key;
};

absl::Status ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (i + 1 >= argc) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown argument or missing value: ", std::string(arg), "\n", kUsage));
    }
    const std::string value = argv[++i];
    if (arg == "--port") {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), flags.port);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return absl::InvalidArgumentError("--port needs a number between 0 and 65535");
      }
    } else if (arg == "--port-file") {
      flags.port_file = value;
    } else if (arg == "--record") {
      flags.record = value;
    } else if (arg == "--metadata-record") {
      flags.metadata_record = value;
    } else if (arg == "--control") {
      flags.control = value;
    } else if (arg == "--tls-cert") {
      flags.tls_cert = value;
    } else if (arg == "--tls-key") {
      flags.tls_key = value;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown argument \"", std::string(arg), "\"\n", kUsage));
    }
  }
  return absl::OkStatus();
}

// Record lines are tab-separated and metadata lines ;-separated: keep client text from
// breaking either.
std::string OneField(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r' || c == ';') c = '?';
  }
  return out;
}

// ---- Control modes -------------------------------------------------------------------------

// One line of the control file.
struct Mode {
  enum class Kind { kOk, kFail, kFailThenOk, kStall, kReject, kUnhealthy };
  Kind kind = Kind::kOk;
  grpc::StatusCode code = grpc::StatusCode::OK;   // kFail, kFailThenOk
  std::string message;                            // kFail: the status message
  int fail_count = 0;                             // kFailThenOk: N
  absl::flat_hash_set<std::string> rejected_ids;  // kReject
};

constexpr std::pair<std::string_view, grpc::StatusCode> kCodeNames[] = {
    {"OK", grpc::StatusCode::OK},
    {"CANCELLED", grpc::StatusCode::CANCELLED},
    {"UNKNOWN", grpc::StatusCode::UNKNOWN},
    {"INVALID_ARGUMENT", grpc::StatusCode::INVALID_ARGUMENT},
    {"DEADLINE_EXCEEDED", grpc::StatusCode::DEADLINE_EXCEEDED},
    {"NOT_FOUND", grpc::StatusCode::NOT_FOUND},
    {"ALREADY_EXISTS", grpc::StatusCode::ALREADY_EXISTS},
    {"PERMISSION_DENIED", grpc::StatusCode::PERMISSION_DENIED},
    {"RESOURCE_EXHAUSTED", grpc::StatusCode::RESOURCE_EXHAUSTED},
    {"FAILED_PRECONDITION", grpc::StatusCode::FAILED_PRECONDITION},
    {"ABORTED", grpc::StatusCode::ABORTED},
    {"OUT_OF_RANGE", grpc::StatusCode::OUT_OF_RANGE},
    {"UNIMPLEMENTED", grpc::StatusCode::UNIMPLEMENTED},
    {"INTERNAL", grpc::StatusCode::INTERNAL},
    {"UNAVAILABLE", grpc::StatusCode::UNAVAILABLE},
    {"DATA_LOSS", grpc::StatusCode::DATA_LOSS},
    {"UNAUTHENTICATED", grpc::StatusCode::UNAUTHENTICATED},
};

std::string_view CodeName(grpc::StatusCode code) {
  for (const auto& [name, value] : kCodeNames) {
    if (value == code) return name;
  }
  return "UNKNOWN";
}

// An HTTP status as the gRPC code a backend would answer instead; python_backend.py maps the
// same way in both directions.
grpc::StatusCode CodeOfHttpStatus(int status) {
  switch (status) {
    case 400:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case 401:
      return grpc::StatusCode::UNAUTHENTICATED;
    case 403:
      return grpc::StatusCode::PERMISSION_DENIED;
    case 404:
      return grpc::StatusCode::NOT_FOUND;
    case 409:
      return grpc::StatusCode::ABORTED;
    case 429:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case 501:
      return grpc::StatusCode::UNIMPLEMENTED;
    case 502:
    case 503:
      return grpc::StatusCode::UNAVAILABLE;
    case 504:
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    default:
      return status < 500 ? grpc::StatusCode::FAILED_PRECONDITION : grpc::StatusCode::INTERNAL;
  }
}

// A gRPC code name ("UNAVAILABLE"), a gRPC code number (0-16) or an HTTP status (100-599).
absl::StatusOr<grpc::StatusCode> ParseCode(std::string_view text) {
  for (const auto& [name, code] : kCodeNames) {
    if (text == name) return code;
  }
  int number = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size()) {
    if (number >= 0 && number <= 16) return static_cast<grpc::StatusCode>(number);
    if (number >= 100 && number <= 599) return CodeOfHttpStatus(number);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", std::string(text), "\" is not a gRPC code or HTTP status"));
}

absl::StatusOr<Mode> ParseMode(std::string_view line) {
  std::istringstream words{std::string(line)};
  std::string verb;
  words >> verb;
  Mode mode;
  if (verb.empty() || verb == "ok") return mode;
  if (verb == "stall") {
    mode.kind = Mode::Kind::kStall;
  } else if (verb == "unhealthy") {
    mode.kind = Mode::Kind::kUnhealthy;
  } else if (verb == "reject") {
    mode.kind = Mode::Kind::kReject;
    for (std::string id; words >> id;) mode.rejected_ids.insert(id);
  } else if (verb == "fail" || verb == "fail_then_ok") {
    mode.kind = verb == "fail" ? Mode::Kind::kFail : Mode::Kind::kFailThenOk;
    if (mode.kind == Mode::Kind::kFailThenOk && !(words >> mode.fail_count)) {
      return absl::InvalidArgumentError("fail_then_ok needs a count: fail_then_ok N CODE");
    }
    std::string code_text;
    words >> code_text;
    absl::StatusOr<grpc::StatusCode> code = ParseCode(code_text);
    if (!code.ok()) return code.status();
    mode.code = *code;
    std::getline(words >> std::ws, mode.message);
    if (mode.message.empty()) mode.message = absl::StrCat("test backend mode: ", std::string(line));
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown mode \"", verb, "\""));
  }
  return mode;
}

// The --control file, read again before every call (it is a few bytes). Any change of its
// content starts a new mode, so a fail_then_ok written anew fails N more calls.
class ControlFile {
 public:
  explicit ControlFile(std::string path) : path_(std::move(path)) {}

  // The mode in force, for calls other than ingest.
  Mode Current() {
    absl::MutexLock lock(&mu_);
    Reload();
    return mode_;
  }

  // The mode that applies to one ingest call: fail_then_ok becomes fail (using up one of its
  // failures) or ok.
  Mode TakeForIngest() {
    absl::MutexLock lock(&mu_);
    Reload();
    if (mode_.kind != Mode::Kind::kFailThenOk) return mode_;
    Mode mode;
    if (failures_left_ > 0) {
      --failures_left_;
      mode.kind = Mode::Kind::kFail;
      mode.code = mode_.code;
      mode.message = mode_.message;
    }
    return mode;
  }

 private:
  void Reload() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::string content;
    if (!path_.empty()) {
      std::ifstream in(path_, std::ios::binary);
      content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (content == content_) return;
    content_ = content;
    const std::string first_line = content.substr(0, content.find('\n'));
    absl::StatusOr<Mode> mode = ParseMode(first_line);
    if (mode.ok()) {
      mode_ = *std::move(mode);
    } else {
      // Loud rather than ignored: every ingest call fails and names the mistake.
      std::cerr << "chaukas-test-backend: control file: " << mode.status().message() << "\n";
      mode_ = Mode{};
      mode_.kind = Mode::Kind::kFail;
      mode_.code = grpc::StatusCode::INTERNAL;
      mode_.message = absl::StrCat("bad control line \"", first_line,
                                   "\": ", std::string(mode.status().message()));
    }
    failures_left_ = mode_.fail_count;
    std::cerr << "chaukas-test-backend: mode \"" << first_line << "\"\n";
  }

  const std::string path_;
  absl::Mutex mu_;
  std::string content_ ABSL_GUARDED_BY(mu_);
  Mode mode_ ABSL_GUARDED_BY(mu_);
  int failures_left_ ABSL_GUARDED_BY(mu_) = 0;
};

// ---- Recording -----------------------------------------------------------------------------

// An append-only text file, flushed after every line so a test that got an answer can read
// what led to it. A null path writes nothing.
class LineFile {
 public:
  static absl::StatusOr<std::unique_ptr<LineFile>> Open(const std::string& path) {
    std::unique_ptr<LineFile> file(new LineFile());
    if (path.empty()) return file;
    file->file_ = std::fopen(path.c_str(), "a");
    if (file->file_ == nullptr) {
      return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
    }
    return file;
  }
  ~LineFile() {
    if (file_ != nullptr) std::fclose(file_);
  }

  void Append(const std::string& lines) {
    if (file_ == nullptr) return;
    std::fputs(lines.c_str(), file_);
    std::fflush(file_);
  }

 private:
  LineFile() = default;
  std::FILE* file_ = nullptr;
};

// What the backend received: the record files, and the accepted events in memory for
// QueryEvents and GetEventStats (so those know only this run's events). Thread-safe.
class Recorder {
 public:
  // `previous_calls`: calls an earlier run on the same files counted, so numbers go on.
  Recorder(std::unique_ptr<LineFile> record, std::unique_ptr<LineFile> metadata, int previous_calls)
      : record_(std::move(record)), metadata_(std::move(metadata)), calls_(previous_calls) {}

  // Counts an ingest call, writes its metadata line, and returns its number (1, 2, ...).
  int BeginCall(const std::string& metadata_line) {
    absl::MutexLock lock(&mu_);
    metadata_->Append(metadata_line + "\n");
    return ++calls_;
  }

  void RecordEvents(int call, const std::vector<const common_v1::Event*>& events) {
    std::string lines;
    for (const common_v1::Event* event : events) {
      absl::StrAppend(&lines, OneField(event->event_id()), "\t", OneField(event->tenant_id()), "\t",
                      OneField(event->session_id()), "\t", call, "\n");
    }
    absl::MutexLock lock(&mu_);
    record_->Append(lines);
    for (const common_v1::Event* event : events) events_.push_back(*event);
  }

  // Events of `session_id` (every session when empty) and `tenant_id` (when not empty).
  std::vector<common_v1::Event> Query(const common_v1::QueryFilter& filter) const {
    absl::MutexLock lock(&mu_);
    std::vector<common_v1::Event> found;
    for (const common_v1::Event& event : events_) {
      if (!filter.session_id().empty() && event.session_id() != filter.session_id()) continue;
      if (!filter.tenant_id().empty() && event.tenant_id() != filter.tenant_id()) continue;
      found.push_back(event);
    }
    return found;
  }

  void Stats(const server_v1::GetEventStatsRequest& request,
             server_v1::GetEventStatsResponse& response) const {
    absl::MutexLock lock(&mu_);
    std::set<std::string> sessions;
    for (const common_v1::Event& event : events_) {
      if (!request.tenant_id().empty() && event.tenant_id() != request.tenant_id()) continue;
      if (!request.project_id().empty() && event.project_id() != request.project_id()) continue;
      response.set_total_events(response.total_events() + 1);
      sessions.insert(event.session_id());
      ++(*response.mutable_events_by_type())[common_v1::EventType_Name(event.type())];
    }
    response.set_total_sessions(static_cast<int64_t>(sessions.size()));
  }

 private:
  mutable absl::Mutex mu_;
  const std::unique_ptr<LineFile> record_;
  const std::unique_ptr<LineFile> metadata_;
  int calls_ ABSL_GUARDED_BY(mu_);
  std::vector<common_v1::Event> events_ ABSL_GUARDED_BY(mu_);
};

// `authorization`, `x-api-key` and every `x-*` entry of the call's metadata, in name order:
// "authorization=Bearer abc;x-tenant=acme".
std::string MetadataLine(const grpc::CallbackServerContext& context) {
  std::string line;
  for (const auto& [key_ref, value_ref] : context.client_metadata()) {
    const std::string key(key_ref.data(), key_ref.size());
    if (key != "authorization" && key.rfind("x-", 0) != 0) continue;
    absl::StrAppend(&line, line.empty() ? "" : ";", OneField(key), "=",
                    OneField(std::string_view(value_ref.data(), value_ref.size())));
  }
  return line;
}

// ---- Held (stalled) calls ------------------------------------------------------------------

// Finishes an ingest call under the mode that applies to it (never kStall or kFailThenOk).
using IngestAnswer = std::function<grpc::Status(const Mode&)>;

// Ingest calls held by the stall mode. A thread looks at them every 10 ms and finishes each
// once its client has gone (deadline passed, or cancelled) or the mode has changed, in which
// case the call is answered under the new mode.
class HeldCalls {
 public:
  explicit HeldCalls(ControlFile& control) : control_(control), thread_([this] { Run(); }) {}
  ~HeldCalls() { Stop(); }

  // Holds ingest call number `call`.
  void Hold(int call, grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
            IngestAnswer answer) {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "test backend stopping"));
      return;
    }
    calls_.push_back({call, context, reactor, std::move(answer)});
  }

  // Finishes every held call with UNAVAILABLE and ends the thread: before Server::Shutdown,
  // which waits for every call to finish.
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    thread_.join();
  }

 private:
  struct Call {
    int number;
    grpc::CallbackServerContext* context;
    grpc::ServerUnaryReactor* reactor;
    IngestAnswer answer;
  };

  void Run() {
    while (true) {
      std::vector<std::pair<Call, grpc::Status>> done;
      bool stopping = false;
      {
        absl::MutexLock lock(&mu_);
        stopping = stopping_;
        std::vector<Call> still_held;
        for (Call& call : calls_) {
          std::optional<grpc::Status> status = Check(call, stopping);
          if (status.has_value()) {
            done.emplace_back(std::move(call), *std::move(status));
          } else {
            still_held.push_back(std::move(call));
          }
        }
        calls_ = std::move(still_held);
      }
      for (auto& [call, status] : done) {
        // Logged, so a test can wait for a stall to be over.
        std::cerr << "chaukas-test-backend: stalled call " << call.number
                  << " finished: " << CodeName(status.error_code()) << std::endl;
        call.reactor->Finish(status);
      }
      if (stopping) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // The status to finish `call` with now, or nullopt to keep holding it.
  std::optional<grpc::Status> Check(const Call& call, bool stopping) {
    if (stopping) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "test backend stopping");
    if (call.context->IsCancelled()) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "client went away while stalled");
    }
    if (std::chrono::system_clock::now() >= call.context->deadline()) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "stalled past the deadline");
    }
    const Mode mode = control_.TakeForIngest();
    if (mode.kind == Mode::Kind::kStall) return std::nullopt;
    return call.answer(mode);
  }

  ControlFile& control_;
  absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

// ---- The service ---------------------------------------------------------------------------

// Records the events of `events` that `mode` does not reject; returns the rejected ids.
template <typename EventRange>
std::vector<std::string> AcceptEvents(Recorder& recorder, const Mode& mode, int call,
                                      const EventRange& events) {
  std::vector<const common_v1::Event*> accepted;
  std::vector<std::string> rejected;
  for (const common_v1::Event& event : events) {
    if (mode.kind == Mode::Kind::kReject && mode.rejected_ids.contains(event.event_id())) {
      rejected.push_back(event.event_id());
    } else {
      accepted.push_back(&event);
    }
  }
  recorder.RecordEvents(call, accepted);
  return rejected;
}

class TestBackendService final : public server_v1::ChaukasServerService::CallbackService {
 public:
  TestBackendService(ControlFile& control, Recorder& recorder, HeldCalls& held)
      : control_(control), recorder_(recorder), held_(held) {}

  grpc::ServerUnaryReactor* Healthz(grpc::CallbackServerContext* context,
                                    const server_v1::HealthzRequest* /*request*/,
                                    server_v1::HealthzResponse* /*response*/) override {
    if (control_.Current().kind == Mode::Kind::kUnhealthy) {
      return Finish(context,
                    grpc::Status(grpc::StatusCode::UNAVAILABLE, "test backend: unhealthy"));
    }
    return Finish(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* GetCapabilities(grpc::CallbackServerContext* context,
                                            const server_v1::GetCapabilitiesRequest* /*request*/,
                                            server_v1::GetCapabilitiesResponse* response) override {
    // Not the gateway's own set (policy_decisions, data_access_events): a test can tell who
    // answered.
    response->mutable_capabilities()->set_worm_retention(true);
    response->mutable_capabilities()->set_audit_proofs(true);
    return Finish(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* IngestEvent(grpc::CallbackServerContext* context,
                                        const server_v1::IngestEventRequest* request,
                                        server_v1::IngestEventResponse* response) override {
    const int call = recorder_.BeginCall(MetadataLine(*context));
    return Ingest(call, context, [this, call, request, response](const Mode& mode) {
      std::vector<std::string> rejected;
      if (request->has_event()) {
        rejected = AcceptEvents(recorder_, mode, call, std::vector{request->event()});
      }
      response->set_event_id(request->event().event_id());
      response->set_status(rejected.empty() ? "accepted" : "rejected");
      response->set_processed_at(absl::ToUnixMillis(absl::Now()));
      return grpc::Status::OK;
    });
  }

  grpc::ServerUnaryReactor* IngestEventBatch(
      grpc::CallbackServerContext* context, const server_v1::IngestEventBatchRequest* request,
      server_v1::IngestEventBatchResponse* response) override {
    const int call = recorder_.BeginCall(MetadataLine(*context));
    return Ingest(call, context, [this, call, request, response](const Mode& mode) {
      const auto& events = request->event_batch().events();
      const std::vector<std::string> rejected = AcceptEvents(recorder_, mode, call, events);
      response->set_batch_id(request->event_batch().batch_id());
      response->set_accepted_count(events.size() - static_cast<int>(rejected.size()));
      response->set_rejected_count(static_cast<int>(rejected.size()));
      for (const std::string& id : rejected) response->add_rejected_event_ids(id);
      return grpc::Status::OK;
    });
  }

  grpc::ServerUnaryReactor* QueryEvents(grpc::CallbackServerContext* context,
                                        const server_v1::QueryEventsRequest* request,
                                        server_v1::QueryEventsResponse* response) override {
    for (common_v1::Event& event : recorder_.Query(request->query().filter())) {
      *response->mutable_response()->add_events() = std::move(event);
    }
    return Finish(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* GetEventStats(grpc::CallbackServerContext* context,
                                          const server_v1::GetEventStatsRequest* request,
                                          server_v1::GetEventStatsResponse* response) override {
    recorder_.Stats(*request, *response);
    return Finish(context, grpc::Status::OK);
  }

 private:
  static grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context,
                                          const grpc::Status& status) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  // Answers an ingest call now, fails it, or holds it while the mode is stall.
  grpc::ServerUnaryReactor* Ingest(int call, grpc::CallbackServerContext* context,
                                   IngestAnswer accept) {
    IngestAnswer answer = [accept = std::move(accept)](const Mode& mode) {
      if (mode.kind == Mode::Kind::kFail) return grpc::Status(mode.code, mode.message);
      return accept(mode);
    };
    const Mode mode = control_.TakeForIngest();
    if (mode.kind != Mode::Kind::kStall) return Finish(context, answer(mode));
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    held_.Hold(call, context, reactor, std::move(answer));
    return reactor;
  }

  ControlFile& control_;
  Recorder& recorder_;
  HeldCalls& held_;
};

// ---- Process -------------------------------------------------------------------------------

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
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", error.message()));
  }
  return absl::OkStatus();
}

// The lines of an existing metadata record: the calls earlier runs numbered.
int CountLines(const std::string& path) {
  if (path.empty()) return 0;
  std::ifstream in(path, std::ios::binary);
  return static_cast<int>(
      std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
}

int Fail(const absl::Status& status) {
  std::cerr << "chaukas-test-backend: " << status.message() << "\n";
  return 1;
}

}  // namespace

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Plain text, or TLS when --tls-cert and --tls-key are given.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const Flags& flags) {
  if (flags.tls_cert.empty() && flags.tls_key.empty()) return grpc::InsecureServerCredentials();
  absl::StatusOr<std::string> cert = ReadWholeFile(flags.tls_cert);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadWholeFile(flags.tls_key);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(options);
}

int main(int argc, char** argv) {
  Flags flags;
  if (absl::Status status = ParseFlags(argc, argv, flags); !status.ok()) return Fail(status);
  // Blocked in every thread started from here on; main takes them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::unique_ptr<LineFile>> record = LineFile::Open(flags.record);
  if (!record.ok()) return Fail(record.status());
  absl::StatusOr<std::unique_ptr<LineFile>> metadata = LineFile::Open(flags.metadata_record);
  if (!metadata.ok()) return Fail(metadata.status());
  ControlFile control(flags.control);
  Recorder recorder(*std::move(record), *std::move(metadata), CountLines(flags.metadata_record));
  HeldCalls held(control);
  TestBackendService service(control, recorder, held);

  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEADDR itself (a restarted backend binds its port again at once). Its
  // SO_REUSEPORT would let a second backend share the port silently: off.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int bound_port = 0;
  const std::string address = absl::StrCat("127.0.0.1:", flags.port);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = Credentials(flags);
  if (!credentials.ok()) return Fail(credentials.status());
  builder.AddListeningPort(address, *credentials, &bound_port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    held.Stop();
    return Fail(absl::UnavailableError(absl::StrCat("cannot listen on ", address)));
  }
  if (!flags.port_file.empty()) {
    if (absl::Status status = WriteFileAtomically(flags.port_file, std::to_string(bound_port));
        !status.ok()) {
      held.Stop();
      server->Shutdown();
      return Fail(status);
    }
  }
  std::cerr << "chaukas-test-backend: listening on 127.0.0.1:" << bound_port << std::endl;

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) != 0) {
  }
  std::cerr << "chaukas-test-backend: " << strsignal(signal_number) << "; stopping" << std::endl;
  held.Stop();
  // In-flight calls are answered at once (held ones were just finished), but Shutdown also
  // waits for clients to close their connections after its GOAWAY, which idle grpc++ clients
  // do not: the full grace period (measured). Past it the calls still open are cancelled.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  return 0;
}
