#include "filters/rate_limit/rate_limit_filter.h"

#include <algorithm>
#include <cmath>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "filters/rate_limit/redis/redis_backend.h"
#include "gateway/common/host_port.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/strings.h"
#include "gateway/pipeline/ingest_status.h"

namespace chaukas::filters::rate_limit {
namespace {

using chaukas::spec::common::v1::EventType_Name;

// Separates a key's parts: a byte no tenant, project or agent id of a sane client contains.
constexpr char kKeySeparator = '\x1f';

// What `event` costs under a per-event unit.
double CostOf(Unit unit, const Event& event) {
  switch (unit) {
    case Unit::kEvents:
      return 1;
    case Unit::kBytes:
      return static_cast<double>(event.ByteSizeLong());
    case Unit::kLlmTokens:
      return event.cost().total_tokens() > 0 ? event.cost().total_tokens()
                                             : event.llm_invocation().total_tokens();
    case Unit::kCostUsd:
      return std::isfinite(event.cost().total_cost()) ? event.cost().total_cost() : 0;
    case Unit::kRequests:
      return 0;  // charged per request, not per event
  }
  return 0;
}

std::string_view UnitName(Unit unit) {
  switch (unit) {
    case Unit::kRequests:
      return "requests";
    case Unit::kEvents:
      return "events";
    case Unit::kBytes:
      return "bytes";
    case Unit::kLlmTokens:
      return "LLM tokens";
    case Unit::kCostUsd:
      return "USD";
  }
  return "";
}

// One key part's value for `event`, after `prefix`.
struct KeyPartValue {
  std::string_view prefix;
  std::string_view value;
};

KeyPartValue ValueOf(KeyPart part, const RequestContext& request, const Event& event) {
  switch (part) {
    case KeyPart::kTenant:
      return {{}, event.tenant_id()};
    case KeyPart::kProject:
      return {{}, event.project_id()};
    case KeyPart::kCredential:
      // Without tenant_auth, the client's address stands for its credential.
      if (request.principal != nullptr) return {{}, request.principal->credential};
      return {"peer:", HostOf(request.peer)};
    case KeyPart::kEventType:
      return {{}, EventType_Name(event.type())};
    case KeyPart::kAgent:
      return {{}, event.agent_id()};
  }
  return {};
}

// The bucket key of `event` under `rule`: the rule's name, then each key part's value. Sized
// first, so building it takes one allocation at most.
std::string KeyOf(const LimitRule& rule, const RequestContext& request, const Event& event) {
  absl::InlinedVector<KeyPartValue, 4> values;
  size_t size = rule.name.size();
  for (KeyPart part : rule.key) {
    values.push_back(ValueOf(part, request, event));
    size += 1 + values.back().prefix.size() + values.back().value.size();
  }
  std::string key;
  key.reserve(size);
  key += rule.name;
  for (const KeyPartValue& value : values) {
    key += kKeySeparator;
    key += value.prefix;
    key += value.value;
  }
  return key;
}

std::string FormatAmount(double amount) { return absl::StrFormat("%.6g", amount); }

}  // namespace

absl::StatusOr<std::unique_ptr<RateLimitFilter>> RateLimitFilter::Create(
    RateLimitConfig config, const stats::StatsScope& scope, const Clock& clock) {
  std::unique_ptr<RateLimitBackend> backend;
  if (config.redis) {
    CHAUKAS_ASSIGN_OR_RETURN(backend, RedisBackend::Create(*config.redis, clock, scope));
  } else {
    backend = std::make_unique<LocalBackend>(clock, config.idle_timeout);
  }
  return std::make_unique<RateLimitFilter>(std::move(config), std::move(backend), scope);
}

RateLimitFilter::RateLimitFilter(RateLimitConfig config, std::unique_ptr<RateLimitBackend> backend,
                                 const stats::StatsScope& scope)
    : config_(std::move(config)),
      backend_(std::move(backend)),
      local_(dynamic_cast<LocalBackend*>(backend_.get())),
      keys_(scope.GetGauge("keys")) {
  for (const LimitRule& rule : config_.limits) {
    const stats::Labels labels = {{"limit", rule.name}};
    limit_stats_.push_back(
        {scope.GetCounter("allowed", labels), scope.GetCounter("limited", labels),
         scope.GetCounter("shadow_limited", labels), scope.GetGauge("tokens_remaining", labels)});
  }
  if (local_ != nullptr) expiry_thread_ = std::thread([this] { ExpireIdleBuckets(); });
}

RateLimitFilter::~RateLimitFilter() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (expiry_thread_.joinable()) expiry_thread_.join();
}

