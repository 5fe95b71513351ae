#include "config/loader.h"

#include <arpa/inet.h>

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "chaukas/spec/common/v1/events.pb.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/strings.h"

namespace chaukas::config {
namespace {

using chaukas::spec::common::v1::EventType;

constexpr int64_t kMaxBytes = int64_t{1} << 40;  // 1 TiB: far above any sane limit
constexpr int64_t kMaxMs = int64_t{24} * 3600 * 1000;

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::Status ParseGrpcListener(const ConfigNode& node, GrpcListenerConfig& grpc) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"address", "max_message_bytes"}));
  grpc.enabled = true;
  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode address, node.Require("address"));
  CHAUKAS_ASSIGN_OR_RETURN(grpc.address, ParseSocketAddress(address));
  CHAUKAS_ASSIGN_OR_RETURN(
      grpc.max_message_bytes,
      node.GetInt("max_message_bytes", grpc.max_message_bytes, 1024, int64_t{1} << 31));
  return absl::OkStatus();
}

absl::Status ParseHttpListener(const ConfigNode& node, HttpListenerConfig& http) {
  CHAUKAS_RETURN_IF_ERROR(
      node.CheckKeys({"address", "max_body_bytes", "max_header_bytes", "threads", "idle_timeout_ms",
                      "read_timeout_ms", "ignore_unknown_json_fields"}));
  http.enabled = true;
  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode address, node.Require("address"));
  CHAUKAS_ASSIGN_OR_RETURN(http.address, ParseSocketAddress(address));
  CHAUKAS_ASSIGN_OR_RETURN(http.max_body_bytes,
                           node.GetInt("max_body_bytes", http.max_body_bytes, 1024, kMaxBytes));
  CHAUKAS_ASSIGN_OR_RETURN(
      http.max_header_bytes,
      node.GetInt("max_header_bytes", http.max_header_bytes, 1024, int64_t{1024} * 1024));
  CHAUKAS_ASSIGN_OR_RETURN(http.threads, node.GetInt("threads", http.threads, 0, 256));
  CHAUKAS_ASSIGN_OR_RETURN(http.idle_timeout_ms,
                           node.GetInt("idle_timeout_ms", http.idle_timeout_ms, 1, kMaxMs));
  CHAUKAS_ASSIGN_OR_RETURN(http.read_timeout_ms,
                           node.GetInt("read_timeout_ms", http.read_timeout_ms, 1, kMaxMs));
  CHAUKAS_ASSIGN_OR_RETURN(
      http.ignore_unknown_json_fields,
      node.GetBool("ignore_unknown_json_fields", http.ignore_unknown_json_fields));
  return absl::OkStatus();
}

absl::Status ParseListeners(const ConfigNode& node, GatewayConfig& config) {
  CHAUKAS_RETURN_IF_ERROR(node.ExpectMap());
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"grpc", "http"}));
  if (ConfigNode grpc = node.Child("grpc"); grpc.IsDefined()) {
    CHAUKAS_RETURN_IF_ERROR(ParseGrpcListener(grpc, config.grpc));
  }
  if (ConfigNode http = node.Child("http"); http.IsDefined()) {
    CHAUKAS_RETURN_IF_ERROR(ParseHttpListener(http, config.http));
  }
  if (!config.grpc.enabled && !config.http.enabled) {
    return node.Error("configure at least one of grpc, http");
  }
  return absl::OkStatus();
}

absl::Status ParseAdmin(const ConfigNode& node, AdminConfig& admin) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"address"}));
  if (ConfigNode address = node.Child("address"); address.IsDefined()) {
    CHAUKAS_ASSIGN_OR_RETURN(admin.address, ParseSocketAddress(address));
  }
  return absl::OkStatus();
}

