#include "config/cluster_loader.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/strings.h"

namespace chaukas::config {
namespace {

constexpr int64_t kMaxBytes = int64_t{1} << 40;
constexpr int64_t kMaxMs = int64_t{24} * 3600 * 1000;

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// gRPC metadata keys and HTTP header names: lower-case token characters.
bool IsValidHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = absl::ascii_islower(static_cast<unsigned char>(c)) ||
                    absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                    c == '.';
    if (!ok) return false;
  }
  return true;
}

absl::Status ParseBatch(const ConfigNode& node, BatchConfig& batch) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"max_events", "max_bytes", "max_delay_ms"}));
  CHAUKAS_ASSIGN_OR_RETURN(batch.max_events,
                           node.GetInt("max_events", batch.max_events, 1, 1'000'000));
  CHAUKAS_ASSIGN_OR_RETURN(batch.max_bytes,
                           node.GetInt("max_bytes", batch.max_bytes, 1, kMaxBytes));
  CHAUKAS_ASSIGN_OR_RETURN(batch.max_delay_ms,
                           node.GetInt("max_delay_ms", batch.max_delay_ms, 0, 60'000));
  return absl::OkStatus();
}

absl::StatusOr<FileFormat> ParseFormat(const ConfigNode& node) {
  if (!node.IsDefined()) return FileFormat::kJson;
  absl::StatusOr<std::string> format = node.AsEnum({"json", "protobuf"});
  if (!format.ok()) return format.status();
  return *format == "json" ? FileFormat::kJson : FileFormat::kProtobuf;
}

absl::Status ParseFileCluster(const ConfigNode& node, FileClusterConfig& file) {
  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode path, node.Require("path"));
  CHAUKAS_ASSIGN_OR_RETURN(file.path, path.AsString());
  if (file.path.empty()) return path.Error("must not be empty");
  CHAUKAS_ASSIGN_OR_RETURN(file.format, ParseFormat(node.Child("format")));
  const ConfigNode rotate = node.Child("rotate");
  CHAUKAS_RETURN_IF_ERROR(rotate.CheckKeys({"max_bytes", "max_files"}));
  CHAUKAS_ASSIGN_OR_RETURN(file.rotate_max_bytes,
                           rotate.GetInt("max_bytes", file.rotate_max_bytes, 0, kMaxBytes));
  if (file.rotate_max_bytes != 0 && file.rotate_max_bytes < 4096) {
    return rotate.Child("max_bytes").Error("must be 0 (never rotate) or at least 4096");
  }
  CHAUKAS_ASSIGN_OR_RETURN(file.rotate_max_files,
                           rotate.GetInt("max_files", file.rotate_max_files, 0, 1'000'000));
  return absl::OkStatus();
}

// "host:port" for grpc; "http://host:port[/base]" (or "host:port") for http.
absl::Status CheckEndpoint(const ConfigNode& node, const std::string& endpoint,
                           ClusterProtocol protocol) {
  std::string_view rest = endpoint;
  if (protocol == ClusterProtocol::kHttp) {
    if (absl::StartsWith(endpoint, "https://")) {
      return node.Error(
          "https endpoints are not supported yet; use http:// (or a gRPC cluster "
          "with tls)");
    }
    if (absl::StartsWith(endpoint, "http://")) rest.remove_prefix(7);
    rest = rest.substr(0, rest.find('/'));
  }
  const size_t colon = rest.rfind(':');
  const bool has_port = colon != std::string_view::npos && colon + 1 < rest.size() &&
                        std::all_of(rest.begin() + colon + 1, rest.end(),
                                    [](char c) { return absl::ascii_isdigit(c); });
  if (colon == 0 || !has_port) {
    return node.Error(
        absl::StrCat("\"", endpoint, "\" is not ",
                     protocol == ClusterProtocol::kHttp ? "http://host:port[/base]" : "host:port"));
  }
  return absl::OkStatus();
}

absl::Status ParseEndpoints(const ConfigNode& node, ClusterProtocol protocol,
                            std::vector<std::string>& endpoints) {
  CHAUKAS_RETURN_IF_ERROR(node.ExpectSequence());
  if (node.Elements().empty()) return node.Error("needs at least one endpoint");
  std::set<std::string> seen;
  for (const ConfigNode& element : node.Elements()) {
    CHAUKAS_ASSIGN_OR_RETURN(std::string endpoint, element.AsString());
    CHAUKAS_RETURN_IF_ERROR(CheckEndpoint(element, endpoint, protocol));
    if (!seen.insert(endpoint).second) return element.Error("endpoint listed twice");
    endpoints.push_back(std::move(endpoint));
  }
  return absl::OkStatus();
}

