#include "gateway/upstream/file_cluster.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/codec/json_writer.h"
#include "gateway/common/log.h"
#include "gateway/pipeline/ingest_status.h"
#include "google/protobuf/io/coded_stream.h"

namespace chaukas::upstream {
namespace {

constexpr absl::Duration kFirstRetryDelay = absl::Milliseconds(100);
constexpr absl::Duration kMaxRetryDelay = absl::Seconds(5);

}  // namespace

FileCluster::FileCluster(config::ClusterConfig config, stats::StatsStore& stats)
    : config_(std::move(config)),
      stats_(stats::StatsScope(stats, "cluster", {{"cluster", config_.name}})),
      file_(config_.file.path, config_.file.rotate_max_bytes, config_.file.rotate_max_files) {}

// Owners drain explicitly with their configured timeout; this is the safety net.
FileCluster::~FileCluster() { Drain(absl::Seconds(10)); }

absl::Status FileCluster::Start() {
  if (absl::Status status = file_.Open(); !status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat("cluster ", config_.name, ": ", status.message()));
  }
  writer_ = std::thread([this] { WriteLoop(); });
  return absl::OkStatus();
}

std::string FileCluster::Encode(std::span<pipeline::Event* const> events) const {
  std::string out;
  if (config_.file.format == config::FileFormat::kJson) {
    for (const pipeline::Event* event : events) {
      codec::AppendJson(*event, out);
      out += '\n';
    }
    return out;
  }
  // Sizes first (ByteSizeLong caches them in the events), so the chunk is allocated once.
  size_t total = 0;
  for (const pipeline::Event* event : events) {
    const size_t size = event->ByteSizeLong();
    total += google::protobuf::io::CodedOutputStream::VarintSize32(size) + size;
  }
  out.resize(total);
  auto* target = reinterpret_cast<uint8_t*>(out.data());
  for (const pipeline::Event* event : events) {
    const auto size = static_cast<uint32_t>(event->GetCachedSize());
    target = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(size, target);
    target = event->SerializeWithCachedSizesToArray(target);
  }
  return out;
}

absl::Status FileCluster::Enqueue(const pipeline::RequestContext& /*request*/,
                                  std::span<pipeline::Event* const> events,
                                  DeliveryCallback on_delivered) {
  Chunk chunk{Encode(events), events.size()};
  const auto bytes = static_cast<int64_t>(chunk.bytes.size());
  {
    absl::MutexLock lock(&mutex_);
    if (draining_) return absl::UnavailableError("the gateway is shutting down");
    if (pending_bytes_ + bytes > config_.queue_max_bytes && pending_bytes_ > 0) {
      stats_.events_rejected_queue_full.Inc(events.size());
      return pipeline::OverloadError(absl::StrCat(
          "high memory usage: cluster ", config_.name, " has ", pending_bytes_,
          " bytes queued (queue.max_bytes ", config_.queue_max_bytes, "); retry later"));
    }
    pending_bytes_ += bytes;
    queued_bytes_ += bytes;
    queue_.push_back(std::move(chunk));
    stats_.queue_bytes.Set(pending_bytes_);
  }
  stats_.events_enqueued.Inc(events.size());
  if (on_delivered) on_delivered(DeliveryReport{});
  return absl::OkStatus();
}

void FileCluster::GetCapabilities(ReadCallback<chaukas::spec::common::v1::Capabilities> done) {
  chaukas::spec::common::v1::Capabilities capabilities;
  capabilities.set_policy_decisions(true);
  capabilities.set_data_access_events(true);
  done(capabilities);
}

std::string FileCluster::DescribeForAdmin() const {
  const std::string& name = config_.name;
  return absl::StrCat(name, "::protocol::file\n", name, "::path::", config_.file.path, "\n", name,
                      "::queue_bytes::", stats_.queue_bytes.value(), "\n", name,
                      "::events_written::", stats_.events_written.value(), "\n", name,
                      "::write_errors::", stats_.write_errors.value(), "\n");
}

