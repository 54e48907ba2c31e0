// Shared pieces of the feeds (feed_http.h).
#include "exchange/feed_http.h"

#include <chrono>
#include <ctime>

#include "core/json_text.h"

namespace vhm::feed_http {

Result<std::string> body_of_success(HttpClient& http, const HttpRequest& request) {
  auto response = http.send(request);
  if (!response) return response.status();
  const long s = response->status;
  if (s >= 200 && s < 300) return std::move(response->body);
  const std::string subject = request.method + " " + url_for_log(request.url);
  // The exchange's own words help the operator, within reason (one line, 200 chars).
  std::string said = response->body.substr(0, 200);
  for (char& c : said)
    if (c == '\n' || c == '\r' || static_cast<unsigned char>(c) < 0x20) c = ' ';
  const std::string what = "HTTP " + std::to_string(s) + (said.empty() ? "" : ": " + said);
  if (s == 401 || s == 403) return Status(StatusCode::kPermissionDenied, what, subject);
  if (http_status_is_transient(s))
    return Status(StatusCode::kUnavailable, what + " (after " + std::to_string(http.tries()) + " tries)", subject);
  if (s == 404) return Status(StatusCode::kNotFound, what, subject);
  return Status(StatusCode::kInvalidArgument, what, subject);
}

Result<nlohmann::json> checkpoint_object(const std::string& checkpoint, const char* exchange) {
  if (checkpoint.empty()) return nlohmann::json::object();
  auto doc = parse_json_text(checkpoint);
  if (!doc || !doc->is_object())
    return Status(StatusCode::kCorrupt, "the stored checkpoint is not this vhm's (rerun with --from-start)",
                  std::string("fetch:") + exchange);
  return std::move(doc).value();
}

int64_t int_field(const nlohmann::json& j, const char* key, int64_t fallback) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : fallback;
}

std::string string_field(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::string iso_utc(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

int64_t now_unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace vhm::feed_http
