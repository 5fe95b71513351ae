#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace chaukas::testing {

// Child processes for tests (gateways, backends, commands). A child started here gets
// SIGKILL when the test process dies, so a crashed test leaves nothing running.

// Starts argv[0] (a path: no PATH search) with stdout and stderr appended to `output_path`
// and `extra_env` (NAME=value entries) added to this process's environment.
[[nodiscard]] absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& argv,
                                                 const std::string& output_path,
                                                 const std::vector<std::string>& extra_env = {});

// Waits for `pid` until `deadline`: its exit code (128 + signal when killed), or -1 while it
// still runs. Reaps the child once it has exited.
int WaitForExit(pid_t pid, absl::Time deadline);

// Sends `signal` and waits up to `timeout` for the exit code; past it, kills the child with
// SIGKILL, reaps it and returns DeadlineExceeded ("<name> did not exit within ...").
[[nodiscard]] absl::StatusOr<int> StopProcess(pid_t pid, int signal, absl::Duration timeout,
                                              const std::string& name);

}  // namespace chaukas::testing
