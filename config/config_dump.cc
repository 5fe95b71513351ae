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

const char* ClientCertificateName(ClientCertificateMode mode) {
  switch (mode) {
    case ClientCertificateMode::kNone:
      return "none";
    case ClientCertificateMode::kOptional:
      return "optional";
    case ClientCertificateMode::kRequire:
      return "require";
  }
  return "?";
}

// The paths only: what the files hold (a private key among them) is never shown.
void EmitListenerTls(const ListenerTlsConfig& tls, YAML::Emitter& out) {
  if (!tls.enabled) return;
  out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "cert_file" << YAML::Value << tls.cert_file;
  out << YAML::Key << "key_file" << YAML::Value << tls.key_file;
  if (!tls.client_ca_file.empty()) {
    out << YAML::Key << "client_ca_file" << YAML::Value << tls.client_ca_file;
  }
  out << YAML::Key << "client_certificate" << YAML::Value
      << ClientCertificateName(tls.client_certificate);
  out << YAML::Key << "handshake_timeout_ms" << YAML::Value << tls.handshake_timeout_ms;
  out << YAML::EndMap;
}

void EmitListeners(const GatewayConfig& config, YAML::Emitter& out) {
  out << YAML::Key << "listeners" << YAML::Value << YAML::BeginMap;
  if (config.grpc.enabled) {
    out << YAML::Key << "grpc" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "address" << YAML::Value << AddressText(config.grpc.address);
    out << YAML::Key << "max_message_bytes" << YAML::Value << config.grpc.max_message_bytes;
    EmitListenerTls(config.grpc.tls, out);
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
    EmitListenerTls(http.tls, out);
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
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << route.name;
    out << YAML::Key << "match" << YAML::Value << YAML::BeginMap;
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
    if (!route.mirrors.empty()) {
      out << YAML::Key << "mirror" << YAML::Value << YAML::Flow << route.mirrors;
    }
    out << YAML::Key << "stats" << YAML::Value
        << (route.stats == StatsSource::kLocal ? "local" : "upstream");
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

const char* ProtocolName(ClusterProtocol protocol) {
  switch (protocol) {
    case ClusterProtocol::kFile:
      return "file";
    case ClusterProtocol::kGrpc:
      return "grpc";
    case ClusterProtocol::kHttp:
      return "http";
  }
  return "?";
}

const char* LoadBalancingName(LoadBalancing policy) {
  switch (policy) {
    case LoadBalancing::kRoundRobin:
      return "round_robin";
    case LoadBalancing::kLeastRequest:
      return "least_request";
    case LoadBalancing::kSessionHash:
      return "session_hash";
  }
  return "?";
}

const char* FormatName(FileFormat format) {
  return format == FileFormat::kJson ? "json" : "protobuf";
}

void EmitFileCluster(const FileClusterConfig& file, YAML::Emitter& out) {
  out << YAML::Key << "path" << YAML::Value << file.path;
  out << YAML::Key << "format" << YAML::Value << FormatName(file.format);
  out << YAML::Key << "rotate" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_bytes" << YAML::Value << file.rotate_max_bytes;
  out << YAML::Key << "max_files" << YAML::Value << file.rotate_max_files;
  out << YAML::EndMap;
}

void EmitUpstream(const UpstreamConfig& upstream, ClusterProtocol protocol, YAML::Emitter& out) {
  out << YAML::Key << "endpoints" << YAML::Value << YAML::Flow << upstream.endpoints;
  out << YAML::Key << "load_balancing" << YAML::Value << LoadBalancingName(upstream.load_balancing);
  out << YAML::Key << "timeout_ms" << YAML::Value << upstream.timeout_ms;
  const RetryConfig& retry = upstream.retry;
  out << YAML::Key << "retry" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_attempts" << YAML::Value << retry.max_attempts;
  out << YAML::Key << "initial_backoff_ms" << YAML::Value << retry.initial_backoff_ms;
  out << YAML::Key << "max_backoff_ms" << YAML::Value << retry.max_backoff_ms;
  out << YAML::Key << "budget_percent" << YAML::Value << retry.budget_percent;
  out << YAML::Key << "min_retry_concurrency" << YAML::Value << retry.min_retry_concurrency;
  out << YAML::EndMap;
  const HealthCheckConfig& health = upstream.health_check;
  out << YAML::Key << "health_check" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << health.enabled;
  out << YAML::Key << "interval_ms" << YAML::Value << health.interval_ms;
  out << YAML::Key << "timeout_ms" << YAML::Value << health.timeout_ms;
  out << YAML::Key << "unhealthy_threshold" << YAML::Value << health.unhealthy_threshold;
  out << YAML::Key << "healthy_threshold" << YAML::Value << health.healthy_threshold;
  out << YAML::EndMap;
  const OutlierDetectionConfig& outlier = upstream.outlier_detection;
  out << YAML::Key << "outlier_detection" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "consecutive_failures" << YAML::Value << outlier.consecutive_failures;
  out << YAML::Key << "base_ejection_ms" << YAML::Value << outlier.base_ejection_ms;
  out << YAML::Key << "max_ejection_ms" << YAML::Value << outlier.max_ejection_ms;
  out << YAML::Key << "max_ejection_percent" << YAML::Value << outlier.max_ejection_percent;
  out << YAML::EndMap;
  out << YAML::Key << "circuit_breaker" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_in_flight_batches" << YAML::Value << upstream.max_in_flight_batches;
  out << YAML::EndMap;
  out << YAML::Key << "delivery" << YAML::Value
      << (upstream.delivery == Delivery::kSync ? "sync" : "async");
  out << YAML::Key << "sync_timeout_ms" << YAML::Value << upstream.sync_timeout_ms;
  if (!upstream.headers.empty()) {
    out << YAML::Key << "headers" << YAML::Value << YAML::BeginMap;
    for (const Header& header : upstream.headers) {
      out << YAML::Key << header.name << YAML::Value
          << (header.secret ? std::string(kRedacted) : header.value);
    }
    out << YAML::EndMap;
  }
  if (!upstream.tenant_weights.empty()) {
    out << YAML::Key << "fairness" << YAML::Value << YAML::BeginMap << YAML::Key << "tenant_weights"
        << YAML::Value << YAML::BeginMap;
    for (const auto& [tenant, weight] : upstream.tenant_weights) {
      out << YAML::Key << tenant << YAML::Value << weight;
    }
    out << YAML::EndMap << YAML::EndMap;
  }
  if (protocol == ClusterProtocol::kGrpc && upstream.tls.enabled) {
    out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "ca_file" << YAML::Value << upstream.tls.ca_file;
    out << YAML::Key << "server_name" << YAML::Value << upstream.tls.server_name;
    out << YAML::EndMap;
  }
  if (protocol == ClusterProtocol::kHttp) {
    out << YAML::Key << "format" << YAML::Value << FormatName(upstream.body_format);
    out << YAML::Key << "max_connections_per_endpoint" << YAML::Value
        << upstream.max_connections_per_endpoint;
  }
}

void EmitClusters(const GatewayConfig& config, YAML::Emitter& out) {
  out << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq;
  for (const ClusterConfig& cluster : config.clusters) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << cluster.name;
    out << YAML::Key << "protocol" << YAML::Value << ProtocolName(cluster.protocol);
    if (cluster.protocol == ClusterProtocol::kFile) {
      EmitFileCluster(cluster.file, out);
    } else {
      EmitUpstream(cluster.upstream, cluster.protocol, out);
    }
    out << YAML::Key << "batch" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "max_events" << YAML::Value << cluster.batch.max_events;
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
