// HttpServer with TLS options: the handshake, client certificates in ConnectionInfo, and the
// plain server's limits and lifecycle, kept over TLS.

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "gateway/http/http_server.h"
#include "gateway/stats/stats_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http_test_client.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certificates.h"
#include "tests/support/wait_until.h"

namespace chaukas::http {
namespace {

using ::chaukas::testing::IsOk;
using ::chaukas::testing::ReadFile;
using ::chaukas::testing::SendRawHttp;
using ::chaukas::testing::SharedTestPki;
using ::chaukas::testing::StatusIs;
using ::chaukas::testing::TempDir;
using ::chaukas::testing::TestCertificate;
using ::chaukas::testing::TestPki;
using ::chaukas::testing::WaitUntil;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

constexpr char kHost[] = "127.0.0.1";
constexpr absl::Duration kClientTimeout = absl::Seconds(10);

// Answers "ok" (or the body, on /echo) and remembers what it learnt of the connection.
class RecordingHandler : public RequestHandler {
 public:
  void Handle(const Request& request, const ConnectionInfo& connection,
              Response& response) override {
    {
      absl::MutexLock lock(&mutex_);
      ++calls_;
      last_connection_ = connection;
    }
    response.set(beast_http::field::content_type, "text/plain");
    response.body() = request.target() == "/echo" ? request.body() : "ok";
  }

  int calls() const {
    absl::MutexLock lock(&mutex_);
    return calls_;
  }
  PeerCertificate last_certificate() const {
    absl::MutexLock lock(&mutex_);
    return last_connection_.certificate;
  }

 private:
  mutable absl::Mutex mutex_;
  int calls_ ABSL_GUARDED_BY(mutex_) = 0;
  ConnectionInfo last_connection_ ABSL_GUARDED_BY(mutex_);
};

// An HTTPS/1.1 client on one connection that trusts the test CA and checks that the server's
// certificate is for 127.0.0.1. Every step is bounded by kClientTimeout, so a broken server
// fails a test instead of hanging it.
class TlsTestClient {
 public:
  // `certificate`: the client certificate to present, if any. `alpn`: the protocols offered.
  TlsTestClient(const TestPki& pki, const TestCertificate* certificate,
                const std::vector<std::string>& alpn = {"h2", "http/1.1"}) {
    beast::error_code ec;
    context_.load_verify_file(pki.ca.string(), ec);
    EXPECT_FALSE(ec) << ec.message();
    context_.set_verify_mode(ssl::verify_peer, ec);
    if (certificate != nullptr) {
      context_.use_certificate_chain_file(certificate->cert.string(), ec);
      EXPECT_FALSE(ec) << ec.message();
      context_.use_private_key_file(certificate->key.string(), ssl::context::pem, ec);
      EXPECT_FALSE(ec) << ec.message();
    }
    for (const std::string& protocol : alpn) {
      alpn_wire_.push_back(static_cast<unsigned char>(protocol.size()));
      alpn_wire_.insert(alpn_wire_.end(), protocol.begin(), protocol.end());
    }
  }

  // TCP connect and TLS handshake. Under TLS 1.3 the client's handshake ends before the
  // server has checked the client certificate: a refusal may show only at the first read.
  beast::error_code Connect(uint16_t port) {
    stream_.emplace(io_, context_);
    SSL* native = stream_->native_handle();
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(native), kHost);
    if (!alpn_wire_.empty()) {
      SSL_set_alpn_protos(native, alpn_wire_.data(), static_cast<unsigned>(alpn_wire_.size()));
    }
    tcp_stream().expires_after(absl::ToChronoNanoseconds(kClientTimeout));
    beast::error_code result;
    tcp_stream().async_connect(tcp::endpoint(asio::ip::make_address(kHost), port),
                               [&result](beast::error_code ec) { result = ec; });
    Run();
    if (result) return result;
    stream_->async_handshake(ssl::stream_base::client,
                             [&result](beast::error_code ec) { result = ec; });
    Run();
    return result;
  }

  // Sends one request on the connection and reads its answer.
  absl::StatusOr<Response> Send(beast_http::verb method, std::string_view target,
                                std::string body = "", bool keep_alive = true) {
    Request request(method, beast::string_view(target.data(), target.size()), 11);
    request.set(beast_http::field::host, "localhost");
    request.body() = std::move(body);
    request.keep_alive(keep_alive);
    request.prepare_payload();
    tcp_stream().expires_after(absl::ToChronoNanoseconds(kClientTimeout));
    beast::error_code result;
    beast_http::async_write(*stream_, request,
                            [&result](beast::error_code ec, std::size_t) { result = ec; });
    Run();
    if (result) return absl::UnavailableError("write: " + result.message());
    Response response;
    beast_http::async_read(*stream_, buffer_, response,
                           [&result](beast::error_code ec, std::size_t) { result = ec; });
    Run();
    if (result) return absl::UnavailableError("read: " + result.message());
    return response;
  }
  absl::StatusOr<Response> Get(std::string_view target) {
    return Send(beast_http::verb::get, target);
  }

