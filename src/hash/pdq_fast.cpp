#include "hash/pdq_fast.h"

namespace vhm::pdq {

bool fast_path_uses_avx2() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool kAvx2 = __builtin_cpu_supports("avx2");
  return kAvx2;
#else
  return false;
#endif
}

PdqDct dct_from_image_fast(const ImageView& image, FastScratch& scratch) {
  if (fast_path_uses_avx2()) return dct_from_image_avx2(image, scratch);
  const size_t n = static_cast<size_t>(image.width) * image.height;
  scratch.a.resize(n);
  scratch.b.resize(n);
  luma_from_image(image, scratch.a.data());
  return dct_from_luma_reference(scratch.a.data(), scratch.b.data(), image.width, image.height);
}

}  // namespace vhm::pdq
