// The daemon's HTTP front door (serve/server.h): methods, paths, query strings, headers
// and bodies sent to a real vhm::serve::Server, in this process, over a temporary bank,
// bound to 127.0.0.1 on a free port once per fuzz process, through one keep-alive
// client connection (httplib's, as `vhm bench serve` uses).
//
// Input: an HTTP request with the framing left out, so that the fuzzer spends its
// effort on what vhm's handlers read:
//
//   METHOD TARGET\n          e.g. "POST /v1/lookup?x=1\n"; a METHOD that is not 1..16
//   Name: value\n ...        capitals is sent as POST; bytes of TARGET outside visible
//   \n                       ASCII are sent as %XX; a header that is not a token name
//   BODY                     and a value without control bytes is dropped; the body is
//                            every byte after the blank line
//
// So every request is well formed HTTP: the fuzzer's effort goes to what vhm reads (a
// malformed request line or header is answered, or dropped, by httplib before vhm
// sees anything).
//
// Framing headers (Content-Length, Transfer-Encoding, Connection, Host, Expect) are
// dropped: the client writes its own, and a lying Content-Length would only test how
// long the server waits for bytes that never come. So is Range: httplib then sends a
// slice of any answer, error bodies included, which is no longer the JSON vhm wrote.
//
// Oracles: every request is answered (no dropped connection, no hang past libFuzzer's
// -timeout), never with a 5xx (the bank here cannot fail, so a 5xx is an exception or
// an internal error in a handler), and every non-empty body is JSON (server.h: errors
// are always {"error": ...}).
//
// httplib itself is Debian's compiled library, not instrumented: the fuzzer is guided
// by coverage of vhm's handlers (and of the decoders and parsers they call), while
// ASan still checks the memory httplib touches through vhm's and libc's calls.
//
// seeds: media POST /v1/match\n\n
// seeds: media POST /v1/match?kind=image&name=a.jpg&with_hashes=1\n\n
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <thread>

#include "fuzz/target_bank.h"
#include "fuzz/target_support.h"
#include "serve/server.h"

namespace {

using namespace vhm;

struct Daemon {
  fuzz::FuzzBank made;
  std::unique_ptr<Bank> bank;
  std::unique_ptr<serve::Server> server;
  std::unique_ptr<httplib::Client> client;
};

// Started once and never stopped: the process ends with it (libFuzzer exits with
// exit(), and nothing here holds data to flush).
Daemon* g_daemon = nullptr;

// The one client, replaced when its connection is lost.
void new_client() {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", g_daemon->server->port());
  client->set_keep_alive(true);
  client->set_url_encode(false);  // request_target() already encoded what needs it
  // Longer than any -timeout scripts/fuzz.sh gives libFuzzer, so that a hang is
  // reported by libFuzzer with its input rather than by the client as an error.
  client->set_read_timeout(600, 0);
  client->set_write_timeout(600, 0);
  client->set_connection_timeout(10, 0);
  g_daemon->client = std::move(client);
}

void start_daemon() {
  auto* d = new Daemon;
  d->made = fuzz::make_fuzz_bank("bank");
  BankOptions bank_options;
  bank_options.background_merge = false;
  bank_options.search_threads = 1;
  auto bank = Bank::open(d->made.dir, bank_options);
  if (!bank) fuzz::fail("open the fuzz bank: " + bank.status().to_string());
  d->bank = std::move(bank).value();
  MatchConfig config;
  config.hashing.video.threads = 1;  // one input at a time; threads only blur the reports
  config.hashing.video.crop_bars = true;
  serve::ServerOptions options;
  options.port = 0;
  options.threads = 2;
  options.max_body_bytes = size_t{256} << 10;  // small, so that bodies over it are reachable
  d->server = std::make_unique<serve::Server>(*d->bank, config, options);
  if (Status s = d->server->bind(); !s.is_ok()) fuzz::fail("bind: " + s.to_string());
  std::thread([server = d->server.get()] { (void)server->serve(); }).detach();
  g_daemon = d;
  new_client();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool framing_header(const std::string& name) {
  const std::string n = lower(name);
  return n == "content-length" || n == "transfer-encoding" || n == "connection" || n == "host" || n == "expect" ||
         n == "range";
}

// RFC 9110 token characters: what a header name may hold. A name with other bytes is
// a malformed request, which the server may drop unanswered (httplib does).
bool token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// A header value without control bytes other than tab (a CR or LF would end it early).
bool field_value(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); });
}

