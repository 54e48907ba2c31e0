// libcurl behind HttpClient (http_client.h).
#include "exchange/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <thread>

namespace vhm {
namespace {

struct CurlEasyFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct CurlListFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlListPtr = std::unique_ptr<curl_slist, CurlListFree>;

// libcurl's own process-wide setup, once, before the first handle (its documented rule).
void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct BodySink {
  std::string* body;
  int64_t limit;
  bool overflowed = false;
};

size_t write_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const size_t n = size * count;
  if (static_cast<int64_t>(sink->body->size() + n) > sink->limit) {
    sink->overflowed = true;
    return 0;  // aborts the transfer
  }
  sink->body->append(data, n);
  return n;
}

struct HeaderSink {
  std::optional<std::string> retry_after;
};

size_t read_header(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<HeaderSink*>(user);
  const std::string_view line(data, size * count);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    std::string head(line.substr(0, kName.size()));
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    if (head == kName) {
      std::string value(line.substr(kName.size()));
      const size_t b = value.find_first_not_of(" \t"), e = value.find_last_not_of(" \t\r\n");
      sink->retry_after = b == std::string::npos ? std::string() : value.substr(b, e - b + 1);
    }
  }
  return size * count;
}

// Retry-After is delay-seconds or an HTTP-date (RFC 9110 10.2.3).
std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value) {
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string::npos) {
    if (value.size() > 9) return std::chrono::milliseconds(std::chrono::hours(24 * 365));
    return std::chrono::milliseconds(std::stoll(value) * 1000);
  }
  const time_t at = curl_getdate(value.c_str(), nullptr);
  if (at < 0) return std::nullopt;
  const time_t now = time(nullptr);
  return std::chrono::milliseconds(at > now ? (at - now) * 1000 : 0);
}

}  // namespace

struct HttpClient::Handle {
  std::unique_ptr<CURL, CurlEasyFree> curl;
};

std::string url_for_log(const std::string& url) { return url.substr(0, url.find('?')); }

std::string url_escape(const std::string& value) {
  constexpr char kHexDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHexDigits[c >> 4];
      out += kHexDigits[c & 15];
    }
  }
  return out;
}

bool http_status_is_transient(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

HttpClient::HttpClient(HttpClientOptions options) : handle_(std::make_unique<Handle>()), options_(std::move(options)) {
  curl_init_once();
  handle_->curl.reset(curl_easy_init());
  if (!options_.wait)
    options_.wait = [](std::chrono::milliseconds d) {
      std::this_thread::sleep_for(d);
      return true;
    };
}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::send_once(const HttpRequest& request) {
  const std::string subject = request.method + " " + url_for_log(request.url);
  CURL* c = handle_->curl.get();
  if (!c) return Status(StatusCode::kInternal, "libcurl gave no handle", subject);
  if (request.url.rfind("https://", 0) != 0 && request.url.rfind("http://", 0) != 0)
    return Status(StatusCode::kInvalidArgument, "only http:// and https:// URLs are fetched", subject);
  ++tries_;
  curl_easy_reset(c);
  HttpResponse response;
  BodySink body{&response.body, options_.max_body_bytes};
  HeaderSink headers;
  CurlListPtr list;
  for (const std::string& h : request.headers) {
    curl_slist* next = curl_slist_append(list.get(), h.c_str());
    if (!next) return Status(StatusCode::kInternal, "out of memory for a header", subject);
    (void)list.release();
    list.reset(next);
  }
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // credentials never go to a host we were not given
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, options_.timeout_seconds);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_seconds);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, read_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &headers);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
  curl_easy_setopt(c, CURLOPT_USERAGENT, "vhm-fetch/0.1");
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (list) curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  if (!request.basic_user.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, request.basic_user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, request.basic_password.c_str());
  }
  if (request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "PUT") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    return Status(StatusCode::kInvalidArgument, "unsupported method", subject);
  }
  const CURLcode rc = curl_easy_perform(c);
  if (body.overflowed)
    return Status(StatusCode::kLimitExceeded,
                  "response larger than " + std::to_string(options_.max_body_bytes >> 20) + " MiB", subject);
  if (rc != CURLE_OK)
    return Status(StatusCode::kUnavailable, std::string(error[0] ? error : curl_easy_strerror(rc)), subject);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  if (headers.retry_after) response.retry_after = parse_retry_after(*headers.retry_after);
  return response;
}

Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
  std::chrono::milliseconds delay = options_.retry.first_delay;
  for (int attempt = 1;; ++attempt) {
    auto response = send_once(request);
    const bool transport_failed = !response && response.status().code() == StatusCode::kUnavailable;
    const bool transient = response && http_status_is_transient(response->status);
    if ((!transport_failed && !transient) || attempt >= options_.retry.attempts) return response;
    std::chrono::milliseconds wait = delay;
    if (transient && response->retry_after) wait = *response->retry_after;
    if (wait > options_.retry.max_delay) {
      if (transient && response->retry_after)
        return Status(StatusCode::kUnavailable,
                      "HTTP " + std::to_string(response->status) + " and Retry-After " +
                          std::to_string(wait.count() / 1000) + " s, longer than the " +
                          std::to_string(options_.retry.max_delay.count() / 1000) + " s this run waits",
                      request.method + " " + url_for_log(request.url));
      wait = options_.retry.max_delay;
    }
    ++retries_;
    if (!options_.wait(wait))
      return Status(StatusCode::kUnavailable, "stopped", request.method + " " + url_for_log(request.url));
    delay = std::min(delay * 2, options_.retry.max_delay);
  }
}

}  // namespace vhm