void RateLimitFilter::ExpireIdleBuckets() {
  // Often enough that an idle bucket outlives idle_timeout by at most a quarter of it.
  const absl::Duration interval =
      std::clamp(config_.idle_timeout / 4, absl::Seconds(1), absl::Minutes(1));
  absl::MutexLock lock(&mutex_);
  while (!mutex_.AwaitWithTimeout(absl::Condition(&stopping_), interval)) {
    mutex_.Unlock();
    local_->ExpireIdle();
    keys_.Set(static_cast<int64_t>(local_->key_count()));
    mutex_.Lock();
  }
}

void RateLimitFilter::AddCharge(Charges& charges, size_t rule, std::string key,
                                std::string_view tenant, double cost) {
  for (Charge& charge : charges) {
    if (charge.rule == rule && charge.key == key) {
      charge.cost += cost;
      return;
    }
  }
  charges.push_back({rule, std::move(key), tenant, cost});
}

void RateLimitFilter::AddEventCharges(const RequestContext& request, const Event& event,
                                      Charges& charges) const {
  for (size_t rule = 0; rule < config_.limits.size(); ++rule) {
    const LimitRule& limit = config_.limits[rule];
    const double cost = CostOf(limit.unit, event);
    if (cost <= 0) continue;
    AddCharge(charges, rule, KeyOf(limit, request, event), event.tenant_id(), cost);
  }
}

void RateLimitFilter::AddRequestCharges(const RequestContext& request, const EventsInPlay& events,
                                        size_t end, Charges& charges) const {
  for (size_t rule = 0; rule < config_.limits.size(); ++rule) {
    const LimitRule& limit = config_.limits[rule];
    if (limit.unit != Unit::kRequests) continue;
    for (size_t i = 0; i < end; ++i) {
      std::string key = KeyOf(limit, request, events[i]);
      const bool seen = std::any_of(charges.begin(), charges.end(), [&](const Charge& charge) {
        return charge.rule == rule && charge.key == key;
      });
      if (!seen) charges.push_back({rule, std::move(key), events[i].tenant_id(), 1});
    }
  }
}

std::optional<RateLimitFilter::Refusal> RateLimitFilter::TakeAll(const Charges& charges) const {
  // Inline: no allocation for the few limits a request usually meets.
  absl::InlinedVector<double, 8> remaining_after_take;
  for (size_t i = 0; i < charges.size(); ++i) {
    const Charge& charge = charges[i];
    const BucketLimit& bucket = config_.limits[charge.rule].BucketFor(charge.tenant);
    AcquireResult result = backend_->TryAcquire(charge.key, bucket, charge.cost);
    if (!result.allowed) {
      GiveBack(std::span(charges.data(), i));
      // The buckets given back hold again what they held before this request.
      for (size_t j = 0; j < i; ++j) {
        const Charge& given_back = charges[j];
        const double burst = config_.limits[given_back.rule].BucketFor(given_back.tenant).burst;
        limit_stats_[given_back.rule].tokens_remaining.Set(
            static_cast<int64_t>(std::min(remaining_after_take[j] + given_back.cost, burst)));
      }
      limit_stats_[charge.rule].tokens_remaining.Set(static_cast<int64_t>(result.remaining));
      return Refusal{&charge, result};
    }
    limit_stats_[charge.rule].tokens_remaining.Set(static_cast<int64_t>(result.remaining));
    remaining_after_take.push_back(result.remaining);
  }
  return std::nullopt;
}

void RateLimitFilter::GiveBack(std::span<const Charge> charges) const {
  for (const Charge& charge : charges) {
    backend_->Refund(charge.key, config_.limits[charge.rule].BucketFor(charge.tenant), charge.cost);
  }
}

