// The baseline of the ingest benchmark: a grpc++ callback-API server for ChaukasClientService
// that lets gRPC parse each request and answers OK, nothing else. The gateway's gRPC listener
// does the same work plus decoding into an IngestBatch, filtering, routing and queueing, so
// "gateway calls/s / reference calls/s" is the price of everything the gateway adds.
//
// Usage: reference_server [--port N] [--port-file FILE] [--mutex-deadlock-detection on|off]
//   --port 0 (the default) binds an ephemeral port on 127.0.0.1. The bound port is printed on
//   stdout and, with --port-file, written to FILE once the server accepts calls.
//   --mutex-deadlock-detection: abseil's setting for every absl::Mutex, gRPC's included (default
//   off, see main()).
// Stops on SIGTERM or SIGINT.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "chaukas/spec/client/v1/client.grpc.pb.h"

namespace {

namespace client = chaukas::spec::client::v1;

// Same as the gateway's default `listeners.grpc.max_message_bytes`.
constexpr int kMaxMessageBytes = 4 * 1024 * 1024;

class NullIngestService final : public client::ChaukasClientService::CallbackService {
 public:
  grpc::ServerUnaryReactor* IngestEvent(grpc::CallbackServerContext* context,
                                        const client::IngestEventRequest* /*request*/,
                                        client::IngestEventResponse* /*response*/) override {
    return Answer(context);
  }

  grpc::ServerUnaryReactor* IngestEventBatch(
      grpc::CallbackServerContext* context, const client::IngestEventBatchRequest* /*request*/,
      client::IngestEventBatchResponse* /*response*/) override {
    return Answer(context);
  }

 private:
  static grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

volatile std::sig_atomic_t stop_requested = 0;

void OnStopSignal(int /*signal*/) { stop_requested = 1; }

[[noreturn]] void Usage(std::string_view problem) {
  std::fprintf(stderr,
               "reference_server: %.*s\nusage: reference_server [--port N] [--port-file FILE] "
               "[--mutex-deadlock-detection on|off]\n",
               static_cast<int>(problem.size()), problem.data());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string port_file;
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

  NullIngestService service;
  int selected_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                           &selected_port);
  // The gateway's listener settings, so the baseline differs only in the work done per call.
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&service);
  const std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    std::fprintf(stderr, "reference_server: cannot listen on 127.0.0.1:%d\n", port);
    return 1;
  }

  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);

  std::printf("%d\n", selected_port);
  std::fflush(stdout);
  if (!port_file.empty()) {
    // Written to a temporary name and renamed, so a reader never sees a partial file.
    const std::string partial = port_file + ".partial";
    {
      std::ofstream out(partial, std::ios::trunc);
      out << selected_port << "\n";
      if (!out) {
        std::fprintf(stderr, "reference_server: cannot write %s\n", partial.c_str());
        return 1;
      }
    }
    if (std::rename(partial.c_str(), port_file.c_str()) != 0) {
      std::fprintf(stderr, "reference_server: cannot rename %s\n", partial.c_str());
      return 1;
    }
  }

  // Signal handlers may not call Shutdown(): poll the flag instead; calls keep being served on
  // gRPC's own threads meanwhile.
  while (stop_requested == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server->Wait();
  return 0;
}
