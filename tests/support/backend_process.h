#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/temp_dir.h"

namespace chaukas::testing {

// A real Chaukas backend process for integration tests: chaukas-test-backend (C++, gRPC) or
// tests/support/python_backend.py (gRPC and HTTP), on 127.0.0.1. Each runs in its own temp
// dir holding its record, metadata and control files and its log; the destructor stops it
// and removes the dir. The child dies with the test process.
//
// What it received is read back from its record files, which the backend writes and flushes
// before answering: once a call has its answer, ReceivedEvents() shows its events.
class BackendProcess {
 public:
  enum class Kind { kCpp, kPython };

  // Starts a backend and waits until it listens. A port of 0 picks an ephemeral one; the
  // python backend's HTTP port is separate from its gRPC port (the C++ one has no HTTP).
  // `extra_args` go to the backend's command line (for the C++ one, e.g. --tls-cert FILE
  // --tls-key FILE), on every start.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<BackendProcess>> Start(
      Kind kind, uint16_t grpc_port = 0, uint16_t http_port = 0,
      std::vector<std::string> extra_args = {});
  ~BackendProcess();
  BackendProcess(const BackendProcess&) = delete;
  BackendProcess& operator=(const BackendProcess&) = delete;

  Kind kind() const { return kind_; }
  uint16_t grpc_port() const { return grpc_port_; }
  uint16_t http_port() const { return http_port_; }  // 0 for kCpp
  std::string grpc_address() const;                  // "127.0.0.1:port"
  std::string http_base_url() const;                 // "http://127.0.0.1:port"
  const std::filesystem::path& dir() const { return dir_.path(); }
  bool running() const { return pid_ > 0; }

  // Writes the control file, which the backend reads before every call (one mode, see
  // test_backend.cc): "ok", "fail UNAVAILABLE", "fail 503 high memory usage",
  // "fail_then_ok 2 UNAVAILABLE", "stall", "reject evt-1 evt-2", "unhealthy". Every call
  // starts the mode anew, even with the same text (a fail_then_ok fails N more calls).
  void SetMode(const std::string& mode);

  // SIGTERM, and waits for the exit: an error unless it exits 0. OK when already stopped.
  [[nodiscard]] absl::Status Stop(absl::Duration timeout = absl::Seconds(20));
  // SIGKILL, as a crash: connections drop without an answer.
  [[nodiscard]] absl::Status Kill();
  // Stops it when running, then starts it again on the same ports, appending to the same
  // record files. Events received before are no longer in QueryEvents/GetEventStats answers
  // (those come from memory) but stay in ReceivedEvents().
  [[nodiscard]] absl::Status Restart();

  struct Received {
    std::string event_id;
    std::string tenant_id;
    std::string session_id;
    int call = 0;  // the number of the ingest call that carried it: 1, 2, ... (see calls())
  };
  // Every accepted event, in the order received (rejected and failed ones are not there).
  std::vector<Received> ReceivedEvents() const;
  std::vector<std::string> ReceivedEventIds() const;
  // Ingest calls (IngestEvent/IngestEventBatch over gRPC, POST /v1/events[/batch] over HTTP)
  // that reached the backend, whatever their answer: failed and stalled calls count too.
  // Counted over restarts: the backend numbers calls on from its metadata record.
  int calls() const;
  // One line per ingest call, in order (Received::call N is line N-1): its authorization,
  // x-api-key and x-* metadata or headers, names lower-case and sorted:
  // "authorization=Bearer abc;x-tenant=acme" ("" when it had none).
  std::vector<std::string> MetadataLines() const;
  // Everything the backend wrote to stderr so far.
  std::string log() const;

 private:
  explicit BackendProcess(Kind kind) : kind_(kind) {}
  // Starts the process on grpc_port_/http_port_ and waits for its port files.
  [[nodiscard]] absl::Status Launch(absl::Duration timeout);

  const Kind kind_;
  std::vector<std::string> extra_args_;
  TempDir dir_;
  pid_t pid_ = -1;
  uint16_t grpc_port_ = 0;
  uint16_t http_port_ = 0;
  int mode_writes_ = 0;
};

}  // namespace chaukas::testing
