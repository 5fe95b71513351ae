#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "config/config_node.h"
#include "filters/filter.h"
#include "filters/rate_limit/rate_limit_backend.h"
#include "filters/rate_limit/redis/redis_backend.h"

namespace chaukas::filters::rate_limit {

// What a limit counts.
enum class Unit {
  kRequests,   // client requests (1 per request and key)
  kEvents,     // events
  kBytes,      // serialized protobuf bytes of each event
  kLlmTokens,  // cost.total_tokens, else llm_invocation.total_tokens
  kCostUsd,    // cost.total_cost
};

// What a limit's buckets are keyed by; a limit keys by one or more of these.
enum class KeyPart {
  kTenant,      // the event's tenant_id (stamped by tenant_auth when it runs first)
  kProject,     // project_id
  kCredential,  // the principal's credential ("api_key:ci"), else the client's address
  kEventType,   // EVENT_TYPE_... name
  kAgent,       // agent_id
};

struct LimitOverride {
  std::string tenant;  // exact
  BucketLimit bucket;
};

struct LimitRule {
  std::string name;  // stats label and the bucket keys' prefix: stable across replicas
  std::vector<KeyPart> key;
  Unit unit = Unit::kEvents;
  BucketLimit bucket;
  std::vector<LimitOverride> overrides;

  // The bucket for events of `tenant`: its override, or the rule's.
  const BucketLimit& BucketFor(std::string_view tenant) const;
};

struct RateLimitConfig {
  std::vector<LimitRule> limits;
  bool shadow = false;         // mode: shadow counts what would be limited, enforces nothing
  bool accept_prefix = false;  // partial: accept_prefix admits the part of a batch that fits
  // Local buckets (and the local fallback of redis) are forgotten once idle this long and full.
  absl::Duration idle_timeout = absl::Minutes(10);
  std::optional<RedisBackendOptions> redis;  // backend: redis
};

[[nodiscard]] absl::StatusOr<RateLimitConfig> ParseRateLimitConfig(const config::ConfigNode& node);

// The registry's factory for "rate_limit".
[[nodiscard]] absl::StatusOr<std::unique_ptr<Filter>> CreateRateLimitFilter(
    const config::ConfigNode& node, FilterFactoryContext& context);

}  // namespace chaukas::filters::rate_limit
