// Making and opening a bank: the store's checks and migration, crash recovery, the
// frames checksum record brought up to date, and the index loaded (or built).
#include <filesystem>

#include <spdlog/spdlog.h>

#include "bank/bank_impl.h"
#include "bank/sqlite_store.h"
#include "index/hash_index.h"
#include "index/vector_index.h"
#include "signal/signal_registry.h"

namespace vhm {

namespace fs = std::filesystem;

namespace {

// recovery_notes() for what a crash left behind, as docs/BANK.md words it.
void note_recovery(const RecoveryReport& report, std::vector<std::string>& notes) {
  for (const InterruptedAdd& a : report.interrupted)
    notes.push_back("an add started at " + a.started_at + " by process " + std::to_string(a.pid) + " (" +
                    std::to_string(a.contents) + " contents, " + std::to_string(a.frames) +
                    " frames: " + a.description + ") did not finish; SQLite rolled it back, none of it is in the bank");
  if (report.interrupted.empty()) return;
  if (report.storage.ok) notes.push_back("the bank is consistent after the interrupted add (quick_check ok)");
  else notes.push_back("quick_check after the interrupted add: " + report.storage.verdict + " (run 'vhm bank verify')");
}

LiveIndexOptions live_index_options(const BankOptions& options, std::string spec) {
  LiveIndexOptions o;
  o.spec = std::move(spec);
  o.save_index = options.save_index;
  o.background_merge = options.background_merge;
  o.merge_frames = options.merge_frames;
  o.search_threads = options.search_threads;
  o.cache_lock_timeout_ms = options.busy_timeout_ms;
  return o;
}

}  // namespace

Bank::Bank(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Bank::~Bank() = default;

Status Bank::create(const std::string& dir, const BankCreateOptions& options) {
  if (dir.empty()) return {StatusCode::kInvalidArgument, "no bank directory given"};
  {
    auto probe = builtin_signals().pdq().make_hamming_index(options.index_spec);
    if (!probe) return probe.status().with_subject(dir);
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return {StatusCode::kIoError, "cannot create the directory: " + ec.message(), dir};
  return SqliteBankStore::create(dir, options.index_spec);
}

Result<std::unique_ptr<Bank>> Bank::open(const std::string& dir, const BankOptions& options) {
  if (dir.empty()) return Status(StatusCode::kInvalidArgument, "no bank directory given");
  // Refused here, not at the first TMK lookup; the dimension (PDQF's) does not decide it.
  if (auto probe = make_vector_index(options.tmk_index_spec, 256); !probe)
    return Status(StatusCode::kInvalidArgument, "TMK index: " + probe.status().message(), dir);
  auto store = SqliteBankStore::open(dir, {.busy_timeout_ms = options.busy_timeout_ms});
  if (!store) return store.status();
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->options = options;
  if (const std::string& migrated = (*store)->migration_note(); !migrated.empty()) {
    spdlog::info("{}: {}", dir, migrated);
    impl->recovery_notes.push_back(migrated);
  }
  impl->store = std::move(store).value();
  std::string spec;
  {
    auto reader = impl->store->begin_read(BankStore::ReadKind::kShort);
    if (!reader) return reader.status();
    auto bank_spec = (*reader)->meta_value("index_spec");
    if (!bank_spec) return bank_spec.status();
    spec = options.index_spec.empty() ? *bank_spec : options.index_spec;
  }
  auto recovered = impl->store->recover_interrupted_adds();
  if (!recovered) return recovered.status();
  if (!recovered->interrupted.empty()) {
    note_recovery(*recovered, impl->recovery_notes);
    for (const auto& n : impl->recovery_notes) spdlog::warn("{}: {}", dir, n);
  }
  // A bank last written by an older vhm (or never since this one recorded it) gets its
  // frames checksum now, so its index cache can be proved (frames_checksum.h).
  if (auto current = impl->store->refresh_stale_frames_checksum(); !current)
    spdlog::warn("{}: frames checksum not recorded: {}", dir, current.status().to_string());
  impl->indexes[SignalId::kPdq] =
      std::make_unique<LiveIndex>(*impl->store, live_index_options(options, std::move(spec)));
  for (const SignalType* s : builtin_signals().all())
    if (s->index_family() == IndexFamily::kTmkTwoLevel)
      impl->vector_indexes[s->id()] =
          std::make_unique<SignalVectorIndex>(*impl->store, s->id(), options.tmk_index_spec);
  std::unique_ptr<Bank> bank(new Bank(std::move(impl)));
  if (options.load_index) VHM_RETURN_IF_ERROR(bank->impl_->index().ensure_loaded());
  return bank;
}

}  // namespace vhm
