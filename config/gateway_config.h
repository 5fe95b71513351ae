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

// Whether a TLS listener asks clients for a certificate, and whether it insists.
enum class ClientCertificateMode {
  kNone,      // not asked for
  kOptional,  // asked for; a client without one is served, one that fails verification is not
  kRequire,   // a client without a certificate that verifies is refused at the handshake
};

// TLS on an ingest listener (`listeners.<name>.tls`). The files are read and checked at load
// (each parses, the key matches the certificate), so a bad file fails --validate, not the
// start. The PEM text is kept here and used by the listener; the config dump shows the paths
// only.
struct ListenerTlsConfig {
  bool enabled = false;
  std::string cert_file;       // PEM: the server certificate, then any intermediates
  std::string key_file;        // PEM: its private key, unencrypted
  std::string client_ca_file;  // PEM: the CAs client certificates must chain to; may be empty
  ClientCertificateMode client_certificate = ClientCertificateMode::kNone;
  int64_t handshake_timeout_ms = 10'000;  // a client that has not finished by then is dropped
  std::string cert_chain_pem;             // the contents of the three files
  std::string private_key_pem;
  std::string client_ca_pem;
};

struct GrpcListenerConfig {
  bool enabled = false;
  SocketAddress address;
  int64_t max_message_bytes = 4 * 1024 * 1024;
  ListenerTlsConfig tls;
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
  ListenerTlsConfig tls;
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

// Where GetEventStats for a route's tenant/project is answered.
enum class StatsSource { kLocal, kUpstream };

struct RouteConfig {
  std::string name;  // for stats; "routes[i]" when not given
  RouteMatch match;
  std::string cluster;
  std::vector<std::string> mirrors;  // clusters that get a copy; their failures never fail this
  StatsSource stats = StatsSource::kLocal;
};

enum class ClusterProtocol { kFile, kGrpc, kHttp };
enum class FileFormat { kJson, kProtobuf };

struct FileClusterConfig {
  std::string path;
  FileFormat format = FileFormat::kJson;
  int64_t rotate_max_bytes = 100 * 1024 * 1024;  // 0: never rotate
  int64_t rotate_max_files = 0;                  // rotated files kept; 0: keep all
};

// How queued events are grouped into one write or one upstream call.
struct BatchConfig {
  int64_t max_events = 500;         // an upstream call carries at most this many events...
  int64_t max_bytes = 1024 * 1024;  // ...and this many bytes; a batch goes out once full...
  int64_t max_delay_ms = 5;         // ...or once its oldest event waited this long
};

enum class LoadBalancing { kRoundRobin, kLeastRequest, kSessionHash };
enum class Delivery { kAsync, kSync };

struct RetryConfig {
  int64_t max_attempts = 0;  // per batch; 0: until delivered (the queue bounds what waits)
  int64_t initial_backoff_ms = 100;
  int64_t max_backoff_ms = 5000;
  // Retries in flight may be at most this share of the calls in flight (Envoy's retry
  // budget), but at least min_retry_concurrency: retries cannot multiply load on a
  // struggling upstream. A retry over budget waits; it is not dropped.
  int64_t budget_percent = 20;
  int64_t min_retry_concurrency = 3;
};

struct HealthCheckConfig {
  bool enabled = true;
  int64_t interval_ms = 5000;
  int64_t timeout_ms = 1000;
  int64_t unhealthy_threshold = 3;  // consecutive failed checks before unhealthy
  int64_t healthy_threshold = 2;    // consecutive passed checks before healthy again
};

// Passive health: an endpoint whose calls keep failing is taken out of rotation.
struct OutlierDetectionConfig {
  int64_t consecutive_failures = 5;
  int64_t base_ejection_ms = 30'000;  // multiplied by the number of times it was ejected
  int64_t max_ejection_ms = 300'000;
  int64_t max_ejection_percent = 50;  // never eject more of the endpoints than this
};

struct TlsConfig {
  bool enabled = false;
  std::string ca_file;      // PEM roots; empty: the system's
  std::string server_name;  // overrides the name checked in the certificate
};

struct Header {
  std::string name;
  std::string value;  // a secret when it comes from api_key or a *_file: never shown
  bool secret = false;
};

// The options of grpc and http clusters: where they send and how they cope with failure.
struct UpstreamConfig {
  std::vector<std::string> endpoints;  // grpc: "host:port"; http: "http://host:port[/base]"
  LoadBalancing load_balancing = LoadBalancing::kRoundRobin;
  int64_t timeout_ms = 5000;  // one upstream call
  RetryConfig retry;
  HealthCheckConfig health_check;
  OutlierDetectionConfig outlier_detection;
  int64_t max_in_flight_batches = 64;  // circuit breaker: calls outstanding per cluster
  Delivery delivery = Delivery::kAsync;
  int64_t sync_timeout_ms = 10'000;  // how long a sync client waits for the upstream's verdict
  TlsConfig tls;                     // grpc
  std::vector<Header> headers;       // gRPC metadata or HTTP headers on every call
  FileFormat body_format = FileFormat::kProtobuf;               // http: x-protobuf or JSON bodies
  int64_t max_connections_per_endpoint = 8;                     // http
  std::vector<std::pair<std::string, int64_t>> tenant_weights;  // fair dequeue; default 1
};

struct ClusterConfig {
  std::string name;
  ClusterProtocol protocol = ClusterProtocol::kFile;
  FileClusterConfig file;
  UpstreamConfig upstream;
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
