// A bank of a few made-up contents in the fuzz target's scratch directory, for the
// targets that need one (the daemon, Redis jobs, the index cache's metadata). No
// corpus: the same hashes on every run, so seeds that name them stay valid.
#pragma once

#include <string>
#include <vector>

#include "bank/bank.h"

namespace vhm::fuzz {

struct FuzzBank {
  std::string dir;
  std::vector<NewContent> contents;  // as added: contents[i] has id i + 1
};

// Creates <scratch>/NAME as a bank with main index `spec`, adds the contents in one
// add, and merges so that the index cache (index.vhmidx + .meta) is on disk. Aborts
// (fail()) when any step fails: the target could test nothing.
FuzzBank make_fuzz_bank(const std::string& name, const std::string& spec = "mih");

}  // namespace vhm::fuzz
