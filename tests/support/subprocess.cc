#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace chaukas::testing {

absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& argv,
                                   const std::string& output_path,
                                   const std::vector<std::string>& extra_env) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** entry = environ; *entry != nullptr; ++entry) env_storage.emplace_back(*entry);
  env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> env;
  for (const std::string& entry : env_storage) env.push_back(const_cast<char*>(entry.c_str()));
  env.push_back(nullptr);

  // Only async-signal-safe calls happen between fork and exec (the test process has threads).
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int fd = open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  return pid;
}

int WaitForExit(pid_t pid, absl::Time deadline) {
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (absl::Now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

absl::StatusOr<int> StopProcess(pid_t pid, int signal, absl::Duration timeout,
                                const std::string& name) {
  kill(pid, signal);
  const int exit_code = WaitForExit(pid, absl::Now() + timeout);
  if (exit_code < 0) {
    kill(pid, SIGKILL);
    WaitForExit(pid, absl::InfiniteFuture());
    return absl::DeadlineExceededError(
        absl::StrCat(name, " did not exit within ", absl::FormatDuration(timeout)));
  }
  return exit_code;
}

}  // namespace chaukas::testing
