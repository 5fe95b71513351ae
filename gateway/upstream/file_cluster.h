#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "config/gateway_config.h"
#include "gateway/stats/stats_macros.h"
#include "gateway/upstream/cluster.h"
#include "gateway/upstream/rotating_file.h"

namespace chaukas::upstream {

#define CHAUKAS_FILE_CLUSTER_COUNTERS(COUNTER) \
  COUNTER(events_enqueued)                     \
  COUNTER(events_written)                      \
  COUNTER(bytes_written)                       \
  COUNTER(write_errors)                        \
  COUNTER(rotations)                           \
  COUNTER(events_rejected_queue_full)          \
  COUNTER(events_lost_on_shutdown)
#define CHAUKAS_FILE_CLUSTER_GAUGES(GAUGE) GAUGE(queue_bytes)

struct FileClusterStats {
  explicit FileClusterStats(stats::StatsScope scope) : scope_(std::move(scope)) {}
  stats::StatsScope scope_;
  CHAUKAS_FILE_CLUSTER_COUNTERS(CHAUKAS_STATS_COUNTER)
  CHAUKAS_FILE_CLUSTER_GAUGES(CHAUKAS_STATS_GAUGE)
};

// The embedded sink: appends accepted events to a local file, as JSON lines (canonical
// proto3 JSON, original field names) or as length-delimited binary protobuf (a varint
// length, then the serialized Event: what protobuf's writeDelimitedTo/parseDelimitedFrom
// use), rotating by size.
//
// Ingest threads encode their events into one chunk and queue it (bounded by
// queue_max_bytes: past it, Enqueue answers overload rather than dropping anything). One
// writer thread appends what is queued with one writev per round, grouping requests: a round
// starts once batch.max_bytes are queued or the oldest chunk waited batch.max_delay_ms, so
// the writer is not woken (a cross-core hand-off, ~60 us here) for every request. A failed
// write (disk full...) keeps the chunks queued and is retried with backoff, so the queue
// fills and clients get the overload answer while the disk is unavailable.
class FileCluster final : public Cluster {
 public:
  FileCluster(config::ClusterConfig config, stats::StatsStore& stats);
  ~FileCluster() override;

  const std::string& name() const override { return config_.name; }
  [[nodiscard]] absl::Status Start() override;
  // A file cluster is never synchronous; a caller that still asks for a verdict gets it at
  // once: the events are queued for the file.
  [[nodiscard]] absl::Status Enqueue(const pipeline::RequestContext& request,
                                     std::span<pipeline::Event* const> events,
                                     DeliveryCallback on_delivered) override;
  void Drain(absl::Duration timeout) override;
  // What the gateway can promise when its events go to a file: it ingests every event kind,
  // policy decisions and data access included, but stores nothing queryable.
  void GetCapabilities(ReadCallback<chaukas::spec::common::v1::Capabilities> done) override;
  std::string DescribeForAdmin() const override;

 private:
  struct Chunk {
    std::string bytes;
    size_t events = 0;
  };

  struct ChunkTotals {
    size_t events = 0;
    int64_t bytes = 0;
  };
  static ChunkTotals Totals(const std::deque<Chunk>& chunks, size_t from, size_t to);

  std::string Encode(std::span<pipeline::Event* const> events) const;
  void WriteLoop();
  // Writes `chunks` until all are written or the cluster is told to give up; a failed write
  // is retried from the first chunk not yet written.
  void WriteWithRetry(const std::deque<Chunk>& chunks);
  // Counts chunks [from, to) as written and releases their queue bytes.
  void CountWritten(const std::deque<Chunk>& chunks, size_t from, size_t to);

  const config::ClusterConfig config_;
  FileClusterStats stats_;
  RotatingFile file_;
  std::thread writer_;

  absl::Mutex mutex_;
  std::deque<Chunk> queue_ ABSL_GUARDED_BY(mutex_);
  int64_t queued_bytes_ ABSL_GUARDED_BY(mutex_) = 0;  // in queue_
  // Bytes queued or being written: what the queue limit applies to.
  int64_t pending_bytes_ ABSL_GUARDED_BY(mutex_) = 0;
  bool draining_ ABSL_GUARDED_BY(mutex_) = false;
  bool give_up_ ABSL_GUARDED_BY(mutex_) = false;  // drain timed out: stop retrying
  bool writer_done_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace chaukas::upstream
