// ThreatExchange's /threat_updates for one privacy group (the Graph API; python-
// threatexchange's ThreatUpdatesDelta walks the same): GET {base}/{group}/threat_updates
// ?access_token&start_time&stop_time&limit&fields[&after=cursor], each page's
// paging.cursors.after leading to the next while paging.next is given. A run fetches
// [start, stop) with stop fixed at its first page; should_delete marks a tombstone.
// The token travels in the query, as the Graph API takes it: url_for_log keeps it out
// of errors, and the checkpoint holds the cursor, never the token-bearing next URL.
// Checkpoint: {"start": S, "stop": E, "after": cursor} ("after" "" between runs).
#include "exchange/feeds.h"

#include "core/json_text.h"
#include "exchange/feed_http.h"

namespace vhm {
namespace {

using namespace feed_http;

constexpr const char* kFields = "id,indicator,type,last_updated,should_delete,tags,status";

class ThreatExchangeFeed final : public PagedFeed {
 public:
  ThreatExchangeFeed(const ExchangeSettings& settings, HttpClient& http, std::string token)
      : PagedFeed(settings, http), token_(std::move(token)) {}

  Result<FeedPage> fetch_page(const std::string& checkpoint) override {
    auto at = checkpoint_object(checkpoint, "threatexchange");
    if (!at) return at.status();
    const int64_t start = int_field(*at, "start", settings_.start_timestamp);
    const std::string after_cursor = string_field(*at, "after");
    int64_t stop = int_field(*at, "stop", 0);
    if (after_cursor.empty()) stop = now_unix_seconds();
    HttpRequest request;
    request.headers = {"Accept: application/json"};
    request.url = settings_.base_url + "/" + url_escape(settings_.collection) +
                  "/threat_updates/?access_token=" + url_escape(token_) + "&start_time=" + std::to_string(start) +
                  "&stop_time=" + std::to_string(stop) +
                  "&limit=" + std::to_string(settings_.page_size > 0 ? settings_.page_size : 500) +
                  "&fields=" + url_escape(kFields) + (after_cursor.empty() ? "" : "&after=" + url_escape(after_cursor));
    auto body = body_of_success(http_, request);
    if (!body) return body.status();
    FeedPage page;
    page.name = next_page_name();
    auto doc = parse_json_text(*body);
    if (!doc || !doc->is_object() || !doc->contains("data"))
      return Status(StatusCode::kCorrupt, "expected {\"data\": [updates], \"paging\": ...}", page.name);
    auto list = parse_threatexchange_json(*body, page.name, BadRecords::kSkip);
    if (!list) return list.status();
    page.list = std::move(list).value();
    std::string next_cursor;
    bool has_next = false;
    if (doc->contains("paging") && (*doc)["paging"].is_object()) {
      const nlohmann::json& paging = (*doc)["paging"];
      has_next = paging.contains("next") && paging["next"].is_string() && !paging["next"].get<std::string>().empty();
      if (paging.contains("cursors") && paging["cursors"].is_object())
        next_cursor = string_field(paging["cursors"], "after");
    }
    nlohmann::json after;
    if (has_next) {
      if (next_cursor.empty() || next_cursor == after_cursor)
        return Status(StatusCode::kCorrupt, "paging.next without a new paging.cursors.after", page.name);
      after = {{"start", start}, {"stop", stop}, {"after", next_cursor}};
    } else {
      after = {{"start", stop}, {"stop", 0}, {"after", ""}};
      page.last = true;
    }
    page.checkpoint_after = after.dump();
    return page;
  }

 private:
  std::string token_;
};

}  // namespace

Result<std::unique_ptr<ExchangeFeed>> make_threatexchange_feed(const ExchangeSettings& settings, HttpClient& http) {
  auto token = settings.secret("token");
  if (!token) return token.status();
  if (settings.collection.empty())
    return Status(StatusCode::kInvalidArgument,
                  "no privacy group: --collection ID or \"privacy_group\" under \"threatexchange\" in --config",
                  "threatexchange");
  return std::unique_ptr<ExchangeFeed>(std::make_unique<ThreatExchangeFeed>(settings, http, *token));
}

}  // namespace vhm
