#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/temp_dir.h"

namespace chaukas::testing {

// A certificate and its private key, as PEM files.
struct TestCertificate {
  std::filesystem::path cert;
  std::filesystem::path key;
};

// A throwaway PKI for TLS tests, made at test time with the openssl CLI (EC P-256 keys, valid
// for two days) in a directory the test owns, so that no key is ever committed.
struct TestPki {
  std::filesystem::path ca;        // "CN=Chaukas Test CA": signs all below but `stranger`
  TestCertificate server;          // CN=localhost; SAN DNS:localhost, IP:127.0.0.1
  TestCertificate agent;           // subject "CN=agent-7,O=acme"; SAN DNS:agent-7.acme.example
  TestCertificate planner;         // "CN=planner"; SAN URI:spiffe://globex.example/agents/planner
  std::filesystem::path other_ca;  // a CA the gateway is not told to trust
  TestCertificate stranger;        // "CN=agent-7,O=acme" again, signed by other_ca
};

// Makes the PKI's files in `dir` (which must exist).
[[nodiscard]] absl::StatusOr<TestPki> MakeTestPki(const std::filesystem::path& dir);

// One TestPki for the whole test process, in its own directory: made on first use (which
// aborts, saying why, when openssl fails) and removed at exit. ctest runs one test case per
// process, so each pays for it once; tests may add files of their own to `dir`.
struct SharedPki {
  SharedPki();
  TempDir dir;
  TestPki pki;
};
const SharedPki& SharedTestPki();

struct CurlResult {
  int exit_code = -1;  // 0 when curl got an answer, whatever its status
  int status = 0;      // the HTTP status; 0 without an answer
  std::string body;
  std::string errors;  // what curl printed (its error message on failure)
};

// Runs /usr/bin/curl with `args` (the URL and any TLS options) and `--max-time` of `timeout`,
// keeping the body apart from curl's own messages. The status is DeadlineExceeded only if
// curl itself hangs.
[[nodiscard]] absl::StatusOr<CurlResult> RunCurl(const std::vector<std::string>& args,
                                                 absl::Duration timeout = absl::Seconds(10));

}  // namespace chaukas::testing
