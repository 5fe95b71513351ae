#include "gateway/stats/event_aggregates.h"

#include <array>
#include <atomic>
#include <list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "gateway/common/stable_hash.h"
#include "gateway/stats/session_counter.h"

namespace chaukas::stats {
namespace {

namespace v1 = ::chaukas::spec::common::v1;
using ::chaukas::spec::common::v1::Event;
using ::chaukas::spec::server::v1::GetEventStatsRequest;
using ::chaukas::spec::server::v1::GetEventStatsResponse;

constexpr size_t kShardCount = 16;
constexpr absl::Duration kMaxFutureSkew = absl::Hours(1);
constexpr size_t kEventTypeCount = v1::EventType_ARRAYSIZE;

using TenantProjectKey = std::pair<std::string, std::string>;
using TenantProjectView = std::pair<absl::string_view, absl::string_view>;

struct Bucket {
  int64_t events = 0;
  std::array<int64_t, kEventTypeCount> events_by_type{};
  SessionCounter sessions;
  double session_duration_sum_ms = 0;
  int64_t session_duration_count = 0;
};

struct TenantProject {
  std::map<absl::Time, Bucket> buckets;  // by bucket start
};

// A session of which one end has been seen.
struct OpenSession {
  absl::Time time;
  bool is_end;                        // the SESSION_END arrived first
  std::list<uint64_t>::iterator age;  // its place in Shard::session_ages
};

// Tenant/projects whose key hashes to the shard, and their open sessions. One lock covers
// both, so recording a group of events takes it once.
struct Shard {
  mutable absl::Mutex mutex;
  absl::flat_hash_map<TenantProjectKey, TenantProject> tenant_projects ABSL_GUARDED_BY(mutex);
  // Keyed by SessionHash: a 64-bit collision would pair two sessions, at odds of ~1e-10
  // with 100k open sessions, for a fraction of the memory of string keys.
  absl::flat_hash_map<uint64_t, OpenSession> open_sessions ABSL_GUARDED_BY(mutex);
  std::list<uint64_t> session_ages ABSL_GUARDED_BY(mutex);  // oldest first
};

struct TimedEvent {
  const Event* event;
  absl::Time time;
};

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

absl::Time EventTime(const Event& event, absl::Time now) {
  return event.has_timestamp() ? ToTime(event.timestamp()) : now;
}

size_t EventTypeIndex(const Event& event) {
  // Values this build does not know (proto3 enums are open) count as unspecified.
  return v1::EventType_IsValid(event.type()) ? static_cast<size_t>(event.type())
                                             : static_cast<size_t>(v1::EVENT_TYPE_UNSPECIFIED);
}

// A session is a (tenant, project, session_id): the same id in two projects is two sessions.
// Stable across processes, so sketch estimates are reproducible.
uint64_t SessionHash(const Event& event) {
  return MixHash64(MixHash64(StableHash64(event.tenant_id()), StableHash64(event.project_id())),
                   StableHash64(event.session_id()));
}

bool IsSessionBoundary(const Event& event) {
  return !event.session_id().empty() && (event.type() == v1::EVENT_TYPE_SESSION_START ||
                                         event.type() == v1::EVENT_TYPE_SESSION_END);
}

// Sums over the buckets a query selects.
struct Totals {
  int64_t events = 0;
  std::array<int64_t, kEventTypeCount> events_by_type{};
  SessionCounter sessions;
  double session_duration_sum_ms = 0;
  int64_t session_duration_count = 0;

  void Add(const Bucket& bucket) {
    events += bucket.events;
    for (size_t i = 0; i < kEventTypeCount; ++i) events_by_type[i] += bucket.events_by_type[i];
    sessions.Merge(bucket.sessions);
    session_duration_sum_ms += bucket.session_duration_sum_ms;
    session_duration_count += bucket.session_duration_count;
  }

  GetEventStatsResponse ToResponse() const {
    GetEventStatsResponse response;
    response.set_total_events(events);
    response.set_total_sessions(static_cast<int64_t>(sessions.Count()));
    for (size_t i = 0; i < kEventTypeCount; ++i) {
      if (events_by_type[i] == 0) continue;
      (*response.mutable_events_by_type())[v1::EventType_Name(static_cast<v1::EventType>(i))] =
          events_by_type[i];
    }
    if (session_duration_count > 0) {
      response.set_avg_session_duration_ms(session_duration_sum_ms /
                                           static_cast<double>(session_duration_count));
    }
    return response;
  }
};

}  // namespace

class EventAggregates::State {
 public:
  State(EventAggregatesOptions options, const Clock& clock, StatsStore& stats)
      : options_(options),
        clock_(clock),
        events_recorded_(stats.GetCounter("aggregates.events_recorded")),
        events_outside_window_(stats.GetCounter("aggregates.events_outside_window")),
        events_untracked_(stats.GetCounter("aggregates.events_untracked")),
        sessions_evicted_(stats.GetCounter("aggregates.sessions_evicted")),
        negative_session_durations_(stats.GetCounter("aggregates.negative_session_durations")),
        tenant_projects_gauge_(stats.GetGauge("aggregates.tenant_projects")),
        open_sessions_gauge_(stats.GetGauge("aggregates.open_sessions")) {}

