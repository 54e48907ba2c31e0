// vhm serve --log-format json: every log line one JSON object, for a log pipeline
// (Loki, Elasticsearch, Cloud Logging) to read without a parser of its own:
//   {"time": "2026-12-03T14:16:46.123Z", "level": "warn", "msg": "...",
//    "request_id": "r-17"}          <- when logged while a request is handled
// Request ids: a client's X-Request-Id (up to 64 of [A-Za-z0-9._-]) or one the daemon
// makes ("r-<n>"), returned as X-Request-Id on the reply and named in its log lines
// in either format.
#pragma once

#include <string>
#include <string_view>

namespace vhm::serve {

// Makes the default logger write JSON lines (call once, before threads log).
void use_json_log_lines();

// The request this thread is handling, for its log lines; "" when none. The server
// sets it once a request's headers are in and clears it once the request is answered
// (httplib handles a request on one thread, from routing to its logger).
const std::string& current_request_id();
void set_current_request_id(std::string id);

// A client's X-Request-Id when it is one we may echo and log, else "".
std::string usable_request_id(std::string_view given);

}  // namespace vhm::serve
