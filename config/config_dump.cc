#include "config/config_dump.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "chaukas/spec/common/v1/events.pb.h"
#include "gateway/common/host_port.h"
#include "gateway/common/strings.h"

namespace chaukas::config {
namespace {

constexpr char kRedacted[] = "<redacted>";

std::string AddressText(const SocketAddress& address) {
  return HostPort(address.host, address.port);
}

// A deep copy of `node` with secret values replaced.
YAML::Node Masked(const YAML::Node& node) {
  if (node.IsMap()) {
    YAML::Node out(YAML::NodeType::Map);
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      out[key] = IsSecretKey(key) ? YAML::Node(kRedacted) : Masked(entry.second);
    }
    return out;
  }
  if (node.IsSequence()) {
    YAML::Node out(YAML::NodeType::Sequence);
    for (const auto& element : node) out.push_back(Masked(element));
    return out;
  }
  return YAML::Clone(node);
}

void EmitListeners(const GatewayConfig& config, YAML::Emitter& out) {
  out << YAML::Key << "listeners" << YAML::Value << YAML::BeginMap;
  if (config.grpc.enabled) {
    out << YAML::Key << "grpc" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "address" << YAML::Value << AddressText(config.grpc.address);
    out << YAML::Key << "max_message_bytes" << YAML::Value << config.grpc.max_message_bytes;
    out << YAML::EndMap;
  }
  if (config.http.enabled) {
    const HttpListenerConfig& http = config.http;
    out << YAML::Key << "http" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "address" << YAML::Value << AddressText(http.address);
    out << YAML::Key << "max_body_bytes" << YAML::Value << http.max_body_bytes;
    out << YAML::Key << "max_header_bytes" << YAML::Value << http.max_header_bytes;
    out << YAML::Key << "threads" << YAML::Value << http.threads;
    out << YAML::Key << "idle_timeout_ms" << YAML::Value << http.idle_timeout_ms;
    out << YAML::Key << "read_timeout_ms" << YAML::Value << http.read_timeout_ms;
    out << YAML::Key << "ignore_unknown_json_fields" << YAML::Value
        << http.ignore_unknown_json_fields;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
}

void EmitStats(const StatsConfig& stats, YAML::Emitter& out) {
  out << YAML::Key << "stats" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_series_per_metric" << YAML::Value << stats.max_series_per_metric;
  out << YAML::Key << "event_aggregates" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "bucket_seconds" << YAML::Value << stats.aggregates_bucket_seconds;
  out << YAML::Key << "retention_seconds" << YAML::Value << stats.aggregates_retention_seconds;
  out << YAML::Key << "max_open_sessions" << YAML::Value << stats.aggregates_max_open_sessions;
  out << YAML::Key << "max_tenant_projects" << YAML::Value << stats.aggregates_max_tenant_projects;
  out << YAML::EndMap << YAML::EndMap;
}

void EmitFilters(const GatewayConfig& config, YAML::Emitter& out) {
  out << YAML::Key << "filters" << YAML::Value << YAML::BeginSeq;
  for (const FilterSpec& filter : config.filters) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << filter.name;
    if (filter.config.IsDefined()) {
      out << YAML::Key << "config" << YAML::Value << Masked(filter.config.yaml());
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

void EmitRoutes(const GatewayConfig& config, YAML::Emitter& out) {
  out << YAML::Key << "routes" << YAML::Value << YAML::BeginSeq;
  for (const RouteConfig& route : config.routes) {
    out << YAML::BeginMap << YAML::Key << "match" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "tenant" << YAML::Value << route.match.tenant;
    out << YAML::Key << "project" << YAML::Value << route.match.project;
    if (!route.match.types.empty()) {
      out << YAML::Key << "types" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (int type : route.match.types) {
        out << chaukas::spec::common::v1::EventType_Name(
            static_cast<chaukas::spec::common::v1::EventType>(type));
      }
      out << YAML::EndSeq;
    }
    out << YAML::EndMap << YAML::Key << "cluster" << YAML::Value << route.cluster;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

void EmitClusters(const GatewayConfig& config, YAML::Emitter& out) {
  out << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq;
  for (const ClusterConfig& cluster : config.clusters) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << cluster.name;
    out << YAML::Key << "protocol" << YAML::Value << "file";
    out << YAML::Key << "path" << YAML::Value << cluster.file.path;
    out << YAML::Key << "format" << YAML::Value
        << (cluster.file.format == FileFormat::kJson ? "json" : "protobuf");
    out << YAML::Key << "rotate" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "max_bytes" << YAML::Value << cluster.file.rotate_max_bytes;
    out << YAML::Key << "max_files" << YAML::Value << cluster.file.rotate_max_files;
    out << YAML::EndMap;
    out << YAML::Key << "batch" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "max_bytes" << YAML::Value << cluster.batch.max_bytes;
    out << YAML::Key << "max_delay_ms" << YAML::Value << cluster.batch.max_delay_ms;
    out << YAML::EndMap;
    out << YAML::Key << "queue" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "max_bytes" << YAML::Value << cluster.queue_max_bytes;
    out << YAML::EndMap << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

}  // namespace

bool IsSecretKey(std::string_view key) {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(key));
  if (absl::EndsWith(lower, "_file")) return false;
  static constexpr std::array<std::string_view, 8> kSecretWords = {
      "password", "secret", "token", "api_key", "apikey", "sha256", "key", "credential"};
  for (std::string_view word : kSecretWords) {
    if (lower == word || absl::EndsWith(lower, absl::StrCat("_", ToAbsl(word)))) return true;
  }
  return false;
}

std::string DumpConfig(const GatewayConfig& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "source" << YAML::Value << config.source;
  out << YAML::Key << "admin" << YAML::Value << YAML::BeginMap << YAML::Key << "address"
      << YAML::Value << AddressText(config.admin.address) << YAML::EndMap;
  EmitListeners(config, out);
  EmitStats(config.stats, out);
  EmitFilters(config, out);
  EmitRoutes(config, out);
  EmitClusters(config, out);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace chaukas::config
