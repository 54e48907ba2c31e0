#include "hash/hash_output.h"

#include <cstdio>

#include "core/json_text.h"
#include "core/tmk_features.h"
#include "hash/vpdq_format.h"

namespace vhm {

std::string format_csv(const InputHash& h, const OutputOptions& options) {
  std::string out;
  const std::string& path = h.input.url;
  if (h.image) {
    if (options.dihedral) {
      const PdqDihedralHashes d = pdq_dihedral_from_dct(h.image->dct);
      for (const Hash256& v : d.hashes) out += v.to_hex() + ",";
      out += std::to_string(d.quality) + "," + path + "\n";
    } else {
      out += h.image->pdq.hash.to_hex() + "," + std::to_string(h.image->pdq.quality) + "," + path + "\n";
    }
  } else if (h.video) {
    char ts[32];
    for (const FrameHash& f : h.video->frames) {
      std::snprintf(ts, sizeof ts, "%.3f", f.pts_seconds);
      out += f.hash.to_hex() + "," + std::to_string(f.quality) + "," + path + "," + std::to_string(f.index) + "," + ts +
             "\n";
    }
  }
  return out;
}

nlohmann::json to_json(const InputHash& h, const OutputOptions& options) {
  nlohmann::json j{{"path", h.input.url}};
  if (!h.status.is_ok()) {
    j["error"] = h.status.message();
    j["code"] = status_code_name(h.status.code());
    return j;
  }
  if (h.image) {
    const ImageHash& im = *h.image;
    j["type"] = "image";
    j["pdq"] = im.pdq.hash.to_hex();
    j["quality"] = im.pdq.quality;
    j["width"] = im.width;
    j["height"] = im.height;
    j["hashed_width"] = im.hashed_width;
    j["hashed_height"] = im.hashed_height;
    j["resized"] = im.resized;
    j["decoder"] = im.decoder;
    if (!im.conversion.empty()) j["conversion"] = im.conversion;
    if (im.has_cropped) j["pdq_inside_bars"] = {{"pdq", im.cropped.hash.to_hex()}, {"quality", im.cropped.quality}};
    if (options.dihedral) {
      const PdqDihedralHashes d = pdq_dihedral_from_dct(im.dct);
      nlohmann::json dj = nlohmann::json::object();
      for (int k = 0; k < kDihedralCount; ++k) dj[dihedral_name(static_cast<Dihedral>(k))] = d.hashes[k].to_hex();
      j["dihedral"] = dj;
    }
    j["elapsed_s"] = json_seconds(im.elapsed_seconds);
    return j;
  }
  const VideoHash& v = *h.video;
  j["type"] = "video";
  j["container"] = v.info.container;
  j["codec"] = v.info.codec;
  j["width"] = v.info.width;
  j["height"] = v.info.height;
  j["fps"] = v.info.fps;
  j["duration_s"] = json_seconds(v.info.duration_seconds);
  j["frame_count"] = v.info.frame_count;
  j["frames_decoded"] = v.frames_decoded;
  j["frames_hashed"] = v.frames.size();
  if (v.decode_errors) j["decode_errors"] = v.decode_errors;
  j["md5"] = v.md5_hex.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.md5_hex);
  if (!v.sha256_hex.empty()) j["sha256"] = v.sha256_hex;
  if (v.tmk) j["tmk"] = format_threatexchange_tmk(serialize_tmk(*v.tmk));
  j["sampling"] = options.sampling;
  j["pixels"] = v.pixels;
  if (!v.note.empty()) j["note"] = v.note;
  j["hasher"] = v.hasher;
  j["elapsed_s"] = json_seconds(v.elapsed_seconds);
  nlohmann::json frames = nlohmann::json::array();
  for (const FrameHash& f : v.frames) {
    nlohmann::json fj{
        {"frame", f.index}, {"pts", json_seconds(f.pts_seconds)}, {"quality", f.quality}, {"pdq", f.hash.to_hex()}};
    if (f.has_cropped) {
      fj["pdq_inside_bars"] = f.cropped.to_hex();
      fj["quality_inside_bars"] = f.cropped_quality;
    }
    if (!f.dihedral.empty()) {
      nlohmann::json d = nlohmann::json::object();
      for (size_t k = 0; k < f.dihedral.size(); ++k)
        d[dihedral_name(static_cast<Dihedral>(k + 1))] = f.dihedral[k].to_hex();
      fj["dihedral"] = std::move(d);
    }
    frames.push_back(std::move(fj));
  }
  j["frames"] = std::move(frames);
  return j;
}

std::string format_vpdq_text(const InputHash& h) {
  if (h.video) return format_vpdq(h.video->frames);
  if (h.image) {
    FrameHash f;
    f.index = 0;
    f.quality = h.image->pdq.quality;
    f.hash = h.image->pdq.hash;
    return format_vpdq_line(f);
  }
  return {};
}

}  // namespace vhm
