// NCMEC's hash-sharing API v2 (python-threatexchange's NCMECHashAPI documents the same
// shapes): GET {base}/v2/entries?from=ISO&to=ISO with HTTP basic authentication, then
// the path each page gives as paging/next until none. Entries do not come in time
// order, so a run's range [from, to) counts as fetched only once played out; a run
// stopped halfway resumes at its stored paging/next. A video's TMK_PDQF fingerprint is
// a link (href) to the binary, fetched here from the same host.
// Checkpoint: {"from": F, "to": T, "next": "/v2/entries?..."} ("next" "" between runs).
#include "exchange/feeds.h"

#include "exchange/feed_http.h"

namespace vhm {
namespace {

using namespace feed_http;

class NcmecFeed final : public PagedFeed {
 public:
  NcmecFeed(const ExchangeSettings& settings, HttpClient& http, std::string user, std::string password)
      : PagedFeed(settings, http), user_(std::move(user)), password_(std::move(password)) {}

  Result<FeedPage> fetch_page(const std::string& checkpoint) override {
    auto at = checkpoint_object(checkpoint, "ncmec");
    if (!at) return at.status();
    const int64_t from = int_field(*at, "from", settings_.start_timestamp);
    int64_t to = int_field(*at, "to", 0);
    const std::string next = string_field(*at, "next");
    HttpRequest request = authed();
    if (next.empty()) {
      to = now_unix_seconds();
      request.url =
          settings_.base_url + "/v2/entries?from=" + url_escape(iso_utc(from)) + "&to=" + url_escape(iso_utc(to));
    } else {
      if (next.front() != '/')
        return Status(StatusCode::kCorrupt, "a stored paging/next that is no path", "fetch:ncmec");
      request.url = settings_.base_url + next;
    }
    auto body = body_of_success(http_, request);
    if (!body) return body.status();
    FeedPage page;
    page.name = next_page_name();
    auto list = parse_ncmec_xml(
        *body, page.name, [this](const std::string& reference) { return download_tmk(reference); }, BadRecords::kSkip);
    if (!list) return list.status();
    page.list = std::move(list).value();
    nlohmann::json after;
    if (page.list.has_more_records) {
      if (page.list.next_page_token.front() != '/')
        return Status(StatusCode::kCorrupt, "paging/next is not a path on this host", page.name);
      after = {{"from", from}, {"to", to}, {"next", page.list.next_page_token}};
    } else {
      after = {{"from", to}, {"to", 0}, {"next", ""}};
      page.last = true;
    }
    page.checkpoint_after = after.dump();
    return page;
  }

 private:
  HttpRequest authed() const {
    HttpRequest r;
    r.basic_user = user_;
    r.basic_password = password_;
    r.headers = {"Accept: application/xml"};
    return r;
  }

  // The binary a TMK_PDQF link names: a path on the exchange's host (credentials go
  // nowhere else), a .tmk file as is or in base64.
  Result<std::vector<uint8_t>> download_tmk(const std::string& reference) {
    HttpRequest request = authed();
    request.headers = {"Accept: application/octet-stream"};
    if (!reference.empty() && reference.front() == '/') request.url = settings_.base_url + reference;
    else if (reference.rfind(settings_.base_url + "/", 0) == 0) request.url = reference;
    else return Status(StatusCode::kCorrupt, "a TMK_PDQF link that is not on the exchange's host");
    auto body = body_of_success(http_, request);
    if (!body) return body.status();
    const std::span<const uint8_t> raw(reinterpret_cast<const uint8_t*>(body->data()), body->size());
    if (check_tmk_bytes(raw).is_ok()) return std::vector<uint8_t>(raw.begin(), raw.end());
    auto decoded = decode_base64(*body);
    if (decoded && check_tmk_bytes(*decoded).is_ok()) return std::move(decoded).value();
    return Status(StatusCode::kCorrupt, "the TMK_PDQF download is no .tmk file: " + check_tmk_bytes(raw).message());
  }

  std::string user_;
  std::string password_;
};

}  // namespace

Result<std::unique_ptr<ExchangeFeed>> make_ncmec_feed(const ExchangeSettings& settings, HttpClient& http) {
  auto user = settings.secret("username");
  if (!user) return user.status();
  auto password = settings.secret("password");
  if (!password) return password.status();
  return std::unique_ptr<ExchangeFeed>(std::make_unique<NcmecFeed>(settings, http, *user, *password));
}

}  // namespace vhm
