// A paced gRPC load generator for the ingest benchmark's latency rows (tests/bench/run.sh). h2load
// sends either as fast as it can, which measures throughput, or with --rps, which releases each
// connection's due calls in bursts; "latency at half load" needs calls spread evenly at a fixed
// rate. This sends unary calls at --rate calls/s, each at its due time (calls that fall due
// while the pacer is busy go out together, microseconds late), over --connections HTTP/2
// connections, with at most --max-in-flight calls outstanding: a call that falls due while that
// many are outstanding is skipped and counted, so an overloaded server shows up as skipped
// calls rather than as a slower schedule. The first --warmup seconds are sent but not measured.
//
// Usage: paced_client --target HOST:PORT --method /package.Service/Method --body FILE
//                     --rate CALLS_PER_SECOND --duration SECONDS [--warmup SECONDS]
//                     [--connections N] [--max-in-flight N]
//   --connections defaults to 8 (h2load -c of the benchmark's unary rows), --max-in-flight to 1000.
//   FILE is one gRPC length-prefixed message (the file h2load -d sends): the 5-byte prefix is
//   dropped and the message bytes are sent as they are, so any method can be called.
//
// Prints one line of key=value pairs about the measured part: calls (started), ok, failed,
// skipped, seconds, rate (ok calls/s), p50_ms, p99_ms, max_ms (from the start of a call to its
// answer), and total_ok (warm-up included, to compare with a server's counters). The first
// failure's status goes to stderr. Exits 1 when it cannot run at all, not when calls fail.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string target;
  std::string method;
  std::string body_file;
  double rate = 0;
  double duration_seconds = 0;
  double warmup_seconds = 0;
  int connections = 8;
  int max_in_flight = 1000;
};

[[noreturn]] void Usage(std::string_view problem) {
  std::fprintf(stderr,
               "paced_client: %.*s\nusage: paced_client --target HOST:PORT --method "
               "/package.Service/Method --body FILE --rate N --duration S [--warmup S] "
               "[--connections N] [--max-in-flight N]\n",
               static_cast<int>(problem.size()), problem.data());
  std::exit(2);
}

double ParseNumber(std::string_view flag, const std::string& value, bool zero_allowed) {
  char* end = nullptr;
  const double parsed = std::strtod(value.c_str(), &end);
  if (end == value.c_str() || *end != '\0' || parsed < 0 || (parsed == 0 && !zero_allowed)) {
    Usage(std::string(flag) + ": not a positive number: " + value);
  }
  return parsed;
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) Usage(std::string(flag) + ": missing value");
    const std::string value = argv[++i];
    if (flag == "--target") {
      flags.target = value;
    } else if (flag == "--method") {
      flags.method = value;
    } else if (flag == "--body") {
      flags.body_file = value;
    } else if (flag == "--rate") {
      flags.rate = ParseNumber(flag, value, false);
    } else if (flag == "--duration") {
      flags.duration_seconds = ParseNumber(flag, value, false);
    } else if (flag == "--warmup") {
      flags.warmup_seconds = ParseNumber(flag, value, true);
    } else if (flag == "--connections") {
      flags.connections = static_cast<int>(ParseNumber(flag, value, false));
    } else if (flag == "--max-in-flight") {
      flags.max_in_flight = static_cast<int>(ParseNumber(flag, value, false));
    } else {
      Usage("unknown flag " + std::string(flag));
    }
  }
  if (flags.target.empty() || flags.method.empty() || flags.body_file.empty() || flags.rate == 0 ||
      flags.duration_seconds == 0 || flags.connections < 1 || flags.max_in_flight < 1) {
    Usage("--target, --method, --body, --rate and --duration are required");
  }
  return flags;
}

