// ServeMetrics (serve_metrics.h).
#include "serve/serve_metrics.h"

#include <prometheus/text_serializer.h>

namespace vhm::serve {
namespace {

// Seconds: a lookup takes milliseconds, an upload's hashing seconds to minutes.
const prometheus::Histogram::BucketBoundaries kDurationBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                               0.5,   1,      2.5,   5,    10,    30,   60,  300};

std::string metric_name(const std::string& path) {
  std::string name = "vhm_" + path;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  return name;
}

void flatten(const nlohmann::json& j, const std::string& path, std::vector<prometheus::MetricFamily>& out) {
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) flatten(value, path.empty() ? key : path + "_" + key, out);
    return;
  }
  double v = 0;
  if (j.is_number()) v = j.get<double>();
  else if (j.is_boolean()) v = j.get<bool>() ? 1 : 0;
  else return;
  prometheus::MetricFamily family;
  family.name = metric_name(path);
  family.help = "/v1/stats " + path;
  family.type = prometheus::MetricType::Gauge;
  prometheus::ClientMetric metric;
  metric.gauge.value = v;
  family.metric.push_back(metric);
  out.push_back(std::move(family));
}

}  // namespace

ServeMetrics::ServeMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("vhm_http_requests_total")
                    .Help("HTTP requests answered, by route and status")
                    .Register(*registry_)),
      durations_(prometheus::BuildHistogram()
                     .Name("vhm_http_request_duration_seconds")
                     .Help("Time from a request's headers to its answer, by route")
                     .Register(*registry_)) {}

std::string ServeMetrics::route_of(std::string_view path) {
  for (std::string_view known : {"/v1/match", "/v1/lookup", "/v1/health", "/v1/stats", "/metrics", "/v1/banks"})
    if (path == known) return std::string(known);
  // The bank routes by their shape, not their names: a label per bank and id would grow
  // without bound.
  if (path.rfind("/v1/banks/", 0) == 0) return "/v1/banks/{bank}/contents";
  return "other";
}

void ServeMetrics::observe_request(std::string_view path, int status, double seconds) {
  const std::string route = route_of(path);
  requests_.Add({{"route", route}, {"status", std::to_string(status)}}).Increment();
  if (seconds >= 0) durations_.Add({{"route", route}}, kDurationBuckets).Observe(seconds);
}

std::string ServeMetrics::render(const nlohmann::json& stats) const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (prometheus::MetricFamily& f : stats_gauges(stats)) families.push_back(std::move(f));
  return prometheus::TextSerializer().Serialize(families);
}

std::vector<prometheus::MetricFamily> stats_gauges(const nlohmann::json& stats) {
  std::vector<prometheus::MetricFamily> out;
  flatten(stats, "", out);
  return out;
}

}  // namespace vhm::serve
