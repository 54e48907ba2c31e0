// vhm feedback: a platform's review outcome for a matched hash, sent back to the
// exchange it came from, so that the exchange (and the victim's case behind it) learns
// what the platform did.
//   stopncii        POST {base}/SubmitFeedback {"count": 1, "hashFeedbacks": [{"hashValue",
//                   "feedbackValue": PendingReview | Blocked | NotBlocked, "tags"}]} with
//                   the subscription key and the SubmitFeedback function key
//   threatexchange  POST {base}/{id}/?access_token reactions=SAW_THIS_TOO (pending-review),
//                   HELPFUL (blocked), NOT_HELPFUL (not-blocked)
// NCMEC and TCAP: not taken here (docs/EXCHANGES.md says why).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "exchange/exchange_settings.h"
#include "exchange/http_client.h"

namespace vhm {

enum class FeedbackOutcome { kPendingReview, kBlocked, kNotBlocked };
// "pending-review", "blocked", "not-blocked"
const char* feedback_outcome_name(FeedbackOutcome outcome);
std::optional<FeedbackOutcome> parse_feedback_outcome(std::string_view name);

struct FeedbackRequest {
  FeedbackOutcome outcome = FeedbackOutcome::kPendingReview;
  std::string hash_value;  // stopncii: the hashValue as the exchange sent it
  std::string item_id;     // threatexchange: the descriptor or indicator id
  std::vector<std::string> tags;
};

// Sends it; a refusal is a Status naming the request (kPermissionDenied for 401/403),
// kUnsupported for an exchange that takes none, kInvalidArgument for a missing value.
Status send_feedback(const ExchangeSettings& settings, HttpClient& http, const FeedbackRequest& request);

}  // namespace vhm