void FileCluster::WriteLoop() {
  while (true) {
    std::deque<Chunk> chunks;
    {
      absl::MutexLock lock(&mutex_);
      const auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return !queue_.empty() || draining_;
      };
      mutex_.Await(absl::Condition(&has_work));
      // Group commit: let more requests join this write unless a batch is already full.
      const auto batch_ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return queued_bytes_ >= config_.batch.max_bytes || draining_;
      };
      mutex_.AwaitWithTimeout(absl::Condition(&batch_ready),
                              absl::Milliseconds(config_.batch.max_delay_ms));
      if (queue_.empty()) break;  // draining, and everything is written
      chunks.swap(queue_);
      queued_bytes_ = 0;
    }
    WriteWithRetry(chunks);
  }
  absl::MutexLock lock(&mutex_);
  writer_done_ = true;
}

void FileCluster::WriteWithRetry(const std::deque<Chunk>& chunks) {
  std::vector<std::string_view> records;
  records.reserve(chunks.size());
  for (const Chunk& chunk : chunks) records.push_back(chunk.bytes);
  const uint64_t rotations_before = file_.rotations();
  absl::Duration delay = kFirstRetryDelay;
  size_t written = 0;  // chunks already in the file
  while (true) {
    const RotatingFile::AppendResult result = file_.Append(std::span(records).subspan(written));
    const size_t newly_written = written + result.records_written;
    CountWritten(chunks, written, newly_written);
    written = newly_written;
    if (result.status.ok()) break;

    stats_.write_errors.Inc();
    Log(LogLevel::kError, absl::StrCat("cluster ", config_.name, ": ", result.status.message(),
                                       "; retrying in ", absl::FormatDuration(delay)));
    absl::MutexLock lock(&mutex_);
    const auto give_up = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return give_up_; };
    if (mutex_.AwaitWithTimeout(absl::Condition(&give_up), delay)) {
      const ChunkTotals lost = Totals(chunks, written, chunks.size());
      stats_.events_lost_on_shutdown.Inc(lost.events);
      Log(LogLevel::kError, absl::StrCat("cluster ", config_.name, ": shutting down with ",
                                         lost.events, " events unwritten"));
      pending_bytes_ -= lost.bytes;
      return;
    }
    delay = std::min(delay * 2, kMaxRetryDelay);
  }
  stats_.rotations.Inc(file_.rotations() - rotations_before);
}

FileCluster::ChunkTotals FileCluster::Totals(const std::deque<Chunk>& chunks, size_t from,
                                             size_t to) {
  ChunkTotals totals;
  for (size_t i = from; i < to; ++i) {
    totals.events += chunks[i].events;
    totals.bytes += static_cast<int64_t>(chunks[i].bytes.size());
  }
  return totals;
}

void FileCluster::CountWritten(const std::deque<Chunk>& chunks, size_t from, size_t to) {
  if (from == to) return;
  const ChunkTotals written = Totals(chunks, from, to);
  stats_.events_written.Inc(written.events);
  stats_.bytes_written.Inc(written.bytes);
  absl::MutexLock lock(&mutex_);
  pending_bytes_ -= written.bytes;
  stats_.queue_bytes.Set(pending_bytes_);
}

void FileCluster::Drain(absl::Duration timeout) {
  if (!writer_.joinable()) return;
  {
    absl::MutexLock lock(&mutex_);
    draining_ = true;
    const auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return writer_done_; };
    if (!mutex_.AwaitWithTimeout(absl::Condition(&done), timeout)) {
      give_up_ = true;
      size_t events = 0;
      for (const Chunk& chunk : queue_) events += chunk.events;
      if (events > 0) {
        stats_.events_lost_on_shutdown.Inc(events);
        Log(LogLevel::kError, absl::StrCat("cluster ", config_.name, ": drain timed out with ",
                                           events, " queued events unwritten"));
      }
      queue_.clear();
      queued_bytes_ = 0;
    }
  }
  writer_.join();
}

}  // namespace chaukas::upstream
