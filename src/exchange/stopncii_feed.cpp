// StopNCII's FetchHashes (python-threatexchange's StopNCIIAPI documents the same
// shapes): GET {base}/FetchHashes?startTimestamp=S&pageSize=N[&nextPageToken=T] with
// the subscription key and the FetchHashes function key as headers. A page's
// hasMoreRecords/nextPageToken lead to the next page of this run; once played out,
// nextSetTimestamp is where the next run starts.
// Checkpoint: {"start": S, "token": T} (token "" between runs).
#include "exchange/feeds.h"

#include "exchange/feed_http.h"

namespace vhm {
namespace {

using namespace feed_http;

class StopNciiFeed final : public PagedFeed {
 public:
  StopNciiFeed(const ExchangeSettings& settings, HttpClient& http, std::string subscription_key, std::string fetch_key)
      : PagedFeed(settings, http), subscription_key_(std::move(subscription_key)), fetch_key_(std::move(fetch_key)) {}

  Result<FeedPage> fetch_page(const std::string& checkpoint) override {
    auto at = checkpoint_object(checkpoint, "stopncii");
    if (!at) return at.status();
    // python-threatexchange starts at 10 (StopNCIIAPI.DEFAULT_START_TIME).
    const int64_t start = int_field(*at, "start", settings_.start_timestamp > 0 ? settings_.start_timestamp : 10);
    const std::string token = string_field(*at, "token");
    HttpRequest request;
    request.url = settings_.base_url + "/FetchHashes?startTimestamp=" + std::to_string(start) +
                  "&pageSize=" + std::to_string(settings_.page_size > 0 ? settings_.page_size : 800) +
                  (token.empty() ? "" : "&nextPageToken=" + url_escape(token));
    request.headers = {"Ocp-Apim-Subscription-Key: " + subscription_key_, "x-functions-key: " + fetch_key_,
                       "Accept: application/json"};
    auto body = body_of_success(http_, request);
    if (!body) return body.status();
    FeedPage page;
    page.name = next_page_name();
    auto list = parse_stopncii_page(*body, page.name, BadRecords::kSkip);
    if (!list) return list.status();
    page.list = std::move(list).value();
    nlohmann::json after;
    if (page.list.has_more_records) {
      if (page.list.next_page_token.empty())
        return Status(StatusCode::kCorrupt, "hasMoreRecords without a nextPageToken", page.name);
      after = {{"start", start}, {"token", page.list.next_page_token}};
    } else {
      after = {{"start", page.list.next_set_timestamp > 0 ? page.list.next_set_timestamp : start}, {"token", ""}};
      page.last = true;
    }
    page.checkpoint_after = after.dump();
    return page;
  }

 private:
  std::string subscription_key_;
  std::string fetch_key_;
};

}  // namespace

Result<std::unique_ptr<ExchangeFeed>> make_stopncii_feed(const ExchangeSettings& settings, HttpClient& http) {
  auto subscription = settings.secret("subscription_key");
  if (!subscription) return subscription.status();
  auto fetch = settings.secret("fetch_key");
  if (!fetch) return fetch.status();
  return std::unique_ptr<ExchangeFeed>(std::make_unique<StopNciiFeed>(settings, http, *subscription, *fetch));
}

}  // namespace vhm