absl::Status ParseStats(const ConfigNode& node, StatsConfig& stats) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"max_series_per_metric", "event_aggregates"}));
  CHAUKAS_ASSIGN_OR_RETURN(
      stats.max_series_per_metric,
      node.GetInt("max_series_per_metric", stats.max_series_per_metric, 1, 10'000'000));
  const ConfigNode aggregates = node.Child("event_aggregates");
  CHAUKAS_RETURN_IF_ERROR(aggregates.CheckKeys(
      {"bucket_seconds", "retention_seconds", "max_open_sessions", "max_tenant_projects"}));
  CHAUKAS_ASSIGN_OR_RETURN(
      stats.aggregates_bucket_seconds,
      aggregates.GetInt("bucket_seconds", stats.aggregates_bucket_seconds, 1, 86'400));
  CHAUKAS_ASSIGN_OR_RETURN(
      stats.aggregates_retention_seconds,
      aggregates.GetInt("retention_seconds", stats.aggregates_retention_seconds,
                        stats.aggregates_bucket_seconds, int64_t{366} * 86'400));
  CHAUKAS_ASSIGN_OR_RETURN(
      stats.aggregates_max_open_sessions,
      aggregates.GetInt("max_open_sessions", stats.aggregates_max_open_sessions, 0, 100'000'000));
  CHAUKAS_ASSIGN_OR_RETURN(stats.aggregates_max_tenant_projects,
                           aggregates.GetInt("max_tenant_projects",
                                             stats.aggregates_max_tenant_projects, 1, 10'000'000));
  return absl::OkStatus();
}

absl::Status ParseFilters(const ConfigNode& node, GatewayConfig& config) {
  CHAUKAS_RETURN_IF_ERROR(node.ExpectSequence());
  for (const ConfigNode& element : node.Elements()) {
    CHAUKAS_RETURN_IF_ERROR(element.ExpectMap());
    CHAUKAS_RETURN_IF_ERROR(element.CheckKeys({"name", "config"}));
    CHAUKAS_ASSIGN_OR_RETURN(ConfigNode name, element.Require("name"));
    CHAUKAS_ASSIGN_OR_RETURN(std::string filter_name, name.AsString());
    config.filters.push_back({std::move(filter_name), name, element.Child("config")});
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ParseEventType(const ConfigNode& node) {
  CHAUKAS_ASSIGN_OR_RETURN(std::string name, node.AsString());
  EventType type;
  if (chaukas::spec::common::v1::EventType_Parse(name, &type) ||
      chaukas::spec::common::v1::EventType_Parse("EVENT_TYPE_" + name, &type)) {
    if (type != chaukas::spec::common::v1::EVENT_TYPE_UNSPECIFIED) return static_cast<int>(type);
  }
  return node.Error(absl::StrCat("\"", name,
                                 "\" is not an event type (examples: ERROR, SESSION_START, "
                                 "EVENT_TYPE_TOOL_CALL_END)"));
}

absl::Status ParseRouteMatch(const ConfigNode& node, RouteMatch& match) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"tenant", "project", "types"}));
  CHAUKAS_ASSIGN_OR_RETURN(match.tenant, node.GetString("tenant", match.tenant));
  CHAUKAS_ASSIGN_OR_RETURN(match.project, node.GetString("project", match.project));
  if (ConfigNode types = node.Child("types"); types.IsDefined()) {
    CHAUKAS_RETURN_IF_ERROR(types.ExpectSequence());
    for (const ConfigNode& type : types.Elements()) {
      CHAUKAS_ASSIGN_OR_RETURN(int number, ParseEventType(type));
      match.types.push_back(number);
    }
  }
  return absl::OkStatus();
}

absl::Status ParseRoutes(const ConfigNode& node, GatewayConfig& config) {
  CHAUKAS_RETURN_IF_ERROR(node.ExpectSequence());
  if (node.Elements().empty()) return node.Error("needs at least one route");
  for (const ConfigNode& element : node.Elements()) {
    CHAUKAS_RETURN_IF_ERROR(element.ExpectMap());
    CHAUKAS_RETURN_IF_ERROR(element.CheckKeys({"match", "cluster"}));
    RouteConfig route;
    CHAUKAS_RETURN_IF_ERROR(ParseRouteMatch(element.Child("match"), route.match));
    CHAUKAS_ASSIGN_OR_RETURN(ConfigNode cluster, element.Require("cluster"));
    CHAUKAS_ASSIGN_OR_RETURN(route.cluster, cluster.AsString());
    const bool known = std::any_of(config.clusters.begin(), config.clusters.end(),
                                   [&](const ClusterConfig& c) { return c.name == route.cluster; });
    if (!known) {
      return cluster.Error(absl::StrCat("no cluster named \"", route.cluster, "\" in clusters"));
    }
    config.routes.push_back(std::move(route));
  }
  return absl::OkStatus();
}

absl::StatusOr<FileFormat> ParseFileFormat(const ConfigNode& node) {
  if (!node.IsDefined()) return FileFormat::kJson;
  absl::StatusOr<std::string> format = node.AsEnum({"json", "protobuf"});
  if (!format.ok()) return format.status();
  return *format == "json" ? FileFormat::kJson : FileFormat::kProtobuf;
}

absl::Status ParseFileCluster(const ConfigNode& node, FileClusterConfig& file) {
  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode path, node.Require("path"));
  CHAUKAS_ASSIGN_OR_RETURN(file.path, path.AsString());
  if (file.path.empty()) return path.Error("must not be empty");
  CHAUKAS_ASSIGN_OR_RETURN(file.format, ParseFileFormat(node.Child("format")));
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

absl::Status ParseCluster(const ConfigNode& node, ClusterConfig& cluster) {
  CHAUKAS_RETURN_IF_ERROR(node.ExpectMap());
  CHAUKAS_RETURN_IF_ERROR(
      node.CheckKeys({"name", "protocol", "path", "format", "rotate", "batch", "queue"}));
  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode name, node.Require("name"));
  CHAUKAS_ASSIGN_OR_RETURN(cluster.name, name.AsString());
  if (!IsValidName(cluster.name)) {
    return name.Error("must be 1-64 characters of letters, digits, '_' or '-'");
  }
  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode protocol_node, node.Require("protocol"));
  CHAUKAS_ASSIGN_OR_RETURN(std::string protocol, protocol_node.AsString());
  if (protocol == "grpc" || protocol == "http") {
    return protocol_node.Error(
        absl::StrCat("\"", protocol,
                     "\" clusters (forwarding to upstream backends) are not available in this "
                     "build yet; supported: file"));
  }
  CHAUKAS_ASSIGN_OR_RETURN(protocol, protocol_node.AsEnum({"file"}));
  cluster.protocol = ClusterProtocol::kFile;
  CHAUKAS_RETURN_IF_ERROR(ParseFileCluster(node, cluster.file));
  const ConfigNode batch = node.Child("batch");
  CHAUKAS_RETURN_IF_ERROR(batch.CheckKeys({"max_bytes", "max_delay_ms"}));
  CHAUKAS_ASSIGN_OR_RETURN(cluster.batch.max_bytes,
                           batch.GetInt("max_bytes", cluster.batch.max_bytes, 1, kMaxBytes));
  CHAUKAS_ASSIGN_OR_RETURN(cluster.batch.max_delay_ms,
                           batch.GetInt("max_delay_ms", cluster.batch.max_delay_ms, 0, 60'000));
  const ConfigNode queue = node.Child("queue");
  CHAUKAS_RETURN_IF_ERROR(queue.CheckKeys({"max_bytes"}));
  CHAUKAS_ASSIGN_OR_RETURN(cluster.queue_max_bytes,
                           queue.GetInt("max_bytes", cluster.queue_max_bytes, 65536, kMaxBytes));
  return absl::OkStatus();
}

absl::Status ParseClusters(const ConfigNode& node, GatewayConfig& config) {
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
    if (!paths.insert(cluster.file.path).second) {
      return element.Child("path").Error("another cluster already writes to this file");
    }
    config.clusters.push_back(std::move(cluster));
  }
  return absl::OkStatus();
}

