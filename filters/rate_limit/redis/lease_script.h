#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "filters/rate_limit/redis/redis_connection.h"

namespace chaukas::filters::rate_limit {

// The Lua token bucket that every replica leases tokens from, run atomically by Redis.
//
// A bucket is a hash {tokens, at_us} under its key. Each call refills it from Redis's own TIME
// (one clock for the whole fleet, whatever the replicas' clocks say), capped at burst; charges
// the replica's debt; grants min(requested, tokens left) when some are left; and sets a
// PEXPIRE at the moment the bucket would be full again, since a missing bucket is created
// full: an idle key costs Redis nothing and comes back exactly as it would have been.
// Scripts that call TIME and then write are replicated by their effects (the only mode of
// Redis 7), so replicas of the Redis server apply the same numbers.
std::string_view LeaseScriptSource();

// What one replica asks of one key's bucket in one call.
struct LeaseRequest {
  std::string redis_key;  // key_prefix + the filter's key
  double rate_per_second = 0;
  double burst = 0;
  double requested = 0;  // tokens wanted now; 0 when the call only settles debt
  // Tokens this replica spent that Redis was not charged for yet (the starting credit of a new
  // key), minus unused leased tokens it gives back. Charged before granting, so the bucket may
  // go below zero: it must then refill past the debt before granting again.
  double debt = 0;
};

struct LeaseGrant {
  double granted = 0;    // tokens now leased to the replica, 0 <= granted <= requested
  double remaining = 0;  // tokens left in the bucket after the call (negative: in debt)
  // How long until the bucket holds `requested` tokens again: 0 when it does now, and
  // absl::InfiniteDuration() when it never refills (rate 0).
  absl::Duration wait;
};

// EVALSHA of the script loaded as `sha`, or EVAL with its source when `sha` is empty.
std::vector<std::string> LeaseCommand(const LeaseRequest& request, std::string_view sha);

// The script's answer, or an error when the reply is not one (an error reply included).
[[nodiscard]] absl::StatusOr<LeaseGrant> ParseLeaseReply(const RedisReply& reply);

// Redis answers EVALSHA this way when its script cache does not hold the script (a restarted
// server, SCRIPT FLUSH): send the same call as EVAL.
bool IsNoScriptError(const RedisReply& reply);

}  // namespace chaukas::filters::rate_limit