  // Reads until the server ends the connection: eof when it said so with close_notify,
  // stream_truncated when it just closed TCP.
  beast::error_code ReadUntilClosed() {
    tcp_stream().expires_after(absl::ToChronoNanoseconds(kClientTimeout));
    beast::error_code result;
    beast_http::response_parser<beast_http::string_body> parser;
    beast_http::async_read(*stream_, buffer_, parser,
                           [&result](beast::error_code ec, std::size_t) { result = ec; });
    Run();
    return result;
  }

  std::string negotiated_alpn() {
    const unsigned char* data = nullptr;
    unsigned length = 0;
    SSL_get0_alpn_selected(stream_->native_handle(), &data, &length);
    return std::string(reinterpret_cast<const char*>(data), length);
  }

 private:
  beast::tcp_stream& tcp_stream() { return beast::get_lowest_layer(*stream_); }
  void Run() {
    io_.restart();
    io_.run();
  }

  asio::io_context io_;
  ssl::context context_{ssl::context::tls_client};
  std::vector<unsigned char> alpn_wire_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
};

class HttpServerTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = &SharedTestPki().dir;
    pki_ = &SharedTestPki().pki;
  }

  static TlsServerOptions Tls(ClientCertificateMode mode) {
    TlsServerOptions tls;
    tls.certificate_chain_pem = ReadFile(pki_->server.cert);
    tls.private_key_pem = ReadFile(pki_->server.key);
    if (mode != ClientCertificateMode::kNone) tls.client_ca_pem = ReadFile(pki_->ca);
    tls.client_certificate = mode;
    return tls;
  }

  std::unique_ptr<HttpServer> StartServer(HttpServerOptions options) {
    auto server = std::make_unique<HttpServer>(std::move(options), handler_, stats_, "test");
    EXPECT_THAT(server->Start(), IsOk());
    return server;
  }
  std::unique_ptr<HttpServer> StartServer(ClientCertificateMode mode) {
    HttpServerOptions options;
    options.tls = Tls(mode);
    return StartServer(options);
  }

  // Whether the server refused `client`'s connection, at the handshake or (TLS 1.3) at the
  // first request, without the handler seeing anything.
  ::testing::AssertionResult Refuses(TlsTestClient& client, const HttpServer& server) {
    if (client.Connect(server.port())) return ::testing::AssertionSuccess();
    absl::StatusOr<Response> response = client.Get("/");
    if (response.ok()) {
      return ::testing::AssertionFailure() << "answered " << response->result_int();
    }
    return ::testing::AssertionSuccess();
  }

  int64_t Stat(std::string_view name) const { return stats_.ValueOf(name, {{"listener", "test"}}); }

  static const TempDir* dir_;
  static const TestPki* pki_;
  RecordingHandler handler_;
  stats::StatsStore stats_;
};

const TempDir* HttpServerTlsTest::dir_ = nullptr;
const TestPki* HttpServerTlsTest::pki_ = nullptr;

TEST_F(HttpServerTlsTest, ServesSeveralRequestsOnOneTlsConnectionOverHttp11) {
  auto server = StartServer(ClientCertificateMode::kRequire);
  TlsTestClient client(*pki_, &pki_->agent);
  ASSERT_FALSE(client.Connect(server->port()));
  EXPECT_EQ(client.negotiated_alpn(), "http/1.1");  // offered h2 first
  for (int i = 0; i < 3; ++i) {
    const std::string body = "request " + std::to_string(i);
    absl::StatusOr<Response> response = client.Send(beast_http::verb::post, "/echo", body);
    ASSERT_THAT(response, IsOk());
    EXPECT_EQ(response->result_int(), 200u);
    EXPECT_EQ(response->body(), body);
    EXPECT_TRUE(response->keep_alive());
  }
  EXPECT_EQ(Stat("listener.connections_total"), 1);
  EXPECT_EQ(Stat("listener.tls_handshake_errors"), 0);
}

TEST_F(HttpServerTlsTest, GivesTheHandlerTheSubjectAndDnsNamesOfTheVerifiedCertificate) {
  auto server = StartServer(ClientCertificateMode::kRequire);
  TlsTestClient client(*pki_, &pki_->agent);
  ASSERT_FALSE(client.Connect(server->port()));
  ASSERT_THAT(client.Get("/"), IsOk());
  const PeerCertificate certificate = handler_.last_certificate();
  EXPECT_TRUE(certificate.verified);
  EXPECT_EQ(certificate.subject, "CN=agent-7,O=acme");
  EXPECT_THAT(certificate.dns_names, ElementsAre("agent-7.acme.example"));
  EXPECT_THAT(certificate.uris, IsEmpty());
}

