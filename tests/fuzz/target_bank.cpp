#include "fuzz/target_bank.h"

#include <filesystem>
#include <random>

#include "fuzz/target_support.h"

namespace vhm::fuzz {

namespace {

Hash256 random_hash(std::mt19937_64& rng) {
  Hash256 h;
  for (auto& w : h.words) w = rng();
  return h;
}

// A video of `n` frames, one per 0.5 s; every third frame also has an inside-bars hash
// (bank format 2), so lookups exercise both codes.
std::vector<FrameHash> video_frames(int n, std::mt19937_64& rng) {
  std::vector<FrameHash> frames(n);
  for (int i = 0; i < n; ++i) {
    frames[i].index = i;
    frames[i].pts_seconds = 0.5 * i;
    frames[i].quality = 60 + i % 41;
    frames[i].hash = random_hash(rng);
    if (i % 3 == 0) {
      frames[i].has_cropped = true;
      frames[i].cropped = random_hash(rng);
      frames[i].cropped_quality = 70;
    }
  }
  return frames;
}

}  // namespace

FuzzBank make_fuzz_bank(const std::string& name, const std::string& spec) {
  FuzzBank fb;
  fb.dir = (std::filesystem::path(scratch_dir()) / name).string();
  std::mt19937_64 rng(20240501);

  NewContent video;
  video.meta = {"te:video", "fuzz", "fuzz-bank", ContentKind::kVideo};
  video.frames = video_frames(12, rng);
  NewContent image;
  image.meta = {"te:image", "fuzz", "fuzz-bank", ContentKind::kImage};
  image.frames = video_frames(1, rng);
  NewContent unnamed;
  unnamed.meta = {"", "", "fuzz-bank", ContentKind::kVideo};
  unnamed.frames = video_frames(3, rng);
  fb.contents = {video, image, unnamed};

  BankCreateOptions create;
  create.index_spec = spec;
  if (Status s = Bank::create(fb.dir, create); !s.is_ok()) fail("bank create: " + s.to_string());
  BankOptions options;
  options.background_merge = false;
  auto bank = Bank::open(fb.dir, options);
  if (!bank) fail("bank open: " + bank.status().to_string());
  auto added = (*bank)->add_contents(fb.contents);
  if (!added) fail("bank add: " + added.status().to_string());
  if (Status s = (*bank)->merge(); !s.is_ok()) fail("bank merge: " + s.to_string());
  return fb;
}

}  // namespace vhm::fuzz