absl::Status ParseRetry(const ConfigNode& node, RetryConfig& retry) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"max_attempts", "initial_backoff_ms", "max_backoff_ms",
                                          "budget_percent", "min_retry_concurrency"}));
  CHAUKAS_ASSIGN_OR_RETURN(retry.max_attempts,
                           node.GetInt("max_attempts", retry.max_attempts, 0, 1'000'000));
  CHAUKAS_ASSIGN_OR_RETURN(retry.initial_backoff_ms,
                           node.GetInt("initial_backoff_ms", retry.initial_backoff_ms, 1, kMaxMs));
  CHAUKAS_ASSIGN_OR_RETURN(retry.max_backoff_ms, node.GetInt("max_backoff_ms", retry.max_backoff_ms,
                                                             retry.initial_backoff_ms, kMaxMs));
  CHAUKAS_ASSIGN_OR_RETURN(retry.budget_percent,
                           node.GetInt("budget_percent", retry.budget_percent, 0, 100));
  CHAUKAS_ASSIGN_OR_RETURN(
      retry.min_retry_concurrency,
      node.GetInt("min_retry_concurrency", retry.min_retry_concurrency, 0, 100'000));
  return absl::OkStatus();
}

absl::Status ParseHealthCheck(const ConfigNode& node, HealthCheckConfig& health) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys(
      {"enabled", "interval_ms", "timeout_ms", "unhealthy_threshold", "healthy_threshold"}));
  CHAUKAS_ASSIGN_OR_RETURN(health.enabled, node.GetBool("enabled", health.enabled));
  CHAUKAS_ASSIGN_OR_RETURN(health.interval_ms,
                           node.GetInt("interval_ms", health.interval_ms, 10, kMaxMs));
  CHAUKAS_ASSIGN_OR_RETURN(health.timeout_ms,
                           node.GetInt("timeout_ms", health.timeout_ms, 1, kMaxMs));
  CHAUKAS_ASSIGN_OR_RETURN(health.unhealthy_threshold,
                           node.GetInt("unhealthy_threshold", health.unhealthy_threshold, 1, 1000));
  CHAUKAS_ASSIGN_OR_RETURN(health.healthy_threshold,
                           node.GetInt("healthy_threshold", health.healthy_threshold, 1, 1000));
  return absl::OkStatus();
}

