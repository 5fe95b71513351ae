#include "gateway/admin/admin_handler.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "gateway/common/strings.h"

namespace chaukas::admin {
namespace {

namespace beast_http = boost::beast::http;

constexpr char kIndex[] =
    "chaukas-gateway admin\n"
    "  /stats              every stat, plain text\n"
    "  /stats/prometheus   Prometheus text exposition\n"
    "  /healthz            liveness\n"
    "  /ready              readiness (503 while starting or draining)\n"
    "  /config_dump        effective config, secrets masked\n"
    "  /clusters           clusters and endpoints: health, ejection, queue, counters\n";

void SetText(beast_http::status status, std::string_view content_type, std::string body,
             http::Response& response) {
  response.result(status);
  response.set(beast_http::field::content_type,
               boost::beast::string_view(content_type.data(), content_type.size()));
  response.body() = std::move(body);
}

}  // namespace

AdminHandler::AdminHandler(stats::StatsStore& stats, const Readiness& readiness,
                           std::string config_dump, std::function<std::string()> describe_clusters)
    : stats_(stats),
      readiness_(readiness),
      config_dump_(std::move(config_dump)),
      describe_clusters_(std::move(describe_clusters)) {}

void AdminHandler::Handle(const http::Request& request, const http::ConnectionInfo& /*connection*/,
                          http::Response& response) {
  std::string_view path(request.target().data(), request.target().size());
  path = path.substr(0, path.find('?'));
  const bool known = path == "/" || path == "/stats" || path == "/stats/prometheus" ||
                     path == "/healthz" || path == "/ready" || path == "/config_dump" ||
                     path == "/clusters";
  if (!known) {
    http::SetJsonError(response, beast_http::status::not_found,
                       absl::StrCat("no admin page ", ToAbsl(path), "; see /"));
    return;
  }
  if (request.method() != beast_http::verb::get) {
    http::SetJsonError(response, beast_http::status::method_not_allowed,
                       absl::StrCat(ToAbsl(path), " accepts only GET"));
    response.set(beast_http::field::allow, "GET");
    return;
  }
  constexpr std::string_view kText = "text/plain; charset=utf-8";
  if (path == "/") {
    SetText(beast_http::status::ok, kText, kIndex, response);
  } else if (path == "/stats") {
    SetText(beast_http::status::ok, kText, stats_.RenderText(), response);
  } else if (path == "/stats/prometheus") {
    SetText(beast_http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
            stats_.RenderPrometheus(), response);
  } else if (path == "/healthz") {
    SetText(beast_http::status::ok, kText, "OK\n", response);
  } else if (path == "/ready") {
    if (readiness_.ready()) {
      SetText(beast_http::status::ok, kText, "READY\n", response);
    } else {
      SetText(beast_http::status::service_unavailable, kText, "NOT READY\n", response);
    }
  } else if (path == "/clusters") {
    SetText(beast_http::status::ok, kText, describe_clusters_(), response);
  } else {
    SetText(beast_http::status::ok, "application/yaml", config_dump_, response);
  }
}

}  // namespace chaukas::admin
