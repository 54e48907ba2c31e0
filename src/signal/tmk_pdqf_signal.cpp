#include "signal/tmk_pdqf_signal.h"

#include "core/base64.h"
#include "signal/tmk_signal.h"

namespace vhm {
namespace {}  // namespace

std::string TmkPdqfSignal::format_value(std::span<const uint8_t> value) const {
  return format_threatexchange_tmk(value);
}

Result<std::vector<uint8_t>> TmkPdqfSignal::parse_value(std::string_view text) const {
  std::vector<uint8_t> bytes;
  if (text.substr(0, kTmkTextMagic.size()) == kTmkTextMagic) {
    auto te = parse_threatexchange_tmk(text, kMaxValueBytes);
    if (!te) return Status(StatusCode::kInvalidArgument, "TMK: " + te.status().message());
    bytes = std::move(te).value();
  } else {
    auto whole = base64_decode(text, kMaxValueBytes);
    if (!whole) return Status(StatusCode::kInvalidArgument, "TMK: " + whole.status().message());
    bytes = std::move(whole).value();
  }
  auto parsed = parse_tmk(bytes);
  if (!parsed) return Status(StatusCode::kInvalidArgument, "not a .tmk file: " + parsed.status().message());
  return bytes;
}

Result<SignalComparison> TmkPdqfSignal::compare(std::span<const uint8_t> a, std::span<const uint8_t> b,
                                                double threshold) const {
  auto fa = parse_tmk(a);
  if (!fa) return Status(StatusCode::kInvalidArgument, "not a .tmk file: " + fa.status().message());
  auto fb = parse_tmk(b);
  if (!fb) return Status(StatusCode::kInvalidArgument, "not a .tmk file: " + fb.status().message());
  VHM_RETURN_IF_ERROR(tmk_check_comparable(*fa, *fb));
  if (tmk_level1_score(*fa, *fb) < threshold) return SignalComparison{false, 0};
  const double level2 = tmk_level2_score(*fa, *fb);
  return SignalComparison{level2 >= threshold, level2};
}

Result<std::unique_ptr<HashIndex>> TmkPdqfSignal::make_hamming_index(const std::string&) const {
  return Status(StatusCode::kUnsupported, "tmk is searched by inner product, not in a Hamming index");
}

}  // namespace vhm