TEST_F(HttpServerTlsTest, GivesTheHandlerTheUriNamesOfTheVerifiedCertificate) {
  auto server = StartServer(ClientCertificateMode::kRequire);
  TlsTestClient client(*pki_, &pki_->planner);
  ASSERT_FALSE(client.Connect(server->port()));
  ASSERT_THAT(client.Get("/"), IsOk());
  const PeerCertificate certificate = handler_.last_certificate();
  EXPECT_TRUE(certificate.verified);
  EXPECT_EQ(certificate.subject, "CN=planner");
  EXPECT_THAT(certificate.dns_names, IsEmpty());
  EXPECT_THAT(certificate.uris, ElementsAre("spiffe://globex.example/agents/planner"));
}

TEST_F(HttpServerTlsTest, RefusesAClientWithoutACertificateWhenOneIsRequired) {
  auto server = StartServer(ClientCertificateMode::kRequire);
  TlsTestClient client(*pki_, nullptr);
  EXPECT_TRUE(Refuses(client, *server));
  EXPECT_EQ(handler_.calls(), 0);
  // The client can see the connection end before the server's handler has counted it.
  EXPECT_TRUE(WaitUntil([&] { return Stat("listener.tls_handshake_errors") == 1; }))
      << Stat("listener.tls_handshake_errors");
}

TEST_F(HttpServerTlsTest, RefusesACertificateFromAnotherCaWhetherRequiredOrOptional) {
  for (ClientCertificateMode mode :
       {ClientCertificateMode::kRequire, ClientCertificateMode::kOptional}) {
    auto server = StartServer(mode);
    TlsTestClient client(*pki_, &pki_->stranger);
    EXPECT_TRUE(Refuses(client, *server));
  }
  EXPECT_EQ(handler_.calls(), 0);
}

TEST_F(HttpServerTlsTest, ServesAClientWithoutACertificateWhenOptionalAsUnverified) {
  auto server = StartServer(ClientCertificateMode::kOptional);
  TlsTestClient anonymous(*pki_, nullptr);
  ASSERT_FALSE(anonymous.Connect(server->port()));
  absl::StatusOr<Response> response = anonymous.Get("/");
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->result_int(), 200u);
  EXPECT_FALSE(handler_.last_certificate().verified);
  EXPECT_EQ(handler_.last_certificate().subject, "");

  TlsTestClient agent(*pki_, &pki_->agent);
  ASSERT_FALSE(agent.Connect(server->port()));
  ASSERT_THAT(agent.Get("/"), IsOk());
  EXPECT_TRUE(handler_.last_certificate().verified);
  EXPECT_EQ(handler_.last_certificate().subject, "CN=agent-7,O=acme");
}

TEST_F(HttpServerTlsTest, AsksForNoCertificateWithoutClientCas) {
  auto server = StartServer(ClientCertificateMode::kNone);
  TlsTestClient client(*pki_, &pki_->agent);  // has one, but is not asked for it
  ASSERT_FALSE(client.Connect(server->port()));
  ASSERT_THAT(client.Get("/"), IsOk());
  EXPECT_FALSE(handler_.last_certificate().verified);
  EXPECT_EQ(handler_.last_certificate().subject, "");
}

TEST_F(HttpServerTlsTest, RefusesAClientThatOffersOnlyHttp2) {
  auto server = StartServer(ClientCertificateMode::kNone);
  TlsTestClient client(*pki_, nullptr, {"h2"});
  EXPECT_TRUE(Refuses(client, *server));
}

