// The baseline of the ingest benchmark and the upstream it forwards to: a grpc++ callback-API
// server for ChaukasClientService and ChaukasServerService that lets gRPC parse each request,
// counts the call and its events, and answers OK, nothing else.
// - As the baseline (clients call its ChaukasClientService directly): the gateway's gRPC listener
//   does the same work plus decoding into an IngestBatch, filtering, routing and queueing, so
//   "gateway calls/s / reference calls/s" is the price of everything the gateway adds.
// - As the upstream of a gateway `protocol: grpc` cluster (ChaukasServerService, accepted_count
//   answered) or of nginx's grpc_pass (whatever client-service call nginx passes on): its counts
//   say how many calls and events arrived, so the benchmark can check that every event got through
//   and how many upstream calls the gateway's batching needed.
//
// Usage: reference_server [--port N] [--port-file FILE] [--count-file FILE]
//                         [--mutex-deadlock-detection on|off]
//   --port 0 (the default) binds an ephemeral port on 127.0.0.1. The bound port is printed on
//   stdout and, with --port-file, written to FILE once the server accepts calls.
//   --count-file: on SIGUSR1 and on exit, FILE is (re)written with the counts so far, one
//   "name value" per line (client_calls, client_events, server_calls, server_events,
//   healthz_calls), via a temporary name and a rename, so a reader never sees a partial file.
//   --mutex-deadlock-detection: abseil's setting for every absl::Mutex, gRPC's included (default
//   off, see main()).
// Stops on SIGTERM or SIGINT.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "chaukas/spec/client/v1/client.grpc.pb.h"
#include "chaukas/spec/server/v1/server.grpc.pb.h"

namespace {

namespace client = chaukas::spec::client::v1;

// Same as the gateway's default `listeners.grpc.max_message_bytes`.
constexpr int kMaxMessageBytes = 4 * 1024 * 1024;

namespace server = chaukas::spec::server::v1;

// Calls and events received, from gRPC's threads. Relaxed atomics: only totals are read, and
// only after the load stopped.
struct Counts {
  std::atomic<int64_t> client_calls{0};
  std::atomic<int64_t> client_events{0};
  std::atomic<int64_t> server_calls{0};
  std::atomic<int64_t> server_events{0};
  std::atomic<int64_t> healthz_calls{0};
};

void Count(std::atomic<int64_t>& calls, std::atomic<int64_t>& events, int64_t event_count) {
  calls.fetch_add(1, std::memory_order_relaxed);
  events.fetch_add(event_count, std::memory_order_relaxed);
}

grpc::ServerUnaryReactor* AnswerOk(grpc::CallbackServerContext* context) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

// What SDKs and load generators (directly or through nginx) call.
class NullClientService final : public client::ChaukasClientService::CallbackService {
 public:
  explicit NullClientService(Counts& counts) : counts_(counts) {}

  grpc::ServerUnaryReactor* IngestEvent(grpc::CallbackServerContext* context,
                                        const client::IngestEventRequest* request,
                                        client::IngestEventResponse* /*response*/) override {
    Count(counts_.client_calls, counts_.client_events, request->has_event() ? 1 : 0);
    return AnswerOk(context);
  }

  grpc::ServerUnaryReactor* IngestEventBatch(
      grpc::CallbackServerContext* context, const client::IngestEventBatchRequest* request,
      client::IngestEventBatchResponse* /*response*/) override {
    Count(counts_.client_calls, counts_.client_events, request->event_batch().events_size());
    return AnswerOk(context);
  }

 private:
  Counts& counts_;
};

// What a gateway's `protocol: grpc` cluster calls: IngestEventBatch with many clients' events,
// Healthz for active health checks. Every event is accepted.
class NullServerService final : public server::ChaukasServerService::CallbackService {
 public:
  explicit NullServerService(Counts& counts) : counts_(counts) {}

  grpc::ServerUnaryReactor* IngestEventBatch(grpc::CallbackServerContext* context,
                                             const server::IngestEventBatchRequest* request,
                                             server::IngestEventBatchResponse* response) override {
    const int events = request->event_batch().events_size();
    Count(counts_.server_calls, counts_.server_events, events);
    response->set_batch_id(request->event_batch().batch_id());
    response->set_accepted_count(events);
    return AnswerOk(context);
  }

