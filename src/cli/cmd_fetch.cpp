// vhm fetch and vhm feedback: the exchanges' APIs (src/exchange, docs/EXCHANGES.md).
#include <unistd.h>

#include <boost/program_options.hpp>

#include <cstdio>
#include <iostream>

#include "bank/exchange_formats.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "core/json_text.h"
#include "exchange/feedback.h"
#include "exchange/fetch_run.h"

namespace po = boost::program_options;

namespace vhm::cli {
namespace {

int usage_error(const char* command, const std::string& message) {
  std::fprintf(stderr, "vhm %s: %s (try 'vhm %s --help')\n", command, message.c_str(), command);
  return kExitUsage;
}

// What both commands take to reach an exchange.
struct ExchangeFlags {
  std::string config;
  std::string base_url;
  std::string collection;
};

void add_exchange_flags(po::options_description& options, ExchangeFlags& flags) {
  options.add_options()("config", po::value(&flags.config),
                        "JSON file of credentials and settings (docs/EXCHANGES.md); the environment wins over it")(
      "base-url", po::value(&flags.base_url),
      "the API's root instead of the exchange's public one (a proxy, a test server)")(
      "collection", po::value(&flags.collection), "threatexchange: the privacy group id");
}

// The exchange named by the one positional argument, with the flags applied.
Result<ExchangeSettings> settings_from(const std::vector<std::string>& positional, const ExchangeFlags& flags) {
  if (positional.size() != 1)
    return Status(StatusCode::kInvalidArgument, "name one exchange: stopncii, ncmec, threatexchange or tcap");
  const auto kind = parse_exchange_kind(positional.front());
  if (!kind)
    return Status(StatusCode::kInvalidArgument,
                  "unknown exchange '" + positional.front() + "' (stopncii, ncmec, threatexchange, tcap)");
  auto settings = load_exchange_settings(*kind, flags.config);
  if (!settings) return settings.status();
  if (!flags.base_url.empty()) {
    settings->base_url = flags.base_url;
    while (!settings->base_url.empty() && settings->base_url.back() == '/') settings->base_url.pop_back();
  }
  if (!flags.collection.empty()) settings->collection = flags.collection;
  if (settings->base_url.rfind("https://", 0) != 0 && settings->base_url.rfind("http://", 0) != 0)
    return Status(StatusCode::kInvalidArgument, "--base-url must be an http:// or https:// URL");
  return settings;
}

std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

int cmd_fetch(int argc, char** argv) {
  constexpr const char* kHelp = R"(Usage: vhm fetch EXCHANGE --bank BANK [OPTIONS]

Brings a bank up to date with an exchange's hash list: new hashes are added, changed
ones replaced, withdrawn ones (a StopNCII hash or case withdrawn, an NCMEC deleted
entry, an expired ThreatExchange descriptor, a TCAP deleted hash) tombstoned, so the
very next lookup stops matching them. EXCHANGE is stopncii, ncmec, threatexchange or
tcap. Each page is committed to the bank together with the checkpoint after it: the
next run continues there, and a run killed at any point loses and repeats nothing.
429 and 5xx answers are retried with back-off, honouring Retry-After.

Credentials come from the environment or --config, never from the command line:
  stopncii        VHM_STOPNCII_SUBSCRIPTION_KEY, VHM_STOPNCII_FETCH_KEY
  ncmec           VHM_NCMEC_USERNAME, VHM_NCMEC_PASSWORD
  threatexchange  VHM_THREATEXCHANGE_TOKEN (and --collection PRIVACY_GROUP)
  tcap            VHM_TCAP_USERNAME, VHM_TCAP_PASSWORD

Prints a progress line on a terminal, then one JSON line: added, updated, removed,
unchanged, deletions_not_held, skipped (per signal type vhm does not take),
bad_records, errors, complete, checkpoint_name. docs/EXCHANGES.md has the details.

Examples:
  VHM_STOPNCII_SUBSCRIPTION_KEY=... VHM_STOPNCII_FETCH_KEY=... vhm fetch stopncii --bank banks/ncii
  vhm fetch ncmec --bank banks/csam --config /etc/vhm/exchanges.json
  vhm fetch threatexchange --bank banks/te --collection 1234567890 --dry-run
  vhm fetch tcap --bank banks/tvec --config exchanges.json --max-pages 10

Exit codes: 0 the run ended without error (complete says whether the feed was played
out); 1 a page could not be fetched or applied (the pages before it are kept, the next
run resumes there); 2 usage error (no credentials, bad flags); 3 internal error.

Options)";
  ExchangeFlags flags;
  std::string bank_dir;
  bool dry_run = false, from_start = false;
  int64_t max_pages = 0, page_size = 0;
  po::options_description visible(kHelp);
  visible.add_options()("help,h", "show this help")("bank", po::value(&bank_dir),
                                                    "the bank to keep current (required)")(
      "dry-run", po::bool_switch(&dry_run), "fetch and compare, change nothing (the checkpoint neither)")(
      "from-start", po::bool_switch(&from_start), "ignore the stored checkpoint: read the whole list again")(
      "max-pages", po::value(&max_pages), "stop after N pages (0: until the list is played out)")(
      "page-size", po::value(&page_size), "records per page to ask for (0: the exchange's default here)");
  add_exchange_flags(visible, flags);
  std::vector<std::string> positional;
  if (auto rc = parse_command_line(argc, argv, visible, positional, "fetch")) return *rc;
  if (bank_dir.empty()) return usage_error("fetch", "--bank is required");
  if (max_pages < 0 || page_size < 0) return usage_error("fetch", "--max-pages and --page-size must be >= 0");
  auto settings = settings_from(positional, flags);
  if (!settings) return usage_error("fetch", settings.status().to_string());
  if (page_size > 0) settings->page_size = page_size;
  BankOptions bank_options;
  bank_options.load_index = false;  // fetch writes; nothing here looks up
  bank_options.background_merge = false;
  auto bank = Bank::open(bank_dir, bank_options);
  if (!bank) {
    std::fprintf(stderr, "vhm fetch: error: %s\n", bank.status().to_string().c_str());
    return kExitInputFailed;
  }
  const bool progress = isatty(STDERR_FILENO);
  FetchOptions options;
  options.dry_run = dry_run;
  options.from_start = from_start;
  options.max_pages = max_pages;
  if (progress)
    options.on_page = [](const FetchSummary& s) {
      std::fprintf(stderr, "\r\033[Kvhm fetch %s: page %s, %s records: +%s added, %s updated, -%s removed",
                   s.exchange.c_str(), with_commas(s.pages).c_str(), with_commas(s.records).c_str(),
                   with_commas(s.added).c_str(), with_commas(s.updated).c_str(), with_commas(s.removed).c_str());
    };
  const FetchSummary summary = fetch_once(**bank, *settings, options);
  if (progress && summary.pages > 0) std::fputs("\r\033[K", stderr);
  for (const std::string& e : summary.errors) std::fprintf(stderr, "vhm fetch: error: %s\n", e.c_str());
  std::cout << json_text(fetch_summary_json(summary)) << std::endl;
  if (summary.ok()) return kExitOk;
  // Missing credentials and the like stop the run before anything is sent.
  if (summary.pages == 0 && summary.http_requests == 0) return kExitUsage;
  return kExitInputFailed;
}

int cmd_feedback(int argc, char** argv) {
  constexpr const char* kHelp =
      R"(Usage: vhm feedback EXCHANGE --outcome OUTCOME (--hash VALUE | --external-id ID) [OPTIONS]

Tells the exchange what the platform did about a matched hash, closing the loop from
a victim's report to the platform's action. OUTCOME is pending-review (a match is
being reviewed), blocked (reviewed: the content is what the list says, and was
blocked) or not-blocked (reviewed: it was not).
  stopncii        SubmitFeedback: PendingReview, Blocked, NotBlocked (and --tag tags);
                  needs VHM_STOPNCII_SUBSCRIPTION_KEY and VHM_STOPNCII_FEEDBACK_KEY
  threatexchange  a reaction on the descriptor: SAW_THIS_TOO, HELPFUL, NOT_HELPFUL;
                  needs VHM_THREATEXCHANGE_TOKEN
The hash is named as the exchange sent it (--hash) or by the bank content's external
id as vhm fetch stored it (--external-id stopncii:<hash>, te:<id>; with --bank for a
StopNCII VideoTMK, whose value the bank holds).

Examples:
  vhm feedback stopncii --outcome blocked --external-id stopncii:9f2e...c1 --tag reviewed
  vhm feedback threatexchange --outcome not-blocked --external-id te:3058061737574159

Exit codes: 0 sent and accepted; 1 the exchange refused it or could not be reached;
2 usage error; 3 internal error.

Options)";
  ExchangeFlags flags;
  std::string outcome_name, hash, external_id, bank_dir;
  std::vector<std::string> tags;
  po::options_description visible(kHelp);
  visible.add_options()("help,h", "show this help")("outcome", po::value(&outcome_name),
                                                    "pending-review, blocked or not-blocked (required)")(
      "hash", po::value(&hash), "the hash value as the exchange sent it (stopncii)")(
      "external-id", po::value(&external_id), "the bank content's external id (stopncii:<hash>, te:<id>)")(
      "bank", po::value(&bank_dir), "the bank holding --external-id (needed for a StopNCII VideoTMK)")(
      "tag", po::value(&tags)->composing(), "stopncii: a tag sent with the feedback (repeatable)");
  add_exchange_flags(visible, flags);
  std::vector<std::string> positional;
  if (auto rc = parse_command_line(argc, argv, visible, positional, "feedback")) return *rc;
  const auto outcome = parse_feedback_outcome(outcome_name);
  if (!outcome) return usage_error("feedback", "--outcome must be pending-review, blocked or not-blocked");
  if (hash.empty() == external_id.empty()) return usage_error("feedback", "give one of --hash and --external-id");
  auto settings = settings_from(positional, flags);
  if (!settings) return usage_error("feedback", settings.status().to_string());
  FeedbackRequest request;
  request.outcome = *outcome;
  request.tags = tags;
  request.hash_value = hash;
  const std::string own_prefix = settings->kind == ExchangeKind::kStopNcii ? "stopncii:" : "te:";
  if (!external_id.empty()) {
    if (external_id.rfind(own_prefix, 0) != 0)
      return usage_error("feedback", "--external-id of this exchange starts with '" + own_prefix + "'");
    const std::string rest = external_id.substr(own_prefix.size());
    if (settings->kind == ExchangeKind::kThreatExchange) {
      request.item_id = rest;
    } else if (rest.rfind("tmk:", 0) != 0) {
      request.hash_value = rest;
    } else {
      // A VideoTMK's id is a digest of its value: the value itself is the bank's.
      if (bank_dir.empty()) return usage_error("feedback", "a StopNCII VideoTMK's value is in the bank: add --bank");
      BankOptions bank_options;
      bank_options.load_index = false;
      bank_options.background_merge = false;
      auto bank = Bank::open(bank_dir, bank_options);
      if (!bank) return usage_error("feedback", bank.status().to_string());
      auto content = (*bank)->content(ContentRef::by_external_id(external_id));
      if (!content) return usage_error("feedback", content.status().to_string());
      auto signals = (*bank)->content_signals(content->id);
      if (!signals) return usage_error("feedback", signals.status().to_string());
      for (const ContentSignal& s : *signals)
        if (s.signal == SignalId::kTmk) {
          ExchangeRecord r;
          r.signal = ExchangeSignal::kTmk;
          r.bytes = s.value;
          request.hash_value = te_signal_string(r);
        }
      if (request.hash_value.empty()) return usage_error("feedback", "content " + external_id + " holds no TMK");
    }
  }
  HttpClient http(settings->http);
  Status st = send_feedback(*settings, http, request);
  const nlohmann::json line = {{"exchange", exchange_kind_name(settings->kind)},
                               {"outcome", feedback_outcome_name(*outcome)},
                               {"sent", st.is_ok()},
                               {"error", st.is_ok() ? "" : st.to_string()}};
  std::cout << json_text(line) << std::endl;
  if (st.is_ok()) return kExitOk;
  std::fprintf(stderr, "vhm feedback: error: %s\n", st.to_string().c_str());
  if ((st.code() == StatusCode::kInvalidArgument || st.code() == StatusCode::kUnsupported) && http.tries() == 0)
    return kExitUsage;
  return kExitInputFailed;
}

}  // namespace vhm::cli