// The message inside a gRPC length-prefixed frame: flag byte, 4-byte big-endian length, bytes.
bool ReadGrpcBody(const std::string& path, std::string& message) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  const std::string frame((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (frame.size() < 5 || frame[0] != '\0') return false;
  uint32_t length = 0;
  for (int i = 1; i <= 4; ++i) length = (length << 8) | static_cast<unsigned char>(frame[i]);
  if (frame.size() != 5 + size_t{length}) return false;
  message = frame.substr(5);
  return true;
}

// One outstanding call: what gRPC needs until its completion. Its address is the call's tag on
// the completion queue.
struct Call {
  grpc::ClientContext context;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
  grpc::ByteBuffer response;
  grpc::Status status;
  Clock::time_point started;
  bool measured = false;
};

struct Results {
  std::vector<int64_t> latencies_us;  // of the measured calls that succeeded
  int64_t calls = 0;                  // measured calls started
  int64_t failed = 0;                 // measured calls that failed
  int64_t skipped = 0;                // measured calls not started: too many in flight
  int64_t total_ok = 0;               // warm-up included
  std::string first_error;

  void Record(const Call& call, Clock::time_point now) {
    if (!call.status.ok()) {
      if (call.measured) ++failed;
      if (first_error.empty()) {
        first_error =
            "code " + std::to_string(call.status.error_code()) + ": " + call.status.error_message();
      }
      return;
    }
    ++total_ok;
    if (call.measured) {
      latencies_us.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(now - call.started).count());
    }
  }

  void Print(double seconds) {
    std::sort(latencies_us.begin(), latencies_us.end());
    const auto percentile_ms = [this](double p) {
      if (latencies_us.empty()) return 0.0;
      const auto index =
          std::min(latencies_us.size() - 1, static_cast<size_t>(p / 100.0 * latencies_us.size()));
      return latencies_us[index] / 1000.0;
    };
    const auto ok = static_cast<long long>(latencies_us.size());
    std::printf(
        "calls=%lld ok=%lld failed=%lld skipped=%lld seconds=%.2f rate=%.1f p50_ms=%.3f "
        "p99_ms=%.3f max_ms=%.3f total_ok=%lld\n",
        static_cast<long long>(calls), ok, static_cast<long long>(failed),
        static_cast<long long>(skipped), seconds, static_cast<double>(ok) / seconds,
        percentile_ms(50), percentile_ms(99), percentile_ms(100), static_cast<long long>(total_ok));
    if (!first_error.empty()) {
      std::fprintf(stderr, "paced_client: first failed call: %s\n", first_error.c_str());
    }
  }
};

std::chrono::system_clock::time_point SystemTime(Clock::time_point when) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(when - Clock::now());
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  // Debian's abseil is built in debug mode: deadlock detection on gRPC's mutexes costs a
  // client as much as a server (see reference_server.cc), CPU this client takes from the
  // servers it measures on a 2-core machine.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::string message;
  if (!ReadGrpcBody(flags.body_file, message)) {
    std::fprintf(stderr, "paced_client: %s is not one gRPC length-prefixed message\n",
                 flags.body_file.c_str());
    return 1;
  }
  grpc::Slice slice(message);
  const grpc::ByteBuffer request(&slice, 1);

  // Channels with different arguments do not share a connection (gRPC pools subchannels by
  // address and arguments), so each stub is its own HTTP/2 connection, like h2load -c.
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (int i = 0; i < flags.connections; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("paced_client.connection", i);
    // A load generator measures each call once: gRPC's transparent retries would hide failures.
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
    const auto channel =
        grpc::CreateCustomChannel(flags.target, grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
      std::fprintf(stderr, "paced_client: cannot connect to %s\n", flags.target.c_str());
      return 1;
    }
    stubs.push_back(std::make_unique<grpc::GenericStub>(channel));
  }

  // One thread sends and completes every call: the completion queue's AsyncNext waits for an
  // answer or for the next call's due time, whichever comes first. Not gRPC's callback API (which
  // the gateway uses): it hands every answer to another thread, and measured here at 16k calls/s
  // this client then spent 50 µs of CPU per call instead of 34, CPU it takes from the servers
  // under test on a 2-core machine.
  grpc::CompletionQueue queue;
  Results results;
  results.latencies_us.reserve(static_cast<size_t>(flags.rate * flags.duration_seconds) + 16);
  const Clock::time_point start = Clock::now();
  const auto due_at = [&](int64_t call) {
    return start + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(static_cast<double>(call) / flags.rate));
  };
  const auto total_calls =
      static_cast<int64_t>(flags.rate * (flags.warmup_seconds + flags.duration_seconds));
  const auto warmup_calls = static_cast<int64_t>(flags.rate * flags.warmup_seconds);
  int64_t next_call = 0;
  int in_flight = 0;
  while (next_call < total_calls || in_flight > 0) {
    const Clock::time_point now = Clock::now();
    for (; next_call < total_calls && due_at(next_call) <= now; ++next_call) {
      const bool measured = next_call >= warmup_calls;
      if (in_flight >= flags.max_in_flight) {
        if (measured) ++results.skipped;
        continue;
      }
      if (measured) ++results.calls;
      auto call = std::make_unique<Call>();
      call->measured = measured;
      call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      call->started = now;
      call->reader = stubs[static_cast<size_t>(next_call % flags.connections)]->PrepareUnaryCall(
          &call->context, flags.method, request, &queue);
      call->reader->StartCall();
      Call& started = *call;
      started.reader->Finish(&started.response, &started.status, call.release());
      ++in_flight;
    }
    // Every call has a deadline, so the last answers come.
    const Clock::time_point wake =
        next_call < total_calls ? due_at(next_call) : now + std::chrono::seconds(1);
    void* tag = nullptr;
    bool ok = false;
    if (queue.AsyncNext(&tag, &ok, SystemTime(wake)) == grpc::CompletionQueue::GOT_EVENT) {
      const std::unique_ptr<Call> done(static_cast<Call*>(tag));
      results.Record(*done, Clock::now());
      --in_flight;
    }
  }
  queue.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) {
  }
  results.Print(flags.duration_seconds);
  return 0;
}
