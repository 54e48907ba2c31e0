// vhm hash: PDQ hashes of still images, printed as the reference photo tool prints them.
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "decode/image_decoder.h"
#include "hash/pdq.h"
#include "hash/pdq_hasher.h"

namespace po = boost::program_options;

namespace vhm::cli {
namespace {

constexpr const char* kHashHelp = R"(Usage: vhm hash [OPTIONS] IMAGE...

Computes the PDQ hash of each image, exactly as Meta's reference photo hasher does:
JPEG and PNG are decoded with libjpeg and libpng as the reference decodes them, images
larger than 512 pixels on a side are first resized to 512x512 (nearest neighbour), and
the hash is bit-for-bit the reference's. WebP, TIFF, BMP, GIF and other formats are
decoded with FFmpeg; alpha is dropped and CMYK converted to RGB (see docs/PDQ.md).
"-" reads one image from stdin.

Output (default, the reference's format):  pdq_hex,quality,path
With --dihedral:  8 hashes (original, rotate90, rotate180, rotate270, flipx, flipy,
                  flipplus1, flipminus1),quality,path
With --format jsonl: one JSON object per image; failures are {"path":..,"error":..}.

Examples:
  vhm hash photo.jpg
  vhm hash --dihedral photo.jpg
  vhm hash --format jsonl a.jpg b.png c.webp > hashes.jsonl
  cat photo.jpg | vhm hash -

Exit codes: 0 all images hashed, 1 some failed (each named on stderr, the rest were
hashed), 2 usage error.

Options)";

struct HashOptions {
  std::vector<std::string> inputs;
  std::string format = "csv";
  bool dihedral = false;
  bool no_resize = false;
  std::string device = "cpu";
};

}  // namespace

int cmd_hash(int argc, char** argv) {
  HashOptions opt;
  po::options_description visible(kHashHelp);
  visible.add_options()
      ("help,h", "show this help")
      ("format,f", po::value(&opt.format)->default_value(opt.format), "output: csv (the reference's lines) or jsonl")
      ("dihedral,d", po::bool_switch(&opt.dihedral), "print the hashes of all eight rotations and flips")
      ("no-resize", po::bool_switch(&opt.no_resize),
       "hash at full resolution (skip the reference photo tool's 512x512 pre-resize)")
      ("device", po::value(&opt.device)->default_value(opt.device), "reference, cpu, gpu or auto");
  po::options_description hidden;
  hidden.add_options()("input", po::value(&opt.inputs));
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("input", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "vhm hash: %s (try 'vhm hash --help')\n", e.what());
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << visible << "\n";
    return kExitOk;
  }
  if (opt.format != "csv" && opt.format != "jsonl") {
    std::fprintf(stderr, "vhm hash: --format must be csv or jsonl, not '%s'\n", opt.format.c_str());
    return kExitUsage;
  }
  if (opt.inputs.empty()) {
    std::fprintf(stderr, "vhm hash: no input given (try 'vhm hash --help')\n");
    return kExitUsage;
  }
  auto hasher = make_pdq_hasher({opt.device, 1});
  if (!hasher) {
    std::fprintf(stderr, "vhm hash: --device: %s\n", hasher.status().to_string().c_str());
    return kExitUsage;
  }

  int failures = 0;
  for (const std::string& path : opt.inputs) {
    auto image = decode_image_file(path);
    if (!image) {
      ++failures;
      std::fprintf(stderr, "vhm hash: error: %s\n", image.status().with_subject(path).to_string().c_str());
      if (opt.format == "jsonl")
        std::cout << nlohmann::json{{"path", path}, {"error", image.status().message()}}.dump() << "\n";
      continue;
    }
    const int original_width = image->width, original_height = image->height;
    const bool resized = !opt.no_resize && resize_like_reference_photo_tool(*image);
    const ImageView view = image->view();
    PdqHash result;
    PdqDct dct;
    if (Status s = (*hasher)->hash({&view, 1}, {&result, 1}, {&dct, 1}); !s.is_ok()) {
      ++failures;
      std::fprintf(stderr, "vhm hash: error: %s\n", s.with_subject(path).to_string().c_str());
      continue;
    }
    if (opt.format == "csv") {
      if (opt.dihedral) {
        const PdqDihedralHashes d = pdq_dihedral_from_dct(dct);
        for (const Hash256& h : d.hashes) std::cout << h.to_hex() << ",";
        std::cout << d.quality << "," << path << "\n";
      } else {
        std::cout << result.hash.to_hex() << "," << result.quality << "," << path << "\n";
      }
    } else {
      nlohmann::json j{{"path", path},
                       {"pdq", result.hash.to_hex()},
                       {"quality", result.quality},
                       {"width", original_width},
                       {"height", original_height},
                       {"hashed_width", view.width},
                       {"hashed_height", view.height},
                       {"resized", resized},
                       {"decoder", image->decoder}};
      if (!image->conversion.empty()) j["conversion"] = image->conversion;
      if (opt.dihedral) {
        const PdqDihedralHashes d = pdq_dihedral_from_dct(dct);
        nlohmann::json dj = nlohmann::json::object();
        for (int k = 0; k < kDihedralCount; ++k) dj[dihedral_name(static_cast<Dihedral>(k))] = d.hashes[k].to_hex();
        j["dihedral"] = dj;
      }
      std::cout << j.dump() << "\n";
    }
  }
  std::cout.flush();
  return failures ? kExitInputFailed : kExitOk;
}

}  // namespace vhm::cli
