#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config_node.h"

namespace chaukas::config {

// The effective configuration, with every default filled in. Built once by LoadConfig and
// read-only afterwards. Filter blocks stay as ConfigNodes: each filter's factory parses its
// own block, so this file never learns a filter's options.

struct SocketAddress {
  std::string host;
  uint16_t port = 0;  // 0: an ephemeral port, reported through --bound-addresses-file
};

struct GrpcListenerConfig {
  bool enabled = false;
  SocketAddress address;
  int64_t max_message_bytes = 4 * 1024 * 1024;
};

struct HttpListenerConfig {
  bool enabled = false;
  SocketAddress address;
  int64_t max_body_bytes = 4 * 1024 * 1024;
  int64_t max_header_bytes = 16 * 1024;
  int64_t threads = 0;  // 0: one per core
  int64_t idle_timeout_ms = 60'000;
  int64_t read_timeout_ms = 30'000;
  bool ignore_unknown_json_fields = false;
};

struct AdminConfig {
  SocketAddress address;
};

struct StatsConfig {
  int64_t max_series_per_metric = 10'000;
  int64_t aggregates_bucket_seconds = 60;
  int64_t aggregates_retention_seconds = 86'400;
  int64_t aggregates_max_open_sessions = 100'000;
  int64_t aggregates_max_tenant_projects = 10'000;
};

struct FilterSpec {
  std::string name;
  ConfigNode name_node;  // where the name was written, for "unknown filter" errors
  ConfigNode config;     // the filter's own block (may be undefined: all defaults)
};

struct RouteMatch {
  std::string tenant = "*";   // glob
  std::string project = "*";  // glob
  std::vector<int> types;     // EventType numbers; empty matches every type
};

struct RouteConfig {
  RouteMatch match;
  std::string cluster;
};

enum class ClusterProtocol { kFile };
enum class FileFormat { kJson, kProtobuf };

struct FileClusterConfig {
  std::string path;
  FileFormat format = FileFormat::kJson;
  int64_t rotate_max_bytes = 100 * 1024 * 1024;  // 0: never rotate
  int64_t rotate_max_files = 0;                  // rotated files kept; 0: keep all
};

// How queued events are grouped into one write (one upstream call, later).
struct BatchConfig {
  int64_t max_bytes = 1024 * 1024;  // write as soon as this much is queued...
  int64_t max_delay_ms = 5;         // ...or once the oldest queued event waited this long
};

struct ClusterConfig {
  std::string name;
  ClusterProtocol protocol = ClusterProtocol::kFile;
  FileClusterConfig file;
  BatchConfig batch;
  int64_t queue_max_bytes = 64 * 1024 * 1024;
};

struct GatewayConfig {
  std::string source;  // the file it was loaded from
  AdminConfig admin;
  GrpcListenerConfig grpc;
  HttpListenerConfig http;
  StatsConfig stats;
  std::vector<FilterSpec> filters;
  std::vector<RouteConfig> routes;
  std::vector<ClusterConfig> clusters;
};

}  // namespace chaukas::config
