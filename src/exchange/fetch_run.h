// vhm fetch's loop: an exchange's feed applied to a bank page by page, each page's
// changes committed together with the checkpoint after it (Bank::apply_changes), so a
// run killed at any point resumes where the last commit left it with nothing lost and
// nothing applied twice.
//
// What a page's records do (each external id's last entry in the page counts; the
// records of one entry, as NCMEC's MD5 and TMK_PDQF of one video, are one content):
//   new id                      added
//   held, and the same          unchanged (same kind, label, frames and signals)
//   held, and different         updated: the old content tombstoned, the new one added
//   withdrawn, held             removed (tombstoned: the next lookup no longer matches it)
//   withdrawn, not held         counted as deletions_not_held
// Records of a signal type vhm does not take are counted per type (skipped); malformed
// records are left out and counted (bad_records) without stopping the feed; a page that
// cannot be fetched or read stops the run before it, its error in `errors`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bank/bank.h"
#include "exchange/exchange_feed.h"

namespace vhm {

struct FetchSummary {
  std::string exchange;
  std::string checkpoint_name;
  bool dry_run = false;
  int64_t pages = 0;
  int64_t records = 0;  // records of the signal types vhm takes, withdrawals included
  int64_t added = 0;
  int64_t updated = 0;
  int64_t removed = 0;
  int64_t unchanged = 0;
  int64_t deletions_not_held = 0;
  std::map<std::string, int64_t> skipped;      // records of other signal types, per type
  int64_t bad_records = 0;                     // malformed records left out
  std::vector<std::string> bad_record_errors;  // the first 20 of their errors
  std::vector<std::string> errors;             // what stopped the run; empty when it did not fail
  bool complete = false;                       // the feed was played out
  std::string checkpoint;                      // where the next run starts
  int64_t http_requests = 0;
  int64_t http_retries = 0;
  double seconds = 0;
  bool ok() const { return errors.empty(); }
};

struct FetchOptions {
  bool dry_run = false;     // read and compare, change nothing (the checkpoint neither)
  bool from_start = false;  // begin at the feed's start instead of the stored checkpoint
  int64_t max_pages = 0;    // stop after this many pages (0: until played out)
  // Called after each page with the totals so far (a progress line).
  std::function<void(const FetchSummary&)> on_page;
  // Asked between pages: true stops the run there (a daemon shutting down).
  std::function<bool()> stop_requested;
};

// Runs the feed against the bank. `http` is the feed's client, for the request counts.
FetchSummary run_fetch(Bank& bank, ExchangeFeed& feed, const ExchangeSettings& settings, HttpClient& http,
                       const FetchOptions& options = {});

// run_fetch with a client and feed of its own made from the settings (vhm fetch, and
// vhm serve --fetch-every on its schedule); a feed that cannot be made (no credentials)
// is the summary's one error.
FetchSummary fetch_once(Bank& bank, const ExchangeSettings& settings, const FetchOptions& options = {});

// The summary as one JSON object (the line vhm fetch prints last).
nlohmann::json fetch_summary_json(const FetchSummary& summary);

}  // namespace vhm
