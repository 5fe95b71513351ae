#include "config/loader.h"

#include <arpa/inet.h>

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "chaukas/spec/common/v1/events.pb.h"
#include "config/cluster_loader.h"
#include "config/event_enums.h"
#include "config/tls_loader.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/strings.h"

namespace chaukas::config {
namespace {

constexpr int64_t kMaxBytes = int64_t{1} << 40;  // 1 TiB: far above any sane limit
constexpr int64_t kMaxMs = int64_t{24} * 3600 * 1000;

// A listener without a `tls` key is plain; `tls:` with nothing under it (its keys commented
// out) is an error rather than a silently plain listener. ConfigNode reads an absent key and
// a null one alike, so this asks YAML (through the const operator[], which inserts nothing).
absl::Status ParseTls(const ConfigNode& listener, ListenerTlsConfig& tls) {
  const YAML::Node& yaml = listener.yaml();
  if (!yaml.IsMap() || !yaml["tls"].IsDefined()) return absl::OkStatus();
  return ParseListenerTls(listener.Child("tls"), tls);
}

absl::Status ParseGrpcListener(const ConfigNode& node, GrpcListenerConfig& grpc) {
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"address", "max_message_bytes", "tls"}));
  grpc.enabled = true;
  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode address, node.Require("address"));
  CHAUKAS_ASSIGN_OR_RETURN(grpc.address, ParseSocketAddress(address));
  CHAUKAS_ASSIGN_OR_RETURN(
      grpc.max_message_bytes,
      node.GetInt("max_message_bytes", grpc.max_message_bytes, 1024, int64_t{1} << 31));
  return ParseTls(node, grpc.tls);
}

absl::Status ParseHttpListener(const ConfigNode& node, HttpListenerConfig& http) {
  CHAUKAS_RETURN_IF_ERROR(
      node.CheckKeys({"address", "max_body_bytes", "max_header_bytes", "threads", "idle_timeout_ms",
                      "read_timeout_ms", "ignore_unknown_json_fields", "tls"}));
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
  return ParseTls(node, http.tls);
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

const ClusterConfig* FindCluster(const GatewayConfig& config, std::string_view name) {
  for (const ClusterConfig& cluster : config.clusters) {
    if (cluster.name == name) return &cluster;
  }
  return nullptr;
}

absl::StatusOr<std::string> ParseClusterReference(const ConfigNode& node,
                                                  const GatewayConfig& config) {
  CHAUKAS_ASSIGN_OR_RETURN(std::string name, node.AsString());
  if (FindCluster(config, name) == nullptr) {
    return node.Error(absl::StrCat("no cluster named \"", name, "\" in clusters"));
  }
  return name;
}

absl::Status ParseMirrors(const ConfigNode& node, const GatewayConfig& config, RouteConfig& route) {
  if (!node.IsDefined()) return absl::OkStatus();
  CHAUKAS_RETURN_IF_ERROR(node.ExpectSequence());
  for (const ConfigNode& element : node.Elements()) {
    CHAUKAS_ASSIGN_OR_RETURN(std::string mirror, ParseClusterReference(element, config));
    if (mirror == route.cluster) return element.Error("is the route's own cluster");
    if (std::find(route.mirrors.begin(), route.mirrors.end(), mirror) != route.mirrors.end()) {
      return element.Error("listed twice");
    }
    route.mirrors.push_back(std::move(mirror));
  }
  return absl::OkStatus();
}

absl::Status ParseRoute(const ConfigNode& node, size_t index, const GatewayConfig& config,
                        RouteConfig& route) {
  CHAUKAS_RETURN_IF_ERROR(node.ExpectMap());
  CHAUKAS_RETURN_IF_ERROR(node.CheckKeys({"name", "match", "cluster", "mirror", "stats"}));
  CHAUKAS_ASSIGN_OR_RETURN(route.name, node.GetString("name", absl::StrCat("routes[", index, "]")));
  CHAUKAS_RETURN_IF_ERROR(ParseRouteMatch(node.Child("match"), route.match));
  CHAUKAS_ASSIGN_OR_RETURN(ConfigNode cluster, node.Require("cluster"));
  CHAUKAS_ASSIGN_OR_RETURN(route.cluster, ParseClusterReference(cluster, config));
  CHAUKAS_RETURN_IF_ERROR(ParseMirrors(node.Child("mirror"), config, route));
  CHAUKAS_ASSIGN_OR_RETURN(std::string stats,
                           node.GetEnum("stats", "local", {"local", "upstream"}));
  route.stats = stats == "upstream" ? StatsSource::kUpstream : StatsSource::kLocal;
  if (route.stats == StatsSource::kUpstream &&
      FindCluster(config, route.cluster)->protocol != ClusterProtocol::kGrpc) {
    return node.Child("stats").Error(
        "upstream stats need a grpc cluster (GetEventStats is a gRPC method)");
  }
  return absl::OkStatus();
}

absl::Status ParseRoutes(const ConfigNode& node, GatewayConfig& config) {
  CHAUKAS_RETURN_IF_ERROR(node.ExpectSequence());
  if (node.Elements().empty()) return node.Error("needs at least one route");
  std::set<std::string> names;
  const std::vector<ConfigNode> elements = node.Elements();
  for (size_t i = 0; i < elements.size(); ++i) {
    RouteConfig route;
    CHAUKAS_RETURN_IF_ERROR(ParseRoute(elements[i], i, config, route));
    if (!names.insert(route.name).second) {
      return elements[i].Child("name").Error("another route has this name");
    }
    config.routes.push_back(std::move(route));
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
  CHAUKAS_RETURN_IF_ERROR(ParseClusters(clusters, config.clusters));
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
