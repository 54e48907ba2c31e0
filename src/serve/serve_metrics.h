// GET /metrics: the daemon in the Prometheus text format (prometheus-cpp, Debian's),
// for a platform's monitoring.
//   vhm_http_requests_total{route, status}        counter, every answered request
//   vhm_http_request_duration_seconds{route}       histogram, from the request's headers
//                                                  to its answer
//   vhm_<path of a number in /v1/stats>           gauge: frames hashed, codes searched,
//                                                  connections, the bank's contents and
//                                                  frames (per signal too), its index
//                                                  (merges, delta frames), and what else
//                                                  the daemon runs reports there (the
//                                                  Redis workers, the exchange feeds)
// Routes are the daemon's own paths; any other path counts as "other", so a scanner
// cannot make the series grow without bound.
//
// Thread safety: every method may be called from any thread (prometheus-cpp's
// families and metrics are internally synchronised).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <nlohmann/json.hpp>

namespace vhm::serve {

class ServeMetrics {
 public:
  ServeMetrics();

  // One answered request; seconds < 0 when its start is unknown (a request httplib
  // refused before routing): counted, not timed.
  void observe_request(std::string_view path, int status, double seconds);

  // The exposition: the request families, then `stats` (the /v1/stats object) as gauges.
  std::string render(const nlohmann::json& stats) const;

  // The route label of a path.
  static std::string route_of(std::string_view path);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
};

// Each number (and boolean, as 0/1) in `stats` as a gauge named vhm_ + its path joined
// by '_' (characters outside [a-zA-Z0-9_] become '_'); strings and arrays are left out.
std::vector<prometheus::MetricFamily> stats_gauges(const nlohmann::json& stats);

}  // namespace vhm::serve
