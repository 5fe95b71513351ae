// main() of the Google Benchmarks: abseil's mutex deadlock detection off, as chaukas-gateway
// runs (gateway/main.cc). Debian builds abseil in debug mode, which leaves it on for every
// absl::Mutex and would charge each lock a graph lookup the gateway never pays.
#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"

int main(int argc, char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