// The request target as a client may send it: bytes outside visible ASCII as %XX (the
// server decodes them back, so every byte still reaches the query parser), and "/"
// for none. Without this a space or a control byte breaks the request line itself.
std::string request_target(std::string_view raw) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : raw) {
    if (c > 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out.empty() ? "/" : out;
}

bool plain_method(std::string_view m) {
  return !m.empty() && m.size() <= 16 && std::all_of(m.begin(), m.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// One line from `text` at `pos` (without its "\n" or "\r\n"); false at the end.
bool next_line(std::string_view text, size_t& pos, std::string_view& line) {
  if (pos >= text.size()) return false;
  const size_t eol = text.find('\n', pos);
  line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
  pos = eol == std::string_view::npos ? text.size() : eol + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return true;
}

std::string hex(int i) { return g_daemon->made.contents[i].frames[0].hash.to_hex(); }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_logs();
  start_daemon();
  fuzz::export_seeds({
      {"lookup-lines", "POST /v1/lookup\nContent-Type: text/plain\n\n" + hex(0) + "\npdq " + hex(1) + "\r\n# c\n\n"},
      {"lookup-json",
       "POST /v1/lookup\nContent-Type: application/json\n\n[\"" + hex(2) + "\", \"pdq " + hex(0) + "\"]"},
      {"lookup-bad", "POST /v1/lookup?x=%ff\n\nnot a hash\n" + hex(1).substr(0, 40) + "\n"},
      {"health", "GET /v1/health\n\n"},
      {"stats", "GET /v1/stats?a=1&a=2\nAccept-Encoding: gzip\n\n"},
      {"unknown", "DELETE /v1/match/../x?%zz\nX-Forwarded-For: 10.0.0.1\n\n"},
      {"match-text", "POST /v1/match?kind=video&name=%ff%fe.mp4&with_hashes=maybe\n\nffconcat version 1.0\n"},
      {"multipart", "POST /v1/match\nContent-Type: multipart/form-data; boundary=x\n\n--x\r\n\r\n--x--\r\n"},
      {"gzip-body",
       std::string("POST /v1/lookup\nContent-Encoding: gzip\n\n") +
           std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20)},
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  size_t pos = 0;
  std::string_view line;
  if (!next_line(text, pos, line)) return 0;
  httplib::Request req;
  const size_t space = line.find(' ');
  const std::string_view method = line.substr(0, space);
  req.method = plain_method(method) ? std::string(method) : "POST";
  req.path = request_target(space == std::string_view::npos ? std::string_view() : line.substr(space + 1));
  while (next_line(text, pos, line) && !line.empty()) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (token(name) && field_value(value) && !framing_header(name))
      req.headers.emplace(std::move(name), std::string(value));
  }
  req.body = std::string(text.substr(std::min(pos, text.size())));

  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  if (!g_daemon->client->send(req, res, error)) {
    // The keep-alive connection may have been closed by the server between two inputs
    // (an idle or request-count limit): one more try on a new connection. No answer on
    // a fresh connection either is a finding.
    const std::string first = httplib::to_string(error);
    new_client();
    res = httplib::Response();
    if (!g_daemon->client->send(req, res, error))
      fuzz::fail("no answer to " + req.method + " " + req.path + ": " + first + ", then on a new connection " +
                 httplib::to_string(error));
  }
  if (res.status >= 500)
    fuzz::fail(req.method + " " + req.path + " -> " + std::to_string(res.status) + ": " + res.body);
  if (!res.body.empty() && nlohmann::json::parse(res.body, nullptr, false).is_discarded())
    fuzz::fail(req.method + " " + req.path + " -> " + std::to_string(res.status) +
               " with a body that is not JSON: " + res.body.substr(0, 200));
  return 0;
}