  grpc::ServerUnaryReactor* IngestEvent(grpc::CallbackServerContext* context,
                                        const server::IngestEventRequest* request,
                                        server::IngestEventResponse* response) override {
    Count(counts_.server_calls, counts_.server_events, request->has_event() ? 1 : 0);
    response->set_event_id(request->event().event_id());
    response->set_status("accepted");
    return AnswerOk(context);
  }

  grpc::ServerUnaryReactor* Healthz(grpc::CallbackServerContext* context,
                                    const server::HealthzRequest* /*request*/,
                                    server::HealthzResponse* /*response*/) override {
    counts_.healthz_calls.fetch_add(1, std::memory_order_relaxed);
    return AnswerOk(context);
  }

 private:
  Counts& counts_;
};

// Written to a temporary name and renamed, so a reader never sees a partial file.
bool WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    out << text;
    if (!out) {
      std::fprintf(stderr, "reference_server: cannot write %s\n", partial.c_str());
      return false;
    }
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    std::fprintf(stderr, "reference_server: cannot rename %s\n", partial.c_str());
    return false;
  }
  return true;
}

bool WriteCounts(const std::string& path, const Counts& counts) {
  std::string text;
  const auto line = [&text](std::string_view name, const std::atomic<int64_t>& value) {
    text.append(name).append(" ");
    text += std::to_string(value.load(std::memory_order_relaxed)) + "\n";
  };
  line("client_calls", counts.client_calls);
  line("client_events", counts.client_events);
  line("server_calls", counts.server_calls);
  line("server_events", counts.server_events);
  line("healthz_calls", counts.healthz_calls);
  return WriteFileAtomically(path, text);
}

volatile std::sig_atomic_t stop_requested = 0;
volatile std::sig_atomic_t counts_requested = 0;

void OnStopSignal(int /*signal*/) { stop_requested = 1; }
void OnCountsSignal(int /*signal*/) { counts_requested = 1; }

[[noreturn]] void Usage(std::string_view problem) {
  std::fprintf(stderr,
               "reference_server: %.*s\nusage: reference_server [--port N] [--port-file FILE] "
               "[--count-file FILE] [--mutex-deadlock-detection on|off]\n",
               static_cast<int>(problem.size()), problem.data());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string port_file;
  std::string count_file;
  // Debian's abseil is built in debug mode, so every absl::Mutex (gRPC's own, several per call
  // among them) does deadlock-graph bookkeeping under a global lock: measured on 2 cores, that
  // costs this server 15-20% of its unary calls/s. A tuned server turns it off, so by default the
  // baseline does too; "on" restores abseil's default.
  bool deadlock_detection = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) Usage(std::string(flag) + ": missing value");
    const std::string value = argv[++i];
    if (flag == "--port") {
      char* end = nullptr;
      const long parsed = std::strtol(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || parsed < 0 || parsed > 65535) {
        Usage("--port: not a port number: " + value);
      }
      port = static_cast<int>(parsed);
    } else if (flag == "--port-file") {
      port_file = value;
    } else if (flag == "--count-file") {
      count_file = value;
    } else if (flag == "--mutex-deadlock-detection") {
      if (value != "on" && value != "off") Usage(std::string(flag) + ": on or off, not " + value);
      deadlock_detection = value == "on";
    } else {
      Usage("unknown flag " + std::string(flag));
    }
  }

  if (!deadlock_detection) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }

  Counts counts;
  NullClientService client_service(counts);
  NullServerService server_service(counts);
  int selected_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                           &selected_port);
  // The gateway's listener settings, so the baseline differs only in the work done per call.
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&client_service);
  builder.RegisterService(&server_service);
  const std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    std::fprintf(stderr, "reference_server: cannot listen on 127.0.0.1:%d\n", port);
    return 1;
  }

  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGUSR1, OnCountsSignal);

  std::printf("%d\n", selected_port);
  std::fflush(stdout);
  if (!port_file.empty() && !WriteFileAtomically(port_file, std::to_string(selected_port) + "\n")) {
    return 1;
  }

  // Signal handlers may not call Shutdown(): poll the flag instead; calls keep being served on
  // gRPC's own threads meanwhile.
  while (stop_requested == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (counts_requested != 0) {
      counts_requested = 0;
      if (!count_file.empty()) WriteCounts(count_file, counts);
    }
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server->Wait();
  if (!count_file.empty() && !WriteCounts(count_file, counts)) return 1;
  return 0;
}
