// Tech Against Terrorism's TCAP hash list (python-threatexchange's TATHashListAPI
// documents the same shapes): POST {base}/token-auth/tcap/ (username, password) gives a
// JWT; GET {base}/api/hash-list/v2/all?order=asc&after=<checkpoint> with it as a Bearer
// token gives {"count", "next", "previous", "checkpoint", "results"}. Each page's
// "checkpoint" (the last record's time and id, "1704085200,124") is where the next one
// starts, so a stopped run resumes there. An expired token (401) is renewed once.
// Checkpoint: {"after": "<TCAP checkpoint>"}.
#include "exchange/feeds.h"

#include "core/json_text.h"
#include "exchange/feed_http.h"

namespace vhm {
namespace {

using namespace feed_http;

class TcapFeed final : public PagedFeed {
 public:
  TcapFeed(const ExchangeSettings& settings, HttpClient& http, std::string user, std::string password)
      : PagedFeed(settings, http), user_(std::move(user)), password_(std::move(password)) {}

  Result<FeedPage> fetch_page(const std::string& checkpoint) override {
    auto at = checkpoint_object(checkpoint, "tcap");
    if (!at) return at.status();
    const std::string after_mark = string_field(*at, "after");
    HttpRequest request;
    request.url = settings_.base_url + "/api/hash-list/v2/all?order=asc&after=" + url_escape(after_mark);
    auto body = get_with_token(request);
    if (!body) return body.status();
    FeedPage page;
    page.name = next_page_name();
    auto doc = parse_json_text(*body);
    if (!doc || !doc->is_object() || !doc->contains("results"))
      return Status(StatusCode::kCorrupt, "expected {\"results\": [...], \"next\", \"checkpoint\"}", page.name);
    auto list = parse_tcap_list(*body, page.name, BadRecords::kSkip);
    if (!list) return list.status();
    page.list = std::move(list).value();
    const std::string mark = string_field(*doc, "checkpoint");
    const bool has_next =
        doc->contains("next") && (*doc)["next"].is_string() && !(*doc)["next"].get<std::string>().empty();
    if (has_next && (mark.empty() || mark == after_mark))
      return Status(StatusCode::kCorrupt, "\"next\" without a new \"checkpoint\"", page.name);
    page.checkpoint_after = nlohmann::json{{"after", mark.empty() ? after_mark : mark}}.dump();
    page.last = !has_next;
    return page;
  }

 private:
  Result<std::string> authenticate() {
    HttpRequest request;
    request.method = "POST";
    request.url = settings_.base_url + "/token-auth/tcap/";
    request.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
    request.body = "username=" + url_escape(user_) + "&password=" + url_escape(password_) + "&resend=false";
    auto body = body_of_success(http_, request);
    if (!body) return body.status();
    auto doc = parse_json_text(*body);
    const std::string token = doc && doc->is_object() ? string_field(*doc, "token") : std::string();
    if (token.empty())
      return Status(StatusCode::kCorrupt, "the token answer has no \"token\"", "POST " + url_for_log(request.url));
    return token;
  }

  Result<std::string> get_with_token(HttpRequest request) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (token_.empty()) {
        auto token = authenticate();
        if (!token) return token.status();
        token_ = std::move(token).value();
      }
      request.headers = {"Authorization: Bearer " + token_, "Accept: application/json"};
      auto body = body_of_success(http_, request);
      if (body || body.status().code() != StatusCode::kPermissionDenied || attempt == 1) return body;
      token_.clear();  // expired or revoked: one new token, then the refusal stands
    }
    return Status(StatusCode::kInternal, "unreachable", "tcap");
  }

  std::string user_;
  std::string password_;
  std::string token_;
};

}  // namespace

Result<std::unique_ptr<ExchangeFeed>> make_tcap_feed(const ExchangeSettings& settings, HttpClient& http) {
  auto user = settings.secret("username");
  if (!user) return user.status();
  auto password = settings.secret("password");
  if (!password) return password.status();
  return std::unique_ptr<ExchangeFeed>(std::make_unique<TcapFeed>(settings, http, *user, *password));
}

}  // namespace vhm