TEST_F(HttpServerTlsTest, EndsPlainHttpOnTheTlsPortWithoutAnAnswer) {
  auto server = StartServer(ClientCertificateMode::kNone);
  absl::StatusOr<std::string> answer =
      SendRawHttp(kHost, server->port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_THAT(answer, IsOk());  // the server closed the connection
  EXPECT_THAT(*answer, Not(StartsWith("HTTP/")));
  EXPECT_EQ(handler_.calls(), 0);
  // The client can see the connection end before the server's handler has counted it.
  EXPECT_TRUE(WaitUntil([&] { return Stat("listener.tls_handshake_errors") == 1; }))
      << Stat("listener.tls_handshake_errors");
}

TEST_F(HttpServerTlsTest, DisconnectsAClientThatNeverFinishesTheHandshake) {
  HttpServerOptions options;
  options.tls = Tls(ClientCertificateMode::kRequire);
  options.tls->handshake_timeout = absl::Milliseconds(200);
  options.read_timeout = absl::Hours(1);  // so only the handshake timeout can end it
  auto server = StartServer(options);
  const absl::Time start = absl::Now();
  // Connects and sends nothing; returns once the server has closed the connection.
  absl::StatusOr<std::string> answer = SendRawHttp(kHost, server->port(), "", absl::Seconds(10));
  ASSERT_THAT(answer, IsOk());
  EXPECT_EQ(*answer, "");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // The client can see the connection end before the server's handler has counted it.
  EXPECT_TRUE(WaitUntil([&] { return Stat("listener.tls_handshake_errors") == 1; }))
      << Stat("listener.tls_handshake_errors");
}

TEST_F(HttpServerTlsTest, RefusesABodyOverMaxBodyBytesWith413OverTls) {
  HttpServerOptions options;
  options.tls = Tls(ClientCertificateMode::kRequire);
  options.max_body_bytes = 1024;
  auto server = StartServer(options);
  TlsTestClient client(*pki_, &pki_->agent);
  ASSERT_FALSE(client.Connect(server->port()));
  // Far more than the socket buffers hold: the answer arrives because the server discards
  // the refused body instead of resetting the connection.
  absl::StatusOr<Response> response =
      client.Send(beast_http::verb::post, "/echo", std::string(std::size_t{4} * 1024 * 1024, 'x'));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->result_int(), 413u);
  EXPECT_THAT(response->body(), HasSubstr("max_body_bytes (1024 bytes)"));
  EXPECT_FALSE(response->keep_alive());
  EXPECT_EQ(handler_.calls(), 0);
}

TEST_F(HttpServerTlsTest, EndsAConnectionClosedByTheRequestWithCloseNotify) {
  auto server = StartServer(ClientCertificateMode::kNone);
  TlsTestClient client(*pki_, nullptr);
  ASSERT_FALSE(client.Connect(server->port()));
  absl::StatusOr<Response> response =
      client.Send(beast_http::verb::get, "/", "", /*keep_alive=*/false);
  ASSERT_THAT(response, IsOk());
  EXPECT_FALSE(response->keep_alive());
  // eof, not stream_truncated: the answer is known to be complete.
  EXPECT_EQ(client.ReadUntilClosed(), beast_http::error::end_of_stream);
}

TEST_F(HttpServerTlsTest, ClosesAKeptAliveTlsConnectionIdleLongerThanIdleTimeout) {
  HttpServerOptions options;
  options.tls = Tls(ClientCertificateMode::kNone);
  options.idle_timeout = absl::Milliseconds(200);
  auto server = StartServer(options);
  TlsTestClient client(*pki_, nullptr);
  ASSERT_FALSE(client.Connect(server->port()));
  ASSERT_THAT(client.Get("/"), IsOk());
  const absl::Time start = absl::Now();
  EXPECT_TRUE(client.ReadUntilClosed());
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(HttpServerTlsTest, StopClosesTlsConnectionsMidHandshakeAndIdle) {
  HttpServerOptions options;
  options.tls = Tls(ClientCertificateMode::kRequire);
  options.idle_timeout = absl::Hours(1);
  options.tls->handshake_timeout = absl::Hours(1);
  auto server = StartServer(options);
  TlsTestClient idle(*pki_, &pki_->agent);
  ASSERT_FALSE(idle.Connect(server->port()));
  ASSERT_THAT(idle.Get("/"), IsOk());
  asio::io_context io;
  tcp::socket silent(io);  // connected, never sends a ClientHello
  beast::error_code ec;
  silent.connect(tcp::endpoint(asio::ip::make_address(kHost), server->port()), ec);
  ASSERT_FALSE(ec) << ec.message();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (Stat("listener.connections_active") < 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ(Stat("listener.connections_active"), 2);

  server->Stop();  // with one-hour timeouts, a Stop that waited would hang the test
  EXPECT_EQ(Stat("listener.connections_active"), 0);
  EXPECT_TRUE(idle.ReadUntilClosed());
  EXPECT_EQ(Stat("listener.tls_handshake_errors"), 0);  // Stop is not the client's error
}

TEST_F(HttpServerTlsTest, FailsToStartWithAKeyThatIsNotTheCertificates) {
  HttpServerOptions options;
  options.tls = Tls(ClientCertificateMode::kNone);
  options.tls->private_key_pem = ReadFile(pki_->agent.key);
  HttpServer server(options, handler_, stats_, "test");
  EXPECT_THAT(server.Start(), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("is not the certificate's: key values mismatch")));
}

TEST_F(HttpServerTlsTest, FailsToStartWithACertificateThatIsNotPem) {
  HttpServerOptions options;
  options.tls = Tls(ClientCertificateMode::kNone);
  options.tls->certificate_chain_pem = "not a certificate";
  HttpServer server(options, handler_, stats_, "test");
  EXPECT_THAT(server.Start(), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("certificate chain does not load")));
}

}  // namespace
}  // namespace chaukas::http
