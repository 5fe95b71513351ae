#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace chaukas::testing {

struct HttpTestResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; repeats joined with ", "
  std::string body;
  bool keep_alive = false;
};

// A small synchronous HTTP/1.1 client for tests. It keeps one keep-alive connection and
// opens a new one when the server has closed it; a request that finds a reused connection
// dead before any answer arrives is sent once more on a fresh one. Every call is bounded by
// timeout() (connect, write and read together), so a broken server fails a test instead of
// hanging it. Transport failures come back as statuses. Not thread-safe: one per thread.
class HttpTestClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  HttpTestClient(std::string host, uint16_t port);
  ~HttpTestClient();
  HttpTestClient(const HttpTestClient&) = delete;
  HttpTestClient& operator=(const HttpTestClient&) = delete;

  [[nodiscard]] absl::StatusOr<HttpTestResponse> Send(std::string_view method,
                                                      std::string_view target,
                                                      std::string_view body = "",
                                                      const Headers& headers = {});
  [[nodiscard]] absl::StatusOr<HttpTestResponse> Get(std::string_view target);
  [[nodiscard]] absl::StatusOr<HttpTestResponse> Post(
      std::string_view target, std::string_view body,
      std::string_view content_type = "application/json");

  absl::Duration timeout() const { return timeout_; }
  void set_timeout(absl::Duration timeout) { timeout_ = timeout; }
  // TCP connections opened so far: stays 1 while keep-alive holds.
  int connections_opened() const { return connections_opened_; }

 private:
  class Connection;

  const std::string host_;
  const uint16_t port_;
  absl::Duration timeout_ = absl::Seconds(10);
  int connections_opened_ = 0;
  std::unique_ptr<Connection> connection_;
};

// Connects, writes `bytes` as they are, and returns everything the server sends until it
// closes the connection. DeadlineExceeded when the server has not closed it within `timeout`.
// For malformed-input tests.
[[nodiscard]] absl::StatusOr<std::string> SendRawHttp(const std::string& host, uint16_t port,
                                                      std::string_view bytes,
                                                      absl::Duration timeout = absl::Seconds(10));

}  // namespace chaukas::testing
