// run_fetch (fetch_run.h): plan each page against what the bank holds, then commit the
// plan with the checkpoint after the page.
#include "exchange/fetch_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <utility>

#include "bank/importers.h"

namespace vhm {
namespace {

constexpr size_t kBadRecordErrorsKept = 20;

// Consecutive records of one external id: one entry of the exchange (a video's
// fingerprints); a later entry of the id replaces an earlier one.
struct Entry {
  std::vector<ExchangeRecord> records;
  bool deleted() const { return records.size() == 1 && records.front().deleted; }
};

std::vector<Entry> last_entry_per_id(std::vector<ExchangeRecord>& records, FetchSummary& summary) {
  std::vector<Entry> entries;
  std::map<std::string, size_t> entry_of_id;  // the id's latest entry
  for (ExchangeRecord& r : records) {
    if (r.external_id.empty()) {
      ++summary.bad_records;
      if (summary.bad_record_errors.size() < kBadRecordErrorsKept)
        summary.bad_record_errors.push_back("a record without an id (nothing could withdraw it) left out");
      continue;
    }
    const bool continues = !entries.empty() && !r.deleted && !entries.back().records.front().deleted &&
                           entries.back().records.front().external_id == r.external_id;
    if (continues) {
      entries.back().records.push_back(std::move(r));
      continue;
    }
    entry_of_id[r.external_id] = entries.size();
    entries.emplace_back().records.push_back(std::move(r));
  }
  std::vector<Entry> last;
  for (size_t i = 0; i < entries.size(); ++i)
    if (entry_of_id[entries[i].records.front().external_id] == i) last.push_back(std::move(entries[i]));
  return last;
}

using SignalSet = std::set<std::pair<SignalId, std::vector<uint8_t>>>;

SignalSet signal_set(std::span<const ContentSignal> signals) {
  SignalSet s;
  for (const ContentSignal& v : signals) s.emplace(v.signal, v.value);
  return s;
}

// Frames as the store keeps them: the first of each exact-duplicate hash.
std::vector<const FrameHash*> distinct_frames(const std::vector<FrameHash>& frames) {
  std::vector<const FrameHash*> kept;
  std::set<Hash256> seen;
  for (const FrameHash& f : frames)
    if (seen.insert(f.hash).second) kept.push_back(&f);
  return kept;
}

bool same_content(const ContentInfo& held, const std::vector<FrameHash>& held_frames,
                  const std::vector<ContentSignal>& held_signals, const NewContent& fresh) {
  if (held.meta.kind != fresh.meta.kind || held.meta.label != fresh.meta.label) return false;
  const std::vector<const FrameHash*> frames = distinct_frames(fresh.frames);
  if (frames.size() != held_frames.size()) return false;
  for (size_t i = 0; i < frames.size(); ++i)
    if (frames[i]->hash != held_frames[i].hash || frames[i]->quality != held_frames[i].quality ||
        frames[i]->index != held_frames[i].index)
      return false;
  return signal_set(held_signals) == signal_set(fresh.signals);
}

struct PagePlan {
  BankChanges changes;
  int64_t added = 0, updated = 0, removed = 0, unchanged = 0, deletions_not_held = 0;
};

Result<PagePlan> plan_page(const Bank& bank, FeedPage& page, const std::string& exchange, FetchSummary& summary) {
  PagePlan plan;
  plan.changes.remove_reason = "withdrawn by " + exchange;
  std::vector<Entry> entries = last_entry_per_id(page.list.records, summary);
  std::vector<std::string> ids;
  for (const Entry& entry : entries) ids.push_back(entry.records.front().external_id);
  // One snapshot for the whole page (a read per record costs more than the page's commit).
  auto held_contents = bank.live_contents(ids);
  if (!held_contents) return held_contents.status();
  for (size_t i = 0; i < entries.size(); ++i) {
    Entry& entry = entries[i];
    const std::optional<Bank::HeldContent>& held = (*held_contents)[i];
    summary.records += static_cast<int64_t>(entry.records.size());
    if (entry.deleted()) {
      if (held) {
        plan.changes.remove_external_ids.push_back(ids[i]);
        ++plan.removed;
      } else {
        ++plan.deletions_not_held;
      }
      continue;
    }
    // An image entry is one PDQ hash: the last one given.
    if (entry.records.back().signal == ExchangeSignal::kPdq)
      entry.records.erase(entry.records.begin(), entry.records.end() - 1);
    ExchangeList one;
    one.records = std::move(entry.records);
    ImportResult made = exchange_list_to_import(std::move(one), page.name, ImportFormat::kAuto);
    if (made.contents.size() != 1) continue;  // nothing this bank stores
    NewContent content = std::move(made.contents.front());
    content.meta.source = "vhm fetch " + exchange;
    content.origin = {};
    if (held) {
      if (same_content(held->info, held->frames, held->signals, content)) {
        ++plan.unchanged;
        continue;
      }
      plan.changes.remove_external_ids.push_back(ids[i]);
      ++plan.updated;
    } else {
      ++plan.added;
    }
    plan.changes.add.push_back(std::move(content));
  }
  return plan;
}

void count_skips(const ExchangeList& list, FetchSummary& summary) {
  for (const auto& [type, n] : list.unknown_by_type) summary.skipped[type] += n;
  summary.bad_records += static_cast<int64_t>(list.bad_records.size());
  for (const std::string& e : list.bad_records)
    if (summary.bad_record_errors.size() < kBadRecordErrorsKept) summary.bad_record_errors.push_back(e);
}

}  // namespace

FetchSummary run_fetch(Bank& bank, ExchangeFeed& feed, const ExchangeSettings& settings, HttpClient& http,
                       const FetchOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  FetchSummary summary;
  summary.exchange = exchange_kind_name(settings.kind);
  summary.checkpoint_name = settings.checkpoint_name();
  summary.dry_run = options.dry_run;
  const int64_t tries_before = http.tries(), retries_before = http.retries();
  const auto finish = [&] {
    summary.http_requests = http.tries() - tries_before;
    summary.http_retries = http.retries() - retries_before;
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return summary;
  };
  // What the bank holds now: each page commits only over it (BankChanges::expected_checkpoint).
  std::optional<std::string> stored_checkpoint;
  {
    auto stored = bank.checkpoint(summary.checkpoint_name);
    if (!stored) {
      summary.errors.push_back(stored.status().to_string());
      return finish();
    }
    stored_checkpoint = *stored;
    if (!options.from_start) summary.checkpoint = stored->value_or("");
  }
  while (true) {
    if (options.stop_requested && options.stop_requested()) break;
    if (options.max_pages > 0 && summary.pages >= options.max_pages) break;
    auto page = feed.fetch_page(summary.checkpoint);
    if (!page) {
      summary.errors.push_back(page.status().to_string());
      break;
    }
    // A page that fails counts for nothing: the next run reads it again.
    const FetchSummary before = summary;
    const auto fail = [&](const std::string& error) {
      summary = before;
      summary.errors.push_back(error);
    };
    count_skips(page->list, summary);
    auto plan = plan_page(bank, *page, summary.exchange, summary);
    if (!plan) {
      fail(plan.status().to_string());
      break;
    }
    if (!page->last && page->checkpoint_after == summary.checkpoint) {
      fail(page->name + ": the feed gave the same place again (it would never end)");
      break;
    }
    if (!options.dry_run) {
      plan->changes.checkpoint_name = summary.checkpoint_name;
      plan->changes.checkpoint_value = page->checkpoint_after;
      plan->changes.expected_checkpoint = stored_checkpoint;
      auto applied = bank.apply_changes(plan->changes);
      if (!applied) {
        fail(page->name + ": " + applied.status().to_string());
        break;
      }
      if (applied->outcome == ChangesOutcome::kDuplicateExternalId) {
        fail(page->name + ": external id '" + plan->changes.add[applied->refused].meta.external_id +
             "' is already content " + std::to_string(applied->existing_content_id) +
             " (added meanwhile by another writer); nothing of this page was applied");
        break;
      }
      if (applied->outcome == ChangesOutcome::kCheckpointMoved) {
        fail(page->name + ": another run of " + summary.checkpoint_name +
             " moved its checkpoint meanwhile (one run of a feed at a time); nothing of this page was applied");
        break;
      }
      stored_checkpoint = page->checkpoint_after;
    }
    summary.pages += 1;
    summary.added += plan->added;
    summary.updated += plan->updated;
    summary.removed += plan->removed;
    summary.unchanged += plan->unchanged;
    summary.deletions_not_held += plan->deletions_not_held;
    summary.checkpoint = page->checkpoint_after;
    if (options.on_page) options.on_page(summary);
    if (page->last) {
      summary.complete = true;
      break;
    }
  }
  return finish();
}

FetchSummary fetch_once(Bank& bank, const ExchangeSettings& settings, const FetchOptions& options) {
  HttpClient http(settings.http);
  auto feed = make_exchange_feed(settings, http);
  if (!feed) {
    FetchSummary summary;
    summary.exchange = exchange_kind_name(settings.kind);
    summary.checkpoint_name = settings.checkpoint_name();
    summary.dry_run = options.dry_run;
    summary.errors.push_back(feed.status().to_string());
    return summary;
  }
  return run_fetch(bank, **feed, settings, http, options);
}

nlohmann::json fetch_summary_json(const FetchSummary& s) {
  nlohmann::json j = {{"exchange", s.exchange},
                      {"checkpoint_name", s.checkpoint_name},
                      {"dry_run", s.dry_run},
                      {"complete", s.complete},
                      {"pages", s.pages},
                      {"records", s.records},
                      {"added", s.added},
                      {"updated", s.updated},
                      {"removed", s.removed},
                      {"unchanged", s.unchanged},
                      {"deletions_not_held", s.deletions_not_held},
                      {"skipped", s.skipped},
                      {"bad_records", s.bad_records},
                      {"bad_record_errors", s.bad_record_errors},
                      {"errors", s.errors},
                      {"http_requests", s.http_requests},
                      {"http_retries", s.http_retries},
                      {"seconds", std::round(s.seconds * 1000) / 1000}};
  return j;
}

}  // namespace vhm
