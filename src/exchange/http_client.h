// The HTTP client of vhm fetch and vhm feedback: libcurl (Debian's, OpenSSL, the
// system's CA store), one handle per client, retries with back-off on what a server
// means as "later" (429, 5xx, a dropped connection), honouring Retry-After.
//
// What is never logged nor put in an error: query strings (ThreatExchange's access
// token travels in one), request headers and bodies (keys, passwords). Errors name the
// method and the URL up to its '?'.
//
// Thread safety: one HttpClient per thread (a curl easy handle is not shared).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace vhm {

struct HttpRequest {
  std::string method = "GET";        // GET, POST, PUT
  std::string url;                   // http:// or https:// only
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // POST/PUT
  std::string basic_user;            // HTTP basic authentication when not empty
  std::string basic_password;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  // Retry-After as a delay (seconds, or an HTTP date from now); nullopt when absent.
  std::optional<std::chrono::milliseconds> retry_after;
};

struct HttpRetryPolicy {
  int attempts = 5;                              // tries in all (1: no retry)
  std::chrono::milliseconds first_delay{500};    // doubled after each try
  std::chrono::milliseconds max_delay{120'000};  // the longest wait, Retry-After included
};

struct HttpClientOptions {
  long timeout_seconds = 120;  // a whole transfer
  long connect_timeout_seconds = 20;
  std::string ca_file;  // empty: the system's CA store
  int64_t max_body_bytes = 512ll << 20;
  HttpRetryPolicy retry;
  // Waits before a retry; false when the caller wants to stop (a daemon shutting down),
  // which ends the retries with kUnavailable "stopped". Default: sleeps.
  std::function<bool(std::chrono::milliseconds)> wait;
};

// The URL up to its query: what an error or a log line may show.
std::string url_for_log(const std::string& url);
// application/x-www-form-urlencoded / query-string escaping of one value.
std::string url_escape(const std::string& value);

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One try. A transport failure (refused, reset, timed out, TLS) is kUnavailable;
  // any HTTP status is a response.
  Result<HttpResponse> send_once(const HttpRequest& request);
  // Tries again on 429, 500, 502, 503, 504 and on transport failures, up to
  // retry.attempts, waiting Retry-After when given, else first_delay doubled each time.
  // Returns the last response (its status may still be one of those) or error.
  Result<HttpResponse> send(const HttpRequest& request);

  // Tries made by this client (tests and summaries).
  int64_t tries() const { return tries_; }
  int64_t retries() const { return retries_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  HttpClientOptions options_;
  int64_t tries_ = 0;
  int64_t retries_ = 0;
};

// Whether a status means "try later".
bool http_status_is_transient(long status);

}  // namespace vhm
