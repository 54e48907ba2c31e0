// A bank's index.vhmidx.meta (bank/bank.h): the JSON that says what the index cache
// reflects, read by Bank::open before it trusts the cache. It is a file anyone who can
// write the bank directory can change, and a restore from backup can leave behind.
//
// Each input becomes the meta file of a bank made here (three contents, its cache
// intact), which is then opened, read and searched.
//
// Oracle: whatever the meta says, the bank answers rightly: every stored frame is found
// at distance 0 in its own content, and its stats read. A meta that does not fit the
// cache must make the bank rebuild its index, never fail to open or answer wrongly.
//
// Seeds: the bank's own meta file, as Bank wrote it.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/target_bank.h"
#include "fuzz/target_support.h"

namespace {

using namespace vhm;

fuzz::FuzzBank* g_bank = nullptr;
std::string* g_index_bytes = nullptr;  // the cache as made, restored before every input

std::string path_in_bank(const char* name) { return (std::filesystem::path(g_bank->dir) / name).string(); }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_logs();
  g_bank = new fuzz::FuzzBank(fuzz::make_fuzz_bank("bank"));
  g_index_bytes = new std::string(fuzz::read_file(path_in_bank(kBankIndexFile)));
  fuzz::export_seeds({{"meta", fuzz::read_file(path_in_bank(kBankIndexMetaFile))}});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::write_file(path_in_bank(kBankIndexFile), *g_index_bytes);
  fuzz::write_file(path_in_bank(kBankIndexMetaFile), fuzz::as_text(data, size));
  BankOptions options;
  options.save_index = false;  // the next input must find the cache as made
  options.background_merge = false;
  options.search_threads = 1;
  auto bank = Bank::open(g_bank->dir, options);
  if (!bank) fuzz::fail("the bank does not open: " + bank.status().to_string());

  std::vector<Hash256> queries;
  std::vector<int64_t> owner;
  for (size_t c = 0; c < g_bank->contents.size(); ++c)
    for (const FrameHash& f : g_bank->contents[c].frames) {
      queries.push_back(f.hash);
      owner.push_back(static_cast<int64_t>(c) + 1);
    }
  auto hits = (*bank)->lookup(queries, 0);
  if (!hits) fuzz::fail("lookup failed: " + hits.status().to_string());
  std::vector<bool> found(queries.size(), false);
  for (const BankHit& h : *hits)
    if (h.query < queries.size() && h.content_id == owner[h.query]) found[h.query] = true;
  for (size_t q = 0; q < queries.size(); ++q)
    if (!found[q])
      fuzz::fail("frame " + std::to_string(q) + " of content " + std::to_string(owner[q]) +
                 " not found; index: " + (*bank)->index_info().origin);
  if (auto st = (*bank)->stats(); !st) fuzz::fail("stats failed: " + st.status().to_string());
  return 0;
}
