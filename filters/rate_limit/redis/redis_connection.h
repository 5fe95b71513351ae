#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

// hiredis's context, kept out of this header so that only redis_connection.cc sees hiredis.
struct redisContext;

namespace chaukas::filters::rate_limit {

// One reply of Redis's protocol (RESP2, the one hiredis 0.14 speaks), copied out of hiredis's
// reply tree so callers never free hiredis objects.
struct RedisReply {
  enum class Type { kString, kStatus, kInteger, kNil, kArray, kError };

  Type type = Type::kNil;
  std::string text;  // kString, kStatus and kError ("NOSCRIPT No matching script. ...")
  int64_t integer = 0;
  std::vector<RedisReply> elements;  // kArray

  bool is_error() const { return type == Type::kError; }
};

struct RedisAddress {
  std::string host;
  uint16_t port = 0;
};

// "host:port" or "[v6 address]:port" into its parts; an error names what is wrong with it.
[[nodiscard]] absl::StatusOr<RedisAddress> ParseRedisAddress(std::string_view address);

struct RedisConnectionOptions {
  RedisAddress address;
  absl::Duration connect_timeout = absl::Milliseconds(500);
  // Bounds each write and each read of a reply; past it the connection is broken.
  absl::Duration command_timeout = absl::Milliseconds(250);
  std::optional<std::string> password;  // AUTH after connecting when set
  int db = 0;                           // SELECT after connecting when not 0
};

// A blocking connection to one Redis server: a RAII owner of hiredis's synchronous
// redisContext. Not thread-safe: one thread (RedisBackend's background thread) owns it.
//
// Two kinds of failure, kept apart because they call for different actions: a non-OK status
// means the connection itself failed (refused, timed out, closed, unreadable) and is now
// unusable (broken() is true: make a new one); a reply of Type::kError is Redis refusing one
// command, and the connection goes on.
class RedisConnection {
 public:
  // Connects within connect_timeout, then authenticates and selects the database.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RedisConnection>> Connect(
      const RedisConnectionOptions& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends every command in one write and reads their replies in order: one round trip for all
  // of them. The replies are in the order of the commands.
  [[nodiscard]] absl::StatusOr<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  // One command, one round trip.
  [[nodiscard]] absl::StatusOr<RedisReply> Command(const std::vector<std::string>& arguments);

  bool broken() const { return broken_; }
  const std::string& peer() const { return peer_; }  // "host:port", for messages

 private:
  RedisConnection(redisContext* context, std::string peer, absl::Duration command_timeout);
  // The status for hiredis's current error, and marks the connection broken.
  absl::Status Failure(std::string_view doing);

  redisContext* const context_;
  const std::string peer_;
  const absl::Duration command_timeout_;
  bool broken_ = false;
};

}  // namespace chaukas::filters::rate_limit
