// Bank::Impl: what a Bank is made of, shared by the files that implement its parts
// (as RocksDB's DBImpl is split across db_impl_*.cc):
//   bank.cpp         the facade's getters, lookup, stats
//   bank_open.cpp    create, open, crash recovery
//   bank_write.cpp   add and remove
//   bank_verify.cpp  verify
//   bank_signals.cpp whole-content signals: lookup_signals, their getters
// The store (bank_store.h) is the truth; the live index (live_index.h) what lookups
// search, derived from it.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bank/bank.h"
#include "bank/bank_store.h"
#include "bank/live_index.h"
#include "bank/signal_vector_index.h"

namespace vhm {

struct Bank::Impl {
  std::string dir;
  BankOptions options;
  std::vector<std::string> recovery_notes;  // written by open, read-only afterwards

  // Declared in this order so that the index (and its merge thread, which reads the
  // store) goes first. The Bank holds no lock of its own: the store serialises writers
  // and guards its connections, the live index its snapshot (lock order: live_index.h,
  // sqlite_store.h). A write's store locks are released before the index syncs.
  std::unique_ptr<BankStore> store;
  // One live index per signal (each holds the codes of its signal's frames); PDQ's is
  // made at open and is the only one while PDQ is the only signal.
  std::map<SignalId, std::unique_ptr<LiveIndex>> indexes;
  LiveIndex& index(SignalId signal = SignalId::kPdq) const { return *indexes.at(signal); }
  // One first-cut vector index per whole-content signal searched in two levels (TMK),
  // made at open, filled at its first lookup_signals (nothing resident before).
  std::map<SignalId, std::unique_ptr<SignalVectorIndex>> vector_indexes;

  // bank_write.cpp
  Result<std::vector<AddedContent>> add(std::span<const NewContent> contents);
  // A refusal of content `position` of an add, naming the input that carried it (file
  // and line, NewContent::origin) when known, else the bank and the content's place.
  Status content_error(const NewContent& c, size_t position, const std::string& what) const;
  Status validate(const NewContent& c, size_t position) const;
};

}  // namespace vhm