size_t RateLimitFilter::AdmitPrefix(const RequestContext& request, EventsInPlay& events,
                                    Refusal& first_refusal, Charges& refused_charges) const {
  size_t admitted = 0;
  for (; admitted < events.size(); ++admitted) {
    Charges charges;
    AddEventCharges(request, events[admitted], charges);
    // The request's own charge travels with its first event.
    if (admitted == 0) AddRequestCharges(request, events, events.size(), charges);
    if (std::optional<Refusal> refusal = TakeAll(charges)) {
      const auto refused = static_cast<size_t>(refusal->charge - charges.data());
      refused_charges = std::move(charges);
      first_refusal = {&refused_charges[refused], refusal->result};
      break;
    }
  }
  return admitted;
}

std::string RateLimitFilter::Describe(const Refusal& refusal) const {
  const Charge& charge = *refusal.charge;
  const LimitRule& rule = config_.limits[charge.rule];
  const BucketLimit& bucket = rule.BucketFor(charge.tenant);
  std::string text = absl::StrCat("rate limited by \"", rule.name, "\"");
  if (!charge.tenant.empty()) {
    absl::StrAppend(&text, " for tenant \"", ToAbsl(charge.tenant), "\"");
  }
  const std::string_view unit = UnitName(rule.unit);
  absl::StrAppend(&text, " (", FormatAmount(bucket.burst), " ", ToAbsl(unit), ", refilling ",
                  FormatAmount(bucket.rate_per_second), "/s)");
  if (charge.cost > bucket.burst) {
    absl::StrAppend(&text, ": this request needs ", FormatAmount(charge.cost), " ", ToAbsl(unit),
                    ", more than the limit ever holds; send smaller batches");
  } else {
    absl::StrAppend(&text, ": retry after ",
                    FormatAmount(absl::ToDoubleSeconds(
                        absl::Ceil(refusal.result.retry_after, absl::Milliseconds(1)))),
                    " s");
  }
  return text;
}

absl::Status RateLimitFilter::Refuse(const Refusal& refusal, std::string_view detail) const {
  const BucketLimit& bucket =
      config_.limits[refusal.charge->rule].BucketFor(refusal.charge->tenant);
  limit_stats_[refusal.charge->rule].limited.Inc();
  return pipeline::RateLimitedError(
      absl::StrCat(Describe(refusal), ToAbsl(detail)),
      {refusal.result.retry_after, bucket.burst, refusal.result.remaining, refusal.result.reset});
}

absl::Status RateLimitFilter::OnRequest(RequestContext& request, EventsInPlay& events) const {
  if (events.size() == 0) return absl::OkStatus();
  Charges charges;
  for (size_t i = 0; i < events.size(); ++i) AddEventCharges(request, events[i], charges);
  AddRequestCharges(request, events, events.size(), charges);

  const auto allow = [&] {
    absl::InlinedVector<bool, 8> counted(config_.limits.size(), false);
    for (const Charge& charge : charges) {
      if (!counted[charge.rule]) limit_stats_[charge.rule].allowed.Inc();
      counted[charge.rule] = true;
    }
    return absl::OkStatus();
  };
  const std::optional<Refusal> refusal = TakeAll(charges);
  if (!refusal) return allow();
  if (config_.shadow) {
    // What enforcing would have done: refuse, taking nothing. So nothing is taken here either,
    // and the buckets show what enforcement would see.
    limit_stats_[refusal->charge->rule].shadow_limited.Inc();
    return absl::OkStatus();
  }
  if (!config_.accept_prefix || events.size() == 1) return Refuse(*refusal, "");

  Refusal first_refusal;
  Charges refused_charges;
  const size_t admitted = AdmitPrefix(request, events, first_refusal, refused_charges);
  if (admitted == 0) return Refuse(first_refusal, "");
  // Buckets refill while the events are taken one by one (time moves between the backend's
  // calls), so the batch refused whole may fit after all: then there is no refusal to report.
  if (admitted == events.size()) return allow();
  limit_stats_[first_refusal.charge->rule].limited.Inc();
  const std::string reason =
      absl::StrCat(Describe(first_refusal), " (partial: accept_prefix admitted the first ",
                   admitted, " of ", events.size(), " events)");
  for (size_t i = admitted; i < events.size(); ++i) events.Reject(i, reason);
  return absl::OkStatus();
}

}  // namespace chaukas::filters::rate_limit
