#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
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

// One stage of the filter chain. One const instance per config snapshot, called from any
// ingest thread at once: implementations are thread-safe and never block on I/O.
class Filter {
 public:
  virtual ~Filter() = default;

  // Runs once per request, before any event hook. A non-OK status ends the request and
  // becomes the client's answer (see ingest/status_mapping.h for the codes).
  [[nodiscard]] virtual absl::Status OnRequest(RequestContext& /*request*/,
                                               const IngestBatch& /*batch*/) const {
    return absl::OkStatus();
  }

  // Runs per event, in chain order, until a filter drops or rejects it. May modify it.
  [[nodiscard]] virtual EventVerdict OnEvent(const RequestContext& request, Event& event) const = 0;
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
