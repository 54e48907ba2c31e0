// What the feeds share (not an interface for other folders): a request whose answer
// must be a 2xx, a checkpoint's JSON, times as the APIs write them.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "exchange/exchange_feed.h"
#include "exchange/http_client.h"

namespace vhm::feed_http {

// What every feed holds: its settings, its client, and the pages it fetched (named
// "<exchange> page N" in errors and sources).
class PagedFeed : public ExchangeFeed {
 protected:
  PagedFeed(const ExchangeSettings& settings, HttpClient& http) : settings_(settings), http_(http) {}
  std::string next_page_name() {
    return std::string(exchange_kind_name(settings_.kind)) + " page " + std::to_string(++pages_);
  }

  const ExchangeSettings& settings_;
  HttpClient& http_;

 private:
  int64_t pages_ = 0;
};

// The body of a 2xx answer; otherwise a Status naming the request (url_for_log) and the
// status: kPermissionDenied (401, 403), kUnavailable (429, 5xx, after the retries;
// transport failures), kNotFound (404), kInvalidArgument (other 4xx).
Result<std::string> body_of_success(HttpClient& http, const HttpRequest& request);
// The stored checkpoint as a JSON object ({} for an empty one); kCorrupt when it is not.
Result<nlohmann::json> checkpoint_object(const std::string& checkpoint, const char* exchange);
int64_t int_field(const nlohmann::json& j, const char* key, int64_t fallback);
std::string string_field(const nlohmann::json& j, const char* key);
// Unix seconds as ISO 8601 UTC ("2024-05-01T12:00:00Z").
std::string iso_utc(int64_t unix_seconds);
int64_t now_unix_seconds();

}  // namespace vhm::feed_http
