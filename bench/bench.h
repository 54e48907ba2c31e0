// `vhm bench`: one command, every knob a flag, every figure printed (after RocksDB's
// db_bench). Each workload is a function taking its own argv.
#pragma once

namespace vhm::bench {

int run_hash(int argc, char** argv);  // PDQ time per frame: reference, CPU, GPU

}  // namespace vhm::bench
