// make_hash_index / load_hash_index: factory strings to HashIndex implementations.
#include <charconv>
#include <optional>
#include <string_view>

#include "index/hash_index.h"
#include "index/index_faiss_flat.h"
#include "index/index_faiss_ivf.h"
#include "index/index_faiss_mih.h"
#include "index/index_file.h"
#include "index/index_flat.h"
#include "index/index_gpu_flat.h"
#include "index/index_mih.h"

namespace vhm {
namespace {

std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// A parsed factory string.
struct Spec {
  enum Kind { kFlat, kFaissFlat, kFaissMih, kMih, kIvf, kGpuFlat } kind = kFlat;
  int faiss_bits = 16;
  MihLayout mih;
  int nlist = 0, nprobe = 16;
};

Result<Spec> parse_spec(const std::string& text) {
  const Status bad(StatusCode::kInvalidArgument,
                   "unknown index spec '" + text +
                       "' (flat, faiss-flat, faiss-mih[:BITS], mih[:TABLESxBITS], ivf[:NLIST][,nprobe=P], gpu-flat)");
  const std::string_view s = text;
  const size_t colon = s.find(':');
  const std::string_view name = s.substr(0, colon);
  const std::optional<std::string_view> args =
      colon == std::string_view::npos ? std::nullopt : std::optional(s.substr(colon + 1));
  Spec spec;
  if (name == "flat" || name == "faiss-flat" || name == "gpu-flat") {
    if (args) return bad;
    spec.kind = name == "flat" ? Spec::kFlat : name == "faiss-flat" ? Spec::kFaissFlat : Spec::kGpuFlat;
    return spec;
  }
  if (name == "faiss-mih") {
    spec.kind = Spec::kFaissMih;
    if (args) {
      const auto bits = parse_int(*args);
      if (!bits || *bits < 4 || *bits > 32)
        return Status(StatusCode::kInvalidArgument, "faiss-mih:BITS needs 4 <= BITS <= 32, got '" + text + "'");
      spec.faiss_bits = *bits;
    }
    return spec;
  }
  if (name == "mih") {
    spec.kind = Spec::kMih;
    if (args) {
      const size_t x = args->find('x');
      const auto t = x == std::string_view::npos ? std::nullopt : parse_int(args->substr(0, x));
      const auto b = x == std::string_view::npos ? std::nullopt : parse_int(args->substr(x + 1));
      if (!t || !b || *t < 1 || *b < 1 || *b > 28 || *t * *b > 256)
        return Status(StatusCode::kInvalidArgument,
                      "mih:TABLESxBITS needs TABLES*BITS <= 256 and 1 <= BITS <= 28, got '" + text + "'");
      spec.mih = {*t, *b};
    }
    return spec;
  }
  if (name == "ivf") {
    spec.kind = Spec::kIvf;
    if (!args) return spec;
    std::string_view rest = *args;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      std::optional<int> v;
      if (item.starts_with("nprobe=")) {
        v = parse_int(item.substr(7));
        if (!v || *v < 1) return Status(StatusCode::kInvalidArgument, "ivf: bad nprobe in '" + text + "'");
        spec.nprobe = *v;
      } else {
        v = parse_int(item);
        if (!v || *v < 1 || spec.nlist) return Status(StatusCode::kInvalidArgument, "ivf: bad NLIST in '" + text + "'");
        spec.nlist = *v;
      }
    }
    return spec;
  }
  return bad;
}

bool is_faiss(Spec::Kind k) { return k == Spec::kFaissFlat || k == Spec::kFaissMih || k == Spec::kIvf; }

}  // namespace

Result<std::unique_ptr<HashIndex>> make_hash_index(const std::string& text) {
  auto spec = parse_spec(text);
  if (!spec) return spec.status();
  switch (spec->kind) {
    case Spec::kFlat:
      return std::unique_ptr<HashIndex>(std::make_unique<IndexFlat>());
    case Spec::kFaissFlat:
      return std::unique_ptr<HashIndex>(std::make_unique<IndexFaissFlat>());
    case Spec::kFaissMih:
      return std::unique_ptr<HashIndex>(std::make_unique<IndexFaissMih>(spec->faiss_bits));
    case Spec::kMih:
      return std::unique_ptr<HashIndex>(std::make_unique<IndexMih>(spec->mih));
    case Spec::kIvf:
      return std::unique_ptr<HashIndex>(std::make_unique<IndexFaissIvf>(spec->nlist, spec->nprobe));
    case Spec::kGpuFlat: {
      auto gpu = IndexGpuFlat::create();
      if (!gpu) return gpu.status();
      return std::unique_ptr<HashIndex>(std::move(gpu).value());
    }
  }
  return Status(StatusCode::kInternal, "unhandled index kind");
}

Result<std::unique_ptr<HashIndex>> load_hash_index(const std::string& path) {
  auto opened = index_file::Reader::open(path);
  if (!opened) return opened.status();
  index_file::Reader& r = **opened;
  auto spec = parse_spec(r.header().spec);
  if (!spec) return r.corrupt("unknown index spec '" + r.header().spec + "'");
  if (is_faiss(spec->kind)) VHM_RETURN_IF_ERROR(r.verify_payload());
  auto up = [](auto result) -> Result<std::unique_ptr<HashIndex>> {
    if (!result) return result.status();
    return std::unique_ptr<HashIndex>(std::move(result).value());
  };
  switch (spec->kind) {
    case Spec::kFlat:
      return up(IndexFlat::load(r));
    case Spec::kFaissFlat:
      return up(IndexFaissFlat::load(r));
    case Spec::kFaissMih:
      return up(IndexFaissMih::load(r, spec->faiss_bits));
    case Spec::kMih:
      return up(IndexMih::load(r, spec->mih));
    case Spec::kIvf:
      return up(IndexFaissIvf::load(r, spec->nlist, spec->nprobe));
    case Spec::kGpuFlat:
      return up(IndexGpuFlat::load(r));
  }
  return Status(StatusCode::kInternal, "unhandled index kind");
}

}  // namespace vhm