  void Record(std::span<const Event* const> events) {
    const absl::Time now = clock_.Now();
    SweepIfDue(now);
    for (const auto& [key, group] : GroupInWindow(events, now)) RecordGroup(key, group);
  }

  GetEventStatsResponse Query(const GetEventStatsRequest& request) const {
    const absl::Time now = clock_.Now();
    const absl::Time from = request.time_range().has_start()
                                ? BucketStart(ToTime(request.time_range().start()))
                                : absl::InfinitePast();
    const absl::Time to = request.time_range().has_end() ? ToTime(request.time_range().end())
                                                         : absl::InfiniteFuture();
    Totals totals;
    const auto add_tenant_project = [&](const TenantProject& tenant_project) {
      for (auto it = tenant_project.buckets.lower_bound(from);
           it != tenant_project.buckets.end() && it->first < to; ++it) {
        if (!IsExpired(it->first, now)) totals.Add(it->second);
      }
    };
    if (!request.tenant_id().empty() && !request.project_id().empty()) {
      const Shard& shard = shards_[ShardIndex({request.tenant_id(), request.project_id()})];
      absl::ReaderMutexLock lock(&shard.mutex);
      const auto it =
          shard.tenant_projects.find(TenantProjectKey(request.tenant_id(), request.project_id()));
      if (it != shard.tenant_projects.end()) add_tenant_project(it->second);
      return totals.ToResponse();
    }
    for (const Shard& shard : shards_) {
      absl::ReaderMutexLock lock(&shard.mutex);
      for (const auto& [key, tenant_project] : shard.tenant_projects) {
        if ((request.tenant_id().empty() || key.first == request.tenant_id()) &&
            (request.project_id().empty() || key.second == request.project_id())) {
          add_tenant_project(tenant_project);
        }
      }
    }
    return totals.ToResponse();
  }

 private:
  absl::Time BucketStart(absl::Time time) const {
    return absl::UnixEpoch() + absl::Floor(time - absl::UnixEpoch(), options_.bucket);
  }

  // A bucket expires once all of it is older than the retention.
  bool IsExpired(absl::Time bucket_start, absl::Time now) const {
    return bucket_start + options_.bucket <= now - options_.retention;
  }

  static size_t ShardIndex(const TenantProjectView& key) {
    return absl::Hash<TenantProjectView>()(key) % kShardCount;
  }

  // The events inside [now - retention, now + 1h], grouped by (tenant, project), with their
  // times; the others are counted.
  absl::flat_hash_map<TenantProjectView, std::vector<TimedEvent>> GroupInWindow(
      std::span<const Event* const> events, absl::Time now) {
    absl::flat_hash_map<TenantProjectView, std::vector<TimedEvent>> groups;
    uint64_t outside_window = 0;
    for (const Event* event : events) {
      const absl::Time time = EventTime(*event, now);
      if (time < now - options_.retention || time > now + kMaxFutureSkew) {
        ++outside_window;
        continue;
      }
      groups[{event->tenant_id(), event->project_id()}].push_back({event, time});
    }
    if (outside_window > 0) events_outside_window_.Inc(outside_window);
    return groups;
  }

  void RecordGroup(const TenantProjectView& key, const std::vector<TimedEvent>& events) {
    Shard& shard = shards_[ShardIndex(key)];
    absl::MutexLock lock(&shard.mutex);
    TenantProject* tenant_project = FindOrCreate(shard, key);
    if (tenant_project == nullptr) {
      events_untracked_.Inc(events.size());
      return;
    }
    for (const TimedEvent& timed : events) {
      const Event& event = *timed.event;
      Bucket& bucket = tenant_project->buckets[BucketStart(timed.time)];
      ++bucket.events;
      ++bucket.events_by_type[EventTypeIndex(event)];
      if (event.session_id().empty()) continue;
      const uint64_t session = SessionHash(event);
      bucket.sessions.Add(session);
      if (IsSessionBoundary(event)) {
        PairSessionBoundary(shard, *tenant_project, session, timed.time,
                            event.type() == v1::EVENT_TYPE_SESSION_END);
      }
    }
    events_recorded_.Inc(events.size());
  }

  // Null when the tenant/project is new and max_tenant_projects are already tracked.
  TenantProject* FindOrCreate(Shard& shard, const TenantProjectView& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mutex) {
    TenantProjectKey owned_key(key.first, key.second);
    if (auto it = shard.tenant_projects.find(owned_key); it != shard.tenant_projects.end()) {
      return &it->second;
    }
    if (!ReserveTenantProject()) return nullptr;
    return &shard.tenant_projects[std::move(owned_key)];
  }

