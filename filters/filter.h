#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "config/config_node.h"
#include "config/gateway_config.h"
#include "gateway/common/clock.h"
#include "gateway/common/random_source.h"
#include "gateway/pipeline/ingest_batch.h"
#include "gateway/stats/stats_store.h"

namespace chaukas::filters {

using pipeline::Event;
using pipeline::IngestBatch;
using pipeline::RequestContext;

enum class EventAction {
  kContinue,  // hand the event to the next filter, then the router
  kDrop,      // deliberately discarded (sampled out): counted, not an error for the client
  kReject,    // invalid: reported back to the client with the reason; the batch goes on
};

struct EventVerdict {
  EventAction action = EventAction::kContinue;
  // For kReject: what is wrong, starting with the field path inside the event, e.g.
  // "timestamp: is required". The ingest layer prefixes the event's position.
  std::string reason;

  static EventVerdict Continue() { return {}; }
  static EventVerdict Drop() { return {EventAction::kDrop, {}}; }
  static EventVerdict Reject(std::string reason) {
    return {EventAction::kReject, std::move(reason)};
  }
};

// The events of one request that are still in play when a filter's request hook runs: those
// no earlier filter dropped or rejected, in request order. A request hook may reject some of
// them (a rate limit that admits only a prefix of the batch); the chain reports them.
class EventsInPlay {
 public:
  EventsInPlay(const IngestBatch& batch, std::span<Event* const> events)
      : batch_(batch), events_(events) {}

  // The whole request, for limits on the request as the client sent it.
  const IngestBatch& batch() const { return batch_; }
  size_t size() const { return events_.size(); }
  Event& operator[](size_t i) const { return *events_[i]; }

  // Takes the i-th event in play out of the request (once per event), reported back with
  // `reason` (the field path inside the event, then what is wrong).
  void Reject(size_t i, std::string reason) { rejections_.emplace_back(i, std::move(reason)); }
  // (position in play, reason), in the order Reject was called; usually empty.
  std::vector<std::pair<size_t, std::string>>& rejections() { return rejections_; }

 private:
  const IngestBatch& batch_;
  std::span<Event* const> events_;
  std::vector<std::pair<size_t, std::string>> rejections_;
};

// What a read request asks about (QueryEvents, GetEventStats, GetCapabilities), for filters
// that confine reads to what a principal may see. The pointers are into the request, which
// a filter may change (stamping an empty tenant_id); null for GetCapabilities.
enum class ReadKind { kQuery, kStats, kCapabilities };
struct ReadRequest {
  ReadKind kind = ReadKind::kQuery;
  std::string* tenant_id = nullptr;
  std::string* project_id = nullptr;
};

// One stage of the filter chain. One const instance per config snapshot, called from any
// ingest thread at once: implementations are thread-safe and never block on I/O.
//
// The chain runs filter by filter: one filter's request hook, then its event hook on every
// event in play, then the next filter. So a request hook sees the events as every earlier
// filter left them (stamped with the principal's tenant, say).
class Filter {
 public:
  virtual ~Filter() = default;

  // Runs once per request, before this filter's event hooks. A non-OK status ends the request
  // and becomes the client's answer (see ingest/status_mapping.h for the codes).
  [[nodiscard]] virtual absl::Status OnRequest(RequestContext& /*request*/,
                                               EventsInPlay& /*events*/) const {
    return absl::OkStatus();
  }

  // Runs per event in play, after this filter's request hook. May modify the event.
  [[nodiscard]] virtual EventVerdict OnEvent(const RequestContext& request, Event& event) const = 0;

  // Runs once per read request, before it is answered. A non-OK status is the answer.
  [[nodiscard]] virtual absl::Status OnRead(RequestContext& /*request*/,
                                            ReadRequest& /*read*/) const {
    return absl::OkStatus();
  }
};

// What a factory gets besides its YAML block.
struct FilterFactoryContext {
  stats::StatsScope stats;  // prefix "filter", labels {filter: <name>}
  const Clock& clock;
  RandomSource& random;
};

// Parses and validates the filter's own config block (every check there, unknown keys
// rejected, errors located with line:col) and builds the filter.
using FilterFactory = std::function<absl::StatusOr<std::unique_ptr<Filter>>(
    const config::ConfigNode& config, FilterFactoryContext& context)>;

// Builds filters by name. Filled from one explicit list (builtin.h), so the core never
// includes a filter's header and tests can register only the filter under test.
class FilterRegistry {
 public:
  void Register(std::string name, FilterFactory factory);

  // Unknown names are an error that lists the known ones.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Filter>> Create(const config::FilterSpec& spec,
                                                               FilterFactoryContext& context) const;

 private:
  std::map<std::string, FilterFactory> factories_;
};

}  // namespace chaukas::filters
