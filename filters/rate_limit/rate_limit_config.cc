#include "filters/rate_limit/rate_limit_config.h"

#include <array>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "filters/rate_limit/rate_limit_filter.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/strings.h"

namespace chaukas::filters::rate_limit {
namespace {

// The keys that set a limit's amount: a rate per second (with `burst`) or a budget per period
// (the whole budget is the burst; it refills evenly over the period).
struct AmountKey {
  std::string_view name;
  Unit unit;
  absl::Duration period;  // ZeroDuration: a rate per second
};
constexpr absl::Duration kPerSecond = absl::ZeroDuration();
const std::array<AmountKey, 9> kAmountKeys = {{
    {"requests_per_second", Unit::kRequests, kPerSecond},
    {"events_per_second", Unit::kEvents, kPerSecond},
    {"bytes_per_second", Unit::kBytes, kPerSecond},
    {"llm_tokens_per_minute", Unit::kLlmTokens, absl::Minutes(1)},
    {"llm_tokens_per_hour", Unit::kLlmTokens, absl::Hours(1)},
    {"llm_tokens_per_day", Unit::kLlmTokens, absl::Hours(24)},
    {"cost_usd_per_minute", Unit::kCostUsd, absl::Minutes(1)},
    {"cost_usd_per_hour", Unit::kCostUsd, absl::Hours(1)},
    {"cost_usd_per_day", Unit::kCostUsd, absl::Hours(24)},
}};

constexpr std::array<std::pair<std::string_view, KeyPart>, 5> kKeyParts = {{
    {"tenant", KeyPart::kTenant},
    {"project", KeyPart::kProject},
    {"credential", KeyPart::kCredential},
    {"event_type", KeyPart::kEventType},
    {"agent", KeyPart::kAgent},
}};

std::string AmountKeyNames() {
  std::vector<std::string> names;
  for (const AmountKey& amount : kAmountKeys) names.emplace_back(amount.name);
  return absl::StrJoin(names, ", ");
}

// The one amount key set in `node` (a limit or an override), with its bucket; `allowed`
// restricts it to one unit (an override keeps its limit's unit).
absl::StatusOr<std::pair<const AmountKey*, BucketLimit>> ParseAmount(const config::ConfigNode& node,
                                                                     std::optional<Unit> allowed) {
  const AmountKey* found = nullptr;
  for (const AmountKey& amount : kAmountKeys) {
    if (!node.Child(amount.name).IsDefined()) continue;
    if (found != nullptr) {
      return node.Error(absl::StrCat("set one of ", ToAbsl(found->name), " and ",
                                     ToAbsl(amount.name),
                                     ", not both: one limit counts one thing"));
    }
    found = &amount;
  }
  if (found == nullptr) return node.Error(absl::StrCat("set one of ", AmountKeyNames()));
  if (allowed && found->unit != *allowed) {
    return node.Child(found->name).Error("an override must count what its limit counts");
  }
  CHAUKAS_ASSIGN_OR_RETURN(double amount, node.Child(found->name).AsDouble(0, 1e15));
  if (amount <= 0) return node.Child(found->name).Error("must be > 0");
  BucketLimit bucket;
  if (found->period == kPerSecond) {
    bucket.rate_per_second = amount;
    CHAUKAS_ASSIGN_OR_RETURN(bucket.burst, node.GetDouble("burst", amount, 0, 1e15));
    if (bucket.burst < 1 && found->unit != Unit::kBytes) {
      return node.Child("burst").Error("must be at least 1, or nothing ever fits");
    }
  } else {
    if (node.Child("burst").IsDefined()) {
      return node.Child("burst").Error(
          absl::StrCat("a budget (", ToAbsl(found->name), ") is its own burst: remove burst"));
    }
    bucket.burst = amount;
    bucket.rate_per_second = amount / absl::ToDoubleSeconds(found->period);
  }
  return std::make_pair(found, bucket);
}

// `key: tenant` or `key: [tenant, project]`.
absl::StatusOr<std::vector<std::string>> KeyNames(const config::ConfigNode& node) {
  if (node.IsScalar()) {
    CHAUKAS_ASSIGN_OR_RETURN(std::string name, node.AsString());
    return std::vector<std::string>{name};
  }
  return node.AsStringList();
}

absl::StatusOr<std::vector<KeyPart>> ParseKey(const config::ConfigNode& node) {
  CHAUKAS_ASSIGN_OR_RETURN(std::vector<std::string> names, KeyNames(node));
  if (names.empty())
    return node.Error("must name at least one of tenant, project, credential, event_type, agent");
  std::vector<KeyPart> key;
  for (const std::string& name : names) {
    const auto known = std::find_if(kKeyParts.begin(), kKeyParts.end(),
                                    [&](const auto& part) { return part.first == name; });
    if (known == kKeyParts.end()) {
      return node.Error(
          absl::StrCat("unknown key part \"", name,
                       "\"; choose from tenant, project, credential, event_type, agent"));
    }
    key.push_back(known->second);
  }
  return key;
}

std::string DefaultName(const std::vector<std::string>& key_names, const AmountKey& amount) {
  return absl::StrCat(absl::StrJoin(key_names, "_"), ".", ToAbsl(amount.name));
}

absl::StatusOr<LimitRule> ParseLimit(const config::ConfigNode& node) {
  std::vector<std::string_view> allowed = {"name", "key", "burst", "overrides"};
  for (const AmountKey& amount : kAmountKeys) allowed.push_back(amount.name);
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys(allowed));
  LimitRule rule;
  CHAUKAS_ASSIGN_OR_RETURN(config::ConfigNode key, node.Require("key"));
  CHAUKAS_ASSIGN_OR_RETURN(rule.key, ParseKey(key));
  CHAUKAS_ASSIGN_OR_RETURN(auto amount, ParseAmount(node, std::nullopt));
  rule.unit = amount.first->unit;
  rule.bucket = amount.second;
  CHAUKAS_ASSIGN_OR_RETURN(std::vector<std::string> key_names, KeyNames(key));
  CHAUKAS_ASSIGN_OR_RETURN(rule.name,
                           node.GetString("name", DefaultName(key_names, *amount.first)));
  if (config::ConfigNode overrides = node.Child("overrides"); overrides.IsDefined()) {
    CHAUKAS_RETURN_IF_ERROR(overrides.ExpectSequence());
    std::set<std::string> tenants;
    for (const config::ConfigNode& entry : overrides.Elements()) {
      // Any amount key of the limit's unit (another period of the same budget, say).
      std::vector<std::string_view> override_keys = {"tenant", "burst"};
      for (const AmountKey& same : kAmountKeys) {
        if (same.unit == rule.unit) override_keys.push_back(same.name);
      }
      CHAUKAS_RETURN_IF_ERROR(entry.CheckKeys(override_keys));
      LimitOverride limit_override;
      CHAUKAS_ASSIGN_OR_RETURN(config::ConfigNode tenant, entry.Require("tenant"));
      CHAUKAS_ASSIGN_OR_RETURN(limit_override.tenant, tenant.AsString());
      if (!tenants.insert(limit_override.tenant).second) {
        return tenant.Error("this tenant already has an override in this limit");
      }
      CHAUKAS_ASSIGN_OR_RETURN(auto override_amount, ParseAmount(entry, rule.unit));
      limit_override.bucket = override_amount.second;
      rule.overrides.push_back(std::move(limit_override));
    }
  }
  return rule;
}

absl::StatusOr<RedisBackendOptions> ParseRedis(const config::ConfigNode& node) {
  CHAUKAS_RETURN_IF_ERROR(
      node.CheckKeys({"address", "password_file", "db", "connect_timeout_ms", "command_timeout_ms",
                      "lease_ms", "sync_interval_ms", "key_prefix", "on_redis_error"}));
  RedisBackendOptions options;
  CHAUKAS_ASSIGN_OR_RETURN(config::ConfigNode address, node.Require("address"));
  CHAUKAS_ASSIGN_OR_RETURN(options.address, address.AsString());
  if (config::ConfigNode password = node.Child("password_file"); password.IsDefined()) {
    CHAUKAS_ASSIGN_OR_RETURN(options.password, config::ReadSecretFile(password));
  }
  CHAUKAS_ASSIGN_OR_RETURN(int64_t db, node.GetInt("db", 0, 0, 1'000'000));
  options.db = static_cast<int>(db);
  const auto milliseconds = [&node](std::string_view key, absl::Duration fallback, int64_t min,
                                    int64_t max) -> absl::StatusOr<absl::Duration> {
    CHAUKAS_ASSIGN_OR_RETURN(int64_t value,
                             node.GetInt(key, absl::ToInt64Milliseconds(fallback), min, max));
    return absl::Milliseconds(value);
  };
  CHAUKAS_ASSIGN_OR_RETURN(options.connect_timeout,
                           milliseconds("connect_timeout_ms", options.connect_timeout, 1, 60'000));
  CHAUKAS_ASSIGN_OR_RETURN(options.command_timeout,
                           milliseconds("command_timeout_ms", options.command_timeout, 1, 60'000));
  CHAUKAS_ASSIGN_OR_RETURN(options.lease, milliseconds("lease_ms", options.lease, 1, 60'000));
  CHAUKAS_ASSIGN_OR_RETURN(options.sync_interval,
                           milliseconds("sync_interval_ms", options.sync_interval, 1, 60'000));
  CHAUKAS_ASSIGN_OR_RETURN(options.key_prefix, node.GetString("key_prefix", options.key_prefix));
  CHAUKAS_ASSIGN_OR_RETURN(std::string on_error,
                           node.GetEnum("on_redis_error", OnRedisErrorName(options.on_error),
                                        {"allow", "deny", "local"}));
  CHAUKAS_ASSIGN_OR_RETURN(options.on_error, ParseOnRedisError(on_error));
  if (absl::Status valid = ValidateRedisBackendOptions(options); !valid.ok()) {
    return node.Error(ToStd(valid.message()));
  }
  return options;
}

}  // namespace

const BucketLimit& LimitRule::BucketFor(std::string_view tenant) const {
  for (const LimitOverride& limit_override : overrides) {
    if (limit_override.tenant == tenant) return limit_override.bucket;
  }
  return bucket;
}

absl::StatusOr<RateLimitConfig> ParseRateLimitConfig(const config::ConfigNode& node) {
  CHAUKAS_RETURN_IF_ERROR(
      node.CheckKeys({"backend", "redis", "mode", "partial", "idle_timeout_seconds", "limits"}));
  RateLimitConfig config;
  CHAUKAS_ASSIGN_OR_RETURN(std::string backend,
                           node.GetEnum("backend", "local", {"local", "redis"}));
  const config::ConfigNode redis = node.Child("redis");
  if (backend == "redis") {
    if (!redis.IsDefined()) return node.Error("backend: redis needs a redis: {address: ...} block");
    CHAUKAS_ASSIGN_OR_RETURN(config.redis, ParseRedis(redis));
  } else if (redis.IsDefined()) {
    return redis.Error("is only used with backend: redis");
  }
  CHAUKAS_ASSIGN_OR_RETURN(std::string mode,
                           node.GetEnum("mode", "enforce", {"enforce", "shadow"}));
  config.shadow = mode == "shadow";
  CHAUKAS_ASSIGN_OR_RETURN(std::string partial,
                           node.GetEnum("partial", "reject", {"reject", "accept_prefix"}));
  config.accept_prefix = partial == "accept_prefix";
  CHAUKAS_ASSIGN_OR_RETURN(int64_t idle_seconds,
                           node.GetInt("idle_timeout_seconds", 600, 1, 7 * 24 * 3600));
  config.idle_timeout = absl::Seconds(idle_seconds);
  if (config.redis) config.redis->idle_timeout = config.idle_timeout;

  CHAUKAS_ASSIGN_OR_RETURN(config::ConfigNode limits, node.Require("limits"));
  CHAUKAS_RETURN_IF_ERROR(limits.ExpectSequence());
  std::set<std::string> names;
  for (const config::ConfigNode& entry : limits.Elements()) {
    CHAUKAS_ASSIGN_OR_RETURN(LimitRule rule, ParseLimit(entry));
    if (!names.insert(rule.name).second) {
      return entry.Error(absl::StrCat("another limit is already named \"", rule.name,
                                      "\"; give each a distinct name"));
    }
    config.limits.push_back(std::move(rule));
  }
  if (config.limits.empty()) return limits.Error("must list at least one limit");
  return config;
}

absl::StatusOr<std::unique_ptr<Filter>> CreateRateLimitFilter(const config::ConfigNode& node,
                                                              FilterFactoryContext& context) {
  CHAUKAS_ASSIGN_OR_RETURN(RateLimitConfig config, ParseRateLimitConfig(node));
  absl::StatusOr<std::unique_ptr<RateLimitFilter>> filter =
      RateLimitFilter::Create(std::move(config), context.stats, context.clock);
  if (!filter.ok()) return node.Error(ToStd(filter.status().message()));
  return std::unique_ptr<Filter>(*std::move(filter));
}

}  // namespace chaukas::filters::rate_limit