  bool ReserveTenantProject() {
    size_t count = tenant_project_count_.load(std::memory_order_relaxed);
    do {
      if (count >= options_.max_tenant_projects) return false;
    } while (
        !tenant_project_count_.compare_exchange_weak(count, count + 1, std::memory_order_relaxed));
    tenant_projects_gauge_.Add(1);
    return true;
  }

  // Once a bucket, one Record call drops the expired buckets of every shard, and the
  // tenant/projects left without any (which frees their place under max_tenant_projects).
  void SweepIfDue(absl::Time now) {
    const int64_t now_ns = absl::ToUnixNanos(now);
    int64_t due_ns = next_sweep_ns_.load(std::memory_order_relaxed);
    if (now_ns < due_ns ||
        !next_sweep_ns_.compare_exchange_strong(due_ns, absl::ToUnixNanos(now + options_.bucket),
                                                std::memory_order_relaxed)) {
      return;
    }
    for (Shard& shard : shards_) {
      absl::MutexLock lock(&shard.mutex);
      Sweep(shard, now);
    }
  }

  void Sweep(Shard& shard, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mutex) {
    const size_t removed = absl::erase_if(shard.tenant_projects, [&](auto& key_and_tenant_project) {
      auto& buckets = key_and_tenant_project.second.buckets;
      while (!buckets.empty() && IsExpired(buckets.begin()->first, now)) {
        buckets.erase(buckets.begin());
      }
      return buckets.empty();
    });
    tenant_project_count_.fetch_sub(removed, std::memory_order_relaxed);
    tenant_projects_gauge_.Add(-static_cast<int64_t>(removed));
  }

  // Remembers the first end of a session seen, or, with both ends, credits the duration.
  void PairSessionBoundary(Shard& shard, TenantProject& tenant_project, uint64_t session,
                           absl::Time time, bool is_end)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mutex) {
    const auto it = shard.open_sessions.find(session);
    if (it == shard.open_sessions.end()) {
      OpenNewSession(shard, session, time, is_end);
      return;
    }
    // A repeated START (or END), as at-least-once delivery produces: the first one stands.
    if (it->second.is_end == is_end) return;
    const absl::Time start = is_end ? it->second.time : time;
    const absl::Time end = is_end ? time : it->second.time;
    CloseSession(shard, it);
    CreditSessionDuration(tenant_project, start, end);
  }

  void CreditSessionDuration(TenantProject& tenant_project, absl::Time start, absl::Time end) {
    if (end < start) {
      negative_session_durations_.Inc();
      return;
    }
    const auto bucket = tenant_project.buckets.find(BucketStart(end));
    if (bucket == tenant_project.buckets.end()) return;  // the END's bucket has expired
    bucket->second.session_duration_sum_ms += absl::ToDoubleMilliseconds(end - start);
    ++bucket->second.session_duration_count;
  }

  // The bound on open sessions is global, but eviction takes the oldest session of the
  // shard that overflowed, so that recording never takes a second lock.
  void OpenNewSession(Shard& shard, uint64_t session, absl::Time time, bool is_end)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mutex) {
    shard.session_ages.push_back(session);
    shard.open_sessions.emplace(session,
                                OpenSession{time, is_end, std::prev(shard.session_ages.end())});
    open_sessions_gauge_.Add(1);
    if (open_session_count_.fetch_add(1, std::memory_order_relaxed) >= options_.max_open_sessions) {
      CloseSession(shard, shard.open_sessions.find(shard.session_ages.front()));
      sessions_evicted_.Inc();
    }
  }

  void CloseSession(Shard& shard, absl::flat_hash_map<uint64_t, OpenSession>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mutex) {
    shard.session_ages.erase(it->second.age);
    shard.open_sessions.erase(it);
    open_session_count_.fetch_sub(1, std::memory_order_relaxed);
    open_sessions_gauge_.Add(-1);
  }

  const EventAggregatesOptions options_;
  const Clock& clock_;
  std::array<Shard, kShardCount> shards_;
  std::atomic<size_t> tenant_project_count_{0};
  std::atomic<size_t> open_session_count_{0};
  std::atomic<int64_t> next_sweep_ns_{0};  // unix nanoseconds

  Counter& events_recorded_;
  Counter& events_outside_window_;
  Counter& events_untracked_;
  Counter& sessions_evicted_;
  Counter& negative_session_durations_;
  Gauge& tenant_projects_gauge_;
  Gauge& open_sessions_gauge_;
};

EventAggregates::EventAggregates(EventAggregatesOptions options, const Clock& clock,
                                 StatsStore& stats)
    : state_(std::make_unique<State>(options, clock, stats)) {}

EventAggregates::~EventAggregates() = default;

void EventAggregates::Record(std::span<const Event* const> events) { state_->Record(events); }

GetEventStatsResponse EventAggregates::Query(const GetEventStatsRequest& request) const {
  return state_->Query(request);
}

}  // namespace chaukas::stats
