// send_feedback (feedback.h).
#include "exchange/feedback.h"

#include <nlohmann/json.hpp>

#include "exchange/feed_http.h"

namespace vhm {

const char* feedback_outcome_name(FeedbackOutcome outcome) {
  switch (outcome) {
    case FeedbackOutcome::kPendingReview:
      return "pending-review";
    case FeedbackOutcome::kBlocked:
      return "blocked";
    case FeedbackOutcome::kNotBlocked:
      return "not-blocked";
  }
  return "?";
}

std::optional<FeedbackOutcome> parse_feedback_outcome(std::string_view name) {
  for (FeedbackOutcome o : {FeedbackOutcome::kPendingReview, FeedbackOutcome::kBlocked, FeedbackOutcome::kNotBlocked})
    if (name == feedback_outcome_name(o)) return o;
  return std::nullopt;
}

namespace {

const char* stopncii_value(FeedbackOutcome outcome) {
  switch (outcome) {
    case FeedbackOutcome::kPendingReview:
      return "PendingReview";
    case FeedbackOutcome::kBlocked:
      return "Blocked";
    case FeedbackOutcome::kNotBlocked:
      return "NotBlocked";
  }
  return "Unknown";
}

// python-threatexchange's react_matched / react_upvote / react_downvote.
const char* threatexchange_reaction(FeedbackOutcome outcome) {
  switch (outcome) {
    case FeedbackOutcome::kPendingReview:
      return "SAW_THIS_TOO";
    case FeedbackOutcome::kBlocked:
      return "HELPFUL";
    case FeedbackOutcome::kNotBlocked:
      return "NOT_HELPFUL";
  }
  return "SAW_THIS_TOO";
}

Status stopncii_feedback(const ExchangeSettings& settings, HttpClient& http, const FeedbackRequest& request) {
  if (request.hash_value.empty())
    return Status(StatusCode::kInvalidArgument, "no hash value to give feedback on", "stopncii");
  auto subscription = settings.secret("subscription_key");
  if (!subscription) return subscription.status();
  auto key = settings.secret("feedback_key");
  if (!key) return key.status();
  const nlohmann::json body = {{"count", 1},
                               {"hashFeedbacks",
                                {{{"hashValue", request.hash_value},
                                  {"feedbackValue", stopncii_value(request.outcome)},
                                  {"tags", request.tags}}}}};
  HttpRequest http_request;
  http_request.method = "POST";
  http_request.url = settings.base_url + "/SubmitFeedback";
  http_request.headers = {"Ocp-Apim-Subscription-Key: " + *subscription, "x-functions-key: " + *key,
                          "Content-Type: application/json"};
  http_request.body = body.dump();
  auto answer = feed_http::body_of_success(http, http_request);
  return answer ? Status::ok() : answer.status();
}

Status threatexchange_feedback(const ExchangeSettings& settings, HttpClient& http, const FeedbackRequest& request) {
  if (request.item_id.empty() || request.item_id.find_first_not_of("0123456789") != std::string::npos)
    return Status(StatusCode::kInvalidArgument, "a ThreatExchange id is digits ('te:<id>' in the bank)",
                  "threatexchange");
  auto token = settings.secret("token");
  if (!token) return token.status();
  HttpRequest http_request;
  http_request.method = "POST";
  http_request.url = settings.base_url + "/" + request.item_id + "/?access_token=" + url_escape(*token);
  http_request.headers = {"Content-Type: application/x-www-form-urlencoded"};
  http_request.body = std::string("reactions=") + threatexchange_reaction(request.outcome);
  auto answer = feed_http::body_of_success(http, http_request);
  return answer ? Status::ok() : answer.status();
}

}  // namespace

Status send_feedback(const ExchangeSettings& settings, HttpClient& http, const FeedbackRequest& request) {
  switch (settings.kind) {
    case ExchangeKind::kStopNcii:
      return stopncii_feedback(settings, http, request);
    case ExchangeKind::kThreatExchange:
      return threatexchange_feedback(settings, http, request);
    case ExchangeKind::kNcmec:
    case ExchangeKind::kTcap:
      break;
  }
  return Status(StatusCode::kUnsupported, "vhm feedback does not send to this exchange (docs/EXCHANGES.md)",
                exchange_kind_name(settings.kind));
}

}  // namespace vhm