absl::Status ParseOutlierDetection(const ConfigNode& node, OutlierDetectionConfig& outlier) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys(
      {"consecutive_failures", "base_ejection_ms", "max_ejection_ms", "max_ejection_percent"}));
  CHAUKAS_ASSIGN_OR_RETURN(
      outlier.consecutive_failures,
      node.GetInt("consecutive_failures", outlier.consecutive_failures, 1, 100'000));
  CHAUKAS_ASSIGN_OR_RETURN(outlier.base_ejection_ms,
                           node.GetInt("base_ejection_ms", outlier.base_ejection_ms, 1, kMaxMs));
  CHAUKAS_ASSIGN_OR_RETURN(
      outlier.max_ejection_ms,
      node.GetInt("max_ejection_ms", outlier.max_ejection_ms, outlier.base_ejection_ms, kMaxMs));
  CHAUKAS_ASSIGN_OR_RETURN(
      outlier.max_ejection_percent,
      node.GetInt("max_ejection_percent", outlier.max_ejection_percent, 0, 100));
  return absl::OkStatus();
}

absl::Status ParseHeaders(const ConfigNode& node, UpstreamConfig& upstream) {
  const ConfigNode api_key = node.Child("api_key");
  const ConfigNode api_key_file = node.Child("api_key_file");
  if (api_key.IsDefined() && api_key_file.IsDefined()) {
    return api_key_file.Error("set api_key or api_key_file, not both");
  }
  if (api_key.IsDefined()) {
    CHAUKAS_ASSIGN_OR_RETURN(std::string key, api_key.AsString());
    upstream.headers.push_back({"authorization", "Bearer " + key, true});
  }
  if (api_key_file.IsDefined()) {
    CHAUKAS_ASSIGN_OR_RETURN(std::string key, ReadSecretFile(api_key_file));
    upstream.headers.push_back({"authorization", "Bearer " + key, true});
  }
  for (const char* key : {"metadata", "metadata_files"}) {
    const ConfigNode map = node.Child(key);
    if (!map.IsDefined()) continue;
    CHAUKAS_RETURN_IF_ERROR(map.ExpectMap());
    const bool from_files = std::string_view(key) == "metadata_files";
    for (const auto& [name, value] : map.Entries()) {
      if (!IsValidHeaderName(name)) {
        return value.Error("names are lower-case letters, digits, '-', '_' or '.'");
      }
      if (from_files) {
        CHAUKAS_ASSIGN_OR_RETURN(std::string secret, ReadSecretFile(value));
        upstream.headers.push_back({name, std::move(secret), true});
      } else {
        CHAUKAS_ASSIGN_OR_RETURN(std::string text, value.AsString());
        upstream.headers.push_back({name, std::move(text), false});
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ParseTenantWeights(const ConfigNode& node, UpstreamConfig& upstream) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"tenant_weights"}));
  const ConfigNode weights = node.Child("tenant_weights");
  if (!weights.IsDefined()) return absl::OkStatus();
  CHAUKAS_RETURN_IF_ERROR(weights.ExpectMap());
  for (const auto& [tenant, weight] : weights.Entries()) {
    CHAUKAS_ASSIGN_OR_RETURN(int64_t value, weight.AsInt(1, 1000));
    upstream.tenant_weights.emplace_back(tenant, value);
  }
  return absl::OkStatus();
}

absl::Status ParseUpstream(const ConfigNode& node, ClusterProtocol protocol,
                           UpstreamConfig& upstream) {
  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode endpoints, node.Require("endpoints"));
  CHAUKAS_RETURN_IF_ERROR(ParseEndpoints(endpoints, protocol, upstream.endpoints));
  CHAUKAS_ASSIGN_OR_RETURN(std::string policy,
                           node.GetEnum("load_balancing", "round_robin",
                                        {"round_robin", "least_request", "session_hash"}));
  upstream.load_balancing = policy == "round_robin"     ? LoadBalancing::kRoundRobin
                            : policy == "least_request" ? LoadBalancing::kLeastRequest
                                                        : LoadBalancing::kSessionHash;
  CHAUKAS_ASSIGN_OR_RETURN(upstream.timeout_ms,
                           node.GetInt("timeout_ms", upstream.timeout_ms, 1, kMaxMs));
  CHAUKAS_RETURN_IF_ERROR(ParseRetry(node.Child("retry"), upstream.retry));
  CHAUKAS_RETURN_IF_ERROR(ParseHealthCheck(node.Child("health_check"), upstream.health_check));
  CHAUKAS_RETURN_IF_ERROR(
      ParseOutlierDetection(node.Child("outlier_detection"), upstream.outlier_detection));
  const ConfigNode breaker = node.Child("circuit_breaker");
  CHAUKAS_RETURN_IF_ERROR(breaker.CheckKeys({"max_in_flight_batches"}));
  CHAUKAS_ASSIGN_OR_RETURN(
      upstream.max_in_flight_batches,
      breaker.GetInt("max_in_flight_batches", upstream.max_in_flight_batches, 1, 100'000));
  CHAUKAS_ASSIGN_OR_RETURN(std::string delivery,
                           node.GetEnum("delivery", "async", {"async", "sync"}));
  upstream.delivery = delivery == "sync" ? Delivery::kSync : Delivery::kAsync;
  CHAUKAS_ASSIGN_OR_RETURN(upstream.sync_timeout_ms,
                           node.GetInt("sync_timeout_ms", upstream.sync_timeout_ms, 1, kMaxMs));
  CHAUKAS_RETURN_IF_ERROR(ParseHeaders(node, upstream));
  CHAUKAS_RETURN_IF_ERROR(ParseTenantWeights(node.Child("fairness"), upstream));
  if (protocol == ClusterProtocol::kGrpc) {
    const ConfigNode tls = node.Child("tls");
    CHAUKAS_RETURN_IF_ERROR(tls.CheckKeys({"ca_file", "server_name"}));
    upstream.tls.enabled = tls.IsDefined();
    CHAUKAS_ASSIGN_OR_RETURN(upstream.tls.ca_file, tls.GetString("ca_file", ""));
    CHAUKAS_ASSIGN_OR_RETURN(upstream.tls.server_name, tls.GetString("server_name", ""));
    if (!upstream.tls.ca_file.empty()) {
      CHAUKAS_RETURN_IF_ERROR(ReadSecretFile(tls.Child("ca_file")).status());
    }
  } else {
    CHAUKAS_ASSIGN_OR_RETURN(upstream.body_format, ParseFormat(node.Child("format")));
    if (!node.Child("format").IsDefined()) upstream.body_format = FileFormat::kProtobuf;
    CHAUKAS_ASSIGN_OR_RETURN(upstream.max_connections_per_endpoint,
                             node.GetInt("max_connections_per_endpoint",
                                         upstream.max_connections_per_endpoint, 1, 10'000));
  }
  return absl::OkStatus();
}

absl::StatusOr<ClusterProtocol> ParseProtocol(const ConfigNode& node) {
  CHAUKAS_ASSIGN_OR_RETURN(std::string protocol, node.AsEnum({"grpc", "http", "file"}));
  if (protocol == "grpc") return ClusterProtocol::kGrpc;
  if (protocol == "http") return ClusterProtocol::kHttp;
  return ClusterProtocol::kFile;
}

absl::Status CheckClusterKeys(const ConfigNode& node, ClusterProtocol protocol) {
  switch (protocol) {
    case ClusterProtocol::kFile:
      return node.CheckKeys({"name", "protocol", "batch", "queue", "path", "format", "rotate"});
    case ClusterProtocol::kGrpc:
      return node.CheckKeys({"name", "protocol", "batch", "queue", "endpoints", "load_balancing",
                             "timeout_ms", "retry", "health_check", "outlier_detection",
                             "circuit_breaker", "delivery", "sync_timeout_ms", "api_key",
                             "api_key_file", "metadata", "metadata_files", "fairness", "tls"});
    case ClusterProtocol::kHttp:
      return node.CheckKeys({"name",
                             "protocol",
                             "batch",
                             "queue",
                             "endpoints",
                             "load_balancing",
                             "timeout_ms",
                             "retry",
                             "health_check",
                             "outlier_detection",
                             "circuit_breaker",
                             "delivery",
                             "sync_timeout_ms",
                             "api_key",
                             "api_key_file",
                             "metadata",
                             "metadata_files",
                             "fairness",
                             "format",
                             "max_connections_per_endpoint"});
  }
  return absl::OkStatus();
}

absl::Status ParseCluster(const ConfigNode& node, ClusterConfig& cluster) {
  CHAUKAS_RETURN_IF_ERROR(node.ExpectMap());
  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode name, node.Require("name"));
  CHAUKAS_ASSIGN_OR_RETURN(cluster.name, name.AsString());
  if (!IsValidName(cluster.name)) {
    return name.Error("must be 1-64 characters of letters, digits, '_' or '-'");
  }
  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode protocol, node.Require("protocol"));
  CHAUKAS_ASSIGN_OR_RETURN(cluster.protocol, ParseProtocol(protocol));
  CHAUKAS_RETURN_IF_ERROR(CheckClusterKeys(node, cluster.protocol));
  if (cluster.protocol == ClusterProtocol::kFile) {
    CHAUKAS_RETURN_IF_ERROR(ParseFileCluster(node, cluster.file));
  } else {
    CHAUKAS_RETURN_IF_ERROR(ParseUpstream(node, cluster.protocol, cluster.upstream));
  }
  CHAUKAS_RETURN_IF_ERROR(ParseBatch(node.Child("batch"), cluster.batch));
  const ConfigNode queue = node.Child("queue");
  CHAUKAS_RETURN_IF_ERROR(queue.CheckKeys({"max_bytes"}));
  CHAUKAS_ASSIGN_OR_RETURN(cluster.queue_max_bytes,
                           queue.GetInt("max_bytes", cluster.queue_max_bytes, 65536, kMaxBytes));
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseClusters(const ConfigNode& node, std::vector<ClusterConfig>& clusters) {
  CHAUKAS_RETURN_IF_ERROR(node.ExpectSequence());
  if (node.Elements().empty()) return node.Error("needs at least one cluster");
  std::set<std::string> names;
  std::set<std::string> paths;
  for (const ConfigNode& element : node.Elements()) {
    ClusterConfig cluster;
    CHAUKAS_RETURN_IF_ERROR(ParseCluster(element, cluster));
    if (!names.insert(cluster.name).second) {
      return element.Child("name").Error(
          absl::StrCat("another cluster is already named \"", cluster.name, "\""));
    }
    if (cluster.protocol == ClusterProtocol::kFile && !paths.insert(cluster.file.path).second) {
      return element.Child("path").Error("another cluster already writes to this file");
    }
    clusters.push_back(std::move(cluster));
  }
  return absl::OkStatus();
}

}  // namespace chaukas::config