absl::StatusOr<GatewayConfig> ParseRoot(const ConfigNode& root) {
  if (!root.IsMap()) return root.Error("the file must be a YAML map (see config/gateway.yaml)");
  CHAUKAS_RETURN_IF_ERROR(
      root.CheckKeys({"admin", "listeners", "stats", "filters", "routes", "clusters"}));
  GatewayConfig config;
  config.source = root.file();
  config.admin.address = {"127.0.0.1", 9901};
  CHAUKAS_RETURN_IF_ERROR(ParseAdmin(root.Child("admin"), config.admin));
  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode listeners, root.Require("listeners"));
  CHAUKAS_RETURN_IF_ERROR(ParseListeners(listeners, config));
  CHAUKAS_RETURN_IF_ERROR(ParseStats(root.Child("stats"), config.stats));
  if (ConfigNode filters = root.Child("filters"); filters.IsDefined()) {
    CHAUKAS_RETURN_IF_ERROR(ParseFilters(filters, config));
  }
  // Clusters first: routes refer to them by name.
  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode clusters, root.Require("clusters"));
  CHAUKAS_RETURN_IF_ERROR(ParseClusters(clusters, config));
  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode routes, root.Require("routes"));
  CHAUKAS_RETURN_IF_ERROR(ParseRoutes(routes, config));
  return config;
}

}  // namespace

absl::StatusOr<SocketAddress> ParseSocketAddress(const ConfigNode& node) {
  CHAUKAS_ASSIGN_OR_RETURN(std::string text, node.AsString());
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return node.Error(absl::StrCat("\"", text, "\" is not host:port"));
  }
  SocketAddress address;
  address.host = text.substr(0, colon);
  if (address.host.size() >= 2 && address.host.front() == '[' && address.host.back() == ']') {
    address.host = address.host.substr(1, address.host.size() - 2);
  }
  if (address.host.empty()) address.host = "0.0.0.0";
  // Listeners bind to an address, not a name (as in Envoy): resolving would make the bound
  // interface depend on DNS at start time.
  in6_addr parsed{};
  if (inet_pton(AF_INET, address.host.c_str(), &parsed) != 1 &&
      inet_pton(AF_INET6, address.host.c_str(), &parsed) != 1) {
    return node.Error(absl::StrCat("\"", address.host,
                                   "\" is not an IP address; listeners bind to an address such as "
                                   "127.0.0.1, 0.0.0.0 or [::1]"));
  }
  const std::string port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return node.Error(absl::StrCat("\"", text, "\" has no valid port (0-65535)"));
  }
  address.port = static_cast<uint16_t>(port);
  return address;
}

absl::StatusOr<GatewayConfig> LoadConfigText(std::string_view text,
                                             const std::string& source_name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(absl::StrCat(source_name, ":", error.mark.line + 1, ":",
                                                   error.mark.column + 1,
                                                   " invalid YAML: ", error.msg));
  }
  return ParseRoot(ConfigNode(root, source_name));
}

absl::StatusOr<GatewayConfig> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return LoadConfigText(text.str(), path);
}

}  // namespace chaukas::config
