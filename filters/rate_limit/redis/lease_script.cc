#include "filters/rate_limit/redis/lease_script.h"

#include <array>
#include <charconv>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/strings.h"

namespace chaukas::filters::rate_limit {
namespace {

// KEYS[1]: the bucket. ARGV: rate per second, burst, tokens requested, debt. Returns
// {granted, tokens left, microseconds until `requested` are there (-1: never)}, all as
// strings: Redis would truncate a Lua number to an integer reply, and tokens are fractional.
// Numbers are written with %.17g, which a double survives unchanged (times in microseconds
// since 1970 are integers below 2^53, so they print without an exponent).
constexpr char kSource[] = R"lua(
-- Redis before 5 replicates scripts verbatim and refuses writes after TIME unless told to
-- replicate effects; since 5 that is the default, and since 7 the call does nothing.
if redis.replicate_commands then redis.replicate_commands() end

local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local requested = tonumber(ARGV[3])
local debt = tonumber(ARGV[4])
if not (rate and burst and requested and debt) then
  return redis.error_reply('ERR chaukas lease script: arguments are not numbers')
end

local clock = redis.call('TIME')
local now_us = tonumber(clock[1]) * 1000000 + tonumber(clock[2])

local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at_us')
local tokens = tonumber(bucket[1])
local at_us = tonumber(bucket[2])
if tokens == nil or at_us == nil then
  tokens = burst
elseif now_us > at_us then
  tokens = tokens + (now_us - at_us) * rate / 1000000
end
-- The first min also applies a burst lowered since the last call; the second keeps tokens
-- given back (a negative debt) from filling the bucket past burst.
tokens = math.min(math.min(tokens, burst) - debt, burst)

local granted = 0
if requested > 0 and tokens > 0 then
  granted = math.min(requested, tokens)
  tokens = tokens - granted
end
-- A clock that stepped back (a failover to a server whose clock is behind) refills nothing,
-- and the bucket follows it back rather than waiting for the old time to come round again.
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
           'at_us', string.format('%.17g', now_us))

local wait_us = 0
if tokens < requested then
  if rate > 0 then wait_us = math.ceil((requested - tokens) * 1000000 / rate) else wait_us = -1 end
end

-- A missing bucket is created full, so the key may vanish once it would be full again.
local full_ms = -1
if rate > 0 then full_ms = math.ceil((burst - tokens) * 1000 / rate) end
if full_ms >= 0 and full_ms < 9007199254740992 then
  redis.call('PEXPIRE', KEYS[1], string.format('%.17g', math.max(full_ms, 1)))
else
  redis.call('PERSIST', KEYS[1])
end

return {string.format('%.17g', granted), string.format('%.17g', tokens),
        string.format('%.17g', wait_us)}
)lua";

// The shortest text that reads back as the same double, which Lua's tonumber parses.
std::string FormatNumber(double value) {
  std::array<char, 32> buffer;
  const std::to_chars_result result =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

absl::Status NotALeaseReply(const RedisReply& reply) {
  if (reply.is_error()) {
    return absl::UnavailableError(absl::StrCat("lease script failed: ", reply.text));
  }
  return absl::InternalError("lease script answered something other than 3 numbers");
}

}  // namespace

std::string_view LeaseScriptSource() { return kSource; }

std::vector<std::string> LeaseCommand(const LeaseRequest& request, std::string_view sha) {
  std::vector<std::string> command;
  command.reserve(9);
  if (sha.empty()) {
    command.emplace_back("EVAL");
    command.emplace_back(kSource);
  } else {
    command.emplace_back("EVALSHA");
    command.emplace_back(sha);
  }
  command.emplace_back("1");
  command.push_back(request.redis_key);
  command.push_back(FormatNumber(request.rate_per_second));
  command.push_back(FormatNumber(request.burst));
  command.push_back(FormatNumber(request.requested));
  command.push_back(FormatNumber(request.debt));
  return command;
}

absl::StatusOr<LeaseGrant> ParseLeaseReply(const RedisReply& reply) {
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() != 3) {
    return NotALeaseReply(reply);
  }
  std::array<double, 3> numbers{};
  for (size_t i = 0; i < numbers.size(); ++i) {
    const RedisReply& element = reply.elements[i];
    if (element.type != RedisReply::Type::kString || !absl::SimpleAtod(element.text, &numbers[i])) {
      return NotALeaseReply(reply);
    }
  }
  LeaseGrant grant;
  grant.granted = numbers[0];
  grant.remaining = numbers[1];
  // Negative (the script's "never") and NaN both mean no refill will ever get there.
  grant.wait = numbers[2] >= 0 ? absl::Microseconds(numbers[2]) : absl::InfiniteDuration();
  return grant;
}

bool IsNoScriptError(const RedisReply& reply) {
  return reply.is_error() && absl::StartsWith(reply.text, "NOSCRIPT");
}

}  // namespace chaukas::filters::rate_limit
