#include "tests/support/test_certificates.h"

#include <charconv>
#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "gateway/common/status_macros.h"
#include "tests/support/gateway_process.h"
#include "tests/support/temp_dir.h"

namespace chaukas::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kOpenSsl[] = "/usr/bin/openssl";
constexpr char kCurl[] = "/usr/bin/curl";

absl::Status RunOpenSsl(std::vector<std::string> args) {
  args.insert(args.begin(), kOpenSsl);
  CHAUKAS_ASSIGN_OR_RETURN(CommandResult result, RunCommand(args, absl::Seconds(30)));
  if (result.exit_code != 0) {
    return absl::InternalError(absl::StrCat(absl::StrJoin(args, " "), " failed (", result.exit_code,
                                            "): ", result.output));
  }
  return absl::OkStatus();
}

// A self-signed CA certificate `<name>.pem` with its key `<name>.key`.
absl::StatusOr<fs::path> MakeCertificateAuthority(const fs::path& dir, const std::string& name,
                                                  const std::string& subject) {
  const fs::path cert = dir / (name + ".pem");
  CHAUKAS_RETURN_IF_ERROR(
      RunOpenSsl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                  "-nodes", "-keyout", (dir / (name + ".key")).string(), "-out", cert.string(),
                  "-days", "2", "-subj", subject}));
  return cert;
}

// `<name>.pem` and `<name>.key`, signed by the CA `<ca>.pem`, with `extensions` (lines of an
// openssl extensions file).
absl::StatusOr<TestCertificate> IssueCertificate(const fs::path& dir, const std::string& ca,
                                                 const std::string& name,
                                                 const std::string& subject,
                                                 const std::vector<std::string>& extensions) {
  TempDir scratch;
  const fs::path request = scratch.Join("request.csr");
  const fs::path extensions_file =
      scratch.WriteFile("extensions.cnf", absl::StrJoin(extensions, "\n") + "\n");
  TestCertificate issued{dir / (name + ".pem"), dir / (name + ".key")};
  CHAUKAS_RETURN_IF_ERROR(RunOpenSsl(
      {"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", issued.key.string(), "-out", request.string(), "-subj", subject}));
  CHAUKAS_RETURN_IF_ERROR(
      RunOpenSsl({"x509", "-req", "-in", request.string(), "-CA", (dir / (ca + ".pem")).string(),
                  "-CAkey", (dir / (ca + ".key")).string(), "-CAserial",
                  (dir / (ca + ".srl")).string(), "-CAcreateserial", "-days", "2", "-out",
                  issued.cert.string(), "-extfile", extensions_file.string()}));
  return issued;
}

std::vector<std::string> ClientExtensions(const std::string& subject_alt_name) {
  return {"basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature",
          "extendedKeyUsage=clientAuth", "subjectAltName=" + subject_alt_name};
}

}  // namespace

absl::StatusOr<TestPki> MakeTestPki(const fs::path& dir) {
  TestPki pki;
  CHAUKAS_ASSIGN_OR_RETURN(pki.ca, MakeCertificateAuthority(dir, "ca", "/CN=Chaukas Test CA"));
  CHAUKAS_ASSIGN_OR_RETURN(
      pki.server,
      IssueCertificate(
          dir, "ca", "server", "/CN=localhost",
          {"basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature",
           "extendedKeyUsage=serverAuth", "subjectAltName=DNS:localhost,IP:127.0.0.1"}));
  // openssl's -subj lists the name from its root; RFC 2253 prints it the other way round.
  CHAUKAS_ASSIGN_OR_RETURN(pki.agent,
                           IssueCertificate(dir, "ca", "agent", "/O=acme/CN=agent-7",
                                            ClientExtensions("DNS:agent-7.acme.example")));
  CHAUKAS_ASSIGN_OR_RETURN(
      pki.planner,
      IssueCertificate(dir, "ca", "planner", "/CN=planner",
                       ClientExtensions("URI:spiffe://globex.example/agents/planner")));
  CHAUKAS_ASSIGN_OR_RETURN(pki.other_ca,
                           MakeCertificateAuthority(dir, "other_ca", "/CN=Another Test CA"));
  CHAUKAS_ASSIGN_OR_RETURN(pki.stranger,
                           IssueCertificate(dir, "other_ca", "stranger", "/O=acme/CN=agent-7",
                                            ClientExtensions("DNS:agent-7.acme.example")));
  return pki;
}

absl::StatusOr<CurlResult> RunCurl(const std::vector<std::string>& args, absl::Duration timeout) {
  TempDir dir;
  const fs::path body = dir.Join("body");
  const fs::path errors = dir.Join("errors");
  std::vector<std::string> argv = {kCurl,
                                   "--silent",
                                   "--show-error",
                                   "--max-time",
                                   absl::StrCat(absl::ToDoubleSeconds(timeout)),
                                   "--output",
                                   body.string(),
                                   "--stderr",
                                   errors.string(),
                                   "--write-out",
                                   "%{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  CHAUKAS_ASSIGN_OR_RETURN(CommandResult run, RunCommand(argv, timeout + absl::Seconds(10)));
  CurlResult result;
  result.exit_code = run.exit_code;
  const absl::string_view code = absl::StripAsciiWhitespace(run.output);
  std::from_chars(code.data(), code.data() + code.size(), result.status);
  result.body = ReadFile(body);
  result.errors = ReadFile(errors);
  return result;
}

SharedPki::SharedPki() {
  absl::StatusOr<TestPki> made = MakeTestPki(dir.path());
  if (!made.ok()) {
    std::cerr << "cannot make the test PKI: " << made.status() << "\n";
    std::abort();
  }
  pki = *std::move(made);
}

const SharedPki& SharedTestPki() {
  static const SharedPki shared;
  return shared;
}

}  // namespace chaukas::testing
