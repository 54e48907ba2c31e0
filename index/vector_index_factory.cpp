// make_vector_index: the factory strings of vector_index.h.
//   flat-ip                       exact (IndexFlatIP)
//   hnsw<M>[,ef=E][,efc=C]        IndexHNSWFlat by inner product (M 4..256, E and C 1..65536)
//   ivf<NLIST>[,nprobe=P]         IndexIVFFlat by inner product (NLIST 1..1048576, P >= 1)
#include <charconv>
#include <optional>
#include <string_view>

#include "index/index_faiss_flat_ip.h"
#include "index/index_faiss_hnsw_ip.h"
#include "index/index_faiss_ivf_ip.h"

namespace vhm {

namespace {

// A whole decimal number in [lo, hi], or nullopt.
std::optional<int> number(std::string_view text, int lo, int hi) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

Status bad(const std::string& spec, const std::string& why) {
  return {StatusCode::kInvalidArgument,
          "vector index '" + spec + "': " + why + " (known: flat-ip, hnsw<M>[,ef=E][,efc=C], ivf<NLIST>[,nprobe=P])"};
}

}  // namespace

Result<std::unique_ptr<VectorIndex>> make_vector_index(const std::string& spec, int dimension) {
  if (dimension < 1) return Status(StatusCode::kInvalidArgument, "vector index: dimension must be at least 1");
  if (spec == "flat-ip") return std::unique_ptr<VectorIndex>(std::make_unique<IndexFaissFlatIp>(dimension));
  // "<name><number>" then ",key=value" options.
  std::string_view rest = spec;
  const size_t comma = rest.find(',');
  const std::string_view head = rest.substr(0, comma);
  rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  std::string_view name;
  if (head.starts_with("hnsw")) name = "hnsw";
  else if (head.starts_with("ivf")) name = "ivf";
  else return bad(spec, "unknown kind");
  const auto size = name == "hnsw" ? number(head.substr(4), 4, 256) : number(head.substr(3), 1, 1 << 20);
  if (!size) return bad(spec, name == "hnsw" ? "M must be a number in 4..256" : "NLIST must be a number in 1..1048576");
  int ef = 128, efc = 40, nprobe = 16;
  bool seen_ef = false, seen_efc = false, seen_nprobe = false;
  while (comma != std::string_view::npos) {
    const size_t next = rest.find(',');
    const std::string_view option = rest.substr(0, next);
    const size_t eq = option.find('=');
    if (eq == std::string_view::npos) return bad(spec, "an option is key=value");
    const std::string_view key = option.substr(0, eq), value = option.substr(eq + 1);
    const auto v = number(value, 1, 65536);
    if (!v) return bad(spec, std::string(key) + " must be a number in 1..65536");
    if (name == "hnsw" && key == "ef" && !seen_ef) ef = *v, seen_ef = true;
    else if (name == "hnsw" && key == "efc" && !seen_efc) efc = *v, seen_efc = true;
    else if (name == "ivf" && key == "nprobe" && !seen_nprobe) nprobe = *v, seen_nprobe = true;
    else return bad(spec, "unknown or repeated option '" + std::string(key) + "'");
    if (next == std::string_view::npos) break;
    rest = rest.substr(next + 1);
  }
  if (name == "hnsw")
    return std::unique_ptr<VectorIndex>(std::make_unique<IndexFaissHnswIp>(dimension, *size, ef, efc));
  return std::unique_ptr<VectorIndex>(std::make_unique<IndexFaissIvfIp>(dimension, *size, nprobe));
}

}  // namespace vhm
