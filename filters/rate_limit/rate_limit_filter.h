#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "filters/filter.h"
#include "filters/rate_limit/local_backend.h"
#include "filters/rate_limit/rate_limit_config.h"
#include "gateway/stats/stats_store.h"

namespace chaukas::filters::rate_limit {

// Token-bucket limits on what each tenant, project, credential, event type or agent may send:
// requests, events, bytes, LLM tokens or dollars. Runs in the request hook, over the events
// earlier filters left in play (so after tenant_auth, on stamped tenants):
// - every limit's charges for the request are summed per bucket key and taken from the backend
//   all or nothing: a request over any limit takes no tokens from the others;
// - over a limit, the request is refused (RESOURCE_EXHAUSTED / HTTP 429 with Retry-After and
//   x-ratelimit-*), or with `partial: accept_prefix` the events that fit are admitted and the
//   rest rejected, each saying so;
// - `mode: shadow` takes nothing and refuses nothing, but counts what it would have refused.
//
// Stats, per limit: filter.rate_limit.allowed{limit} and limited{limit} (requests),
// shadow_limited{limit}, tokens_remaining{limit} (the bucket touched last), and keys (buckets
// held by the local backend).
class RateLimitFilter final : public Filter {
 public:
  static absl::StatusOr<std::unique_ptr<RateLimitFilter>> Create(RateLimitConfig config,
                                                                 const stats::StatsScope& scope,
                                                                 const Clock& clock);
  ~RateLimitFilter() override;

  [[nodiscard]] absl::Status OnRequest(RequestContext& request,
                                       EventsInPlay& events) const override;
  [[nodiscard]] EventVerdict OnEvent(const RequestContext& /*request*/,
                                     Event& /*event*/) const override {
    return EventVerdict::Continue();
  }

  // A backend's whole view, for tests and benchmarks that bring their own.
  RateLimitFilter(RateLimitConfig config, std::unique_ptr<RateLimitBackend> backend,
                  const stats::StatsScope& scope);

 private:
  struct LimitStats {
    stats::Counter& allowed;
    stats::Counter& limited;
    stats::Counter& shadow_limited;
    stats::Gauge& tokens_remaining;
  };

  // What one bucket is charged for a request (or, for accept_prefix, one event).
  struct Charge {
    size_t rule = 0;  // index into config_.limits
    std::string key;
    std::string_view tenant;  // into the request's events: whose override applies
    double cost = 0;
  };
  // Inline: no allocation for the few buckets a request usually touches.
  using Charges = absl::InlinedVector<Charge, 4>;
  struct Refusal {
    const Charge* charge = nullptr;
    AcquireResult result;
  };

  // Adds `cost` to the charge of (`rule`, `key`), or a new one.
  static void AddCharge(Charges& charges, size_t rule, std::string key, std::string_view tenant,
                        double cost);
  // Adds `event`'s charges under every per-event limit to `charges`, summing by key.
  void AddEventCharges(const RequestContext& request, const Event& event, Charges& charges) const;
  // Adds one request's worth to every requests_per_second bucket the events touch.
  void AddRequestCharges(const RequestContext& request, const EventsInPlay& events, size_t end,
                         Charges& charges) const;
  // Takes every charge, or none: the first refusal gives back what was taken.
  std::optional<Refusal> TakeAll(const Charges& charges) const;
  void GiveBack(std::span<const Charge> charges) const;
  // Admits the longest prefix of the events that fits; rejects the rest. Returns how many.
  size_t AdmitPrefix(const RequestContext& request, EventsInPlay& events, Refusal& first_refusal,
                     Charges& refused_charges) const;
  absl::Status Refuse(const Refusal& refusal, std::string_view detail) const;
  std::string Describe(const Refusal& refusal) const;
  void ExpireIdleBuckets();

  const RateLimitConfig config_;
  std::unique_ptr<RateLimitBackend> backend_;
  LocalBackend* const local_;  // backend_ when it is local: its idle buckets need expiring
  std::vector<LimitStats> limit_stats_;
  stats::Gauge& keys_;
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread expiry_thread_;
};

}  // namespace chaukas::filters::rate_limit
