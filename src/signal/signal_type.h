// SignalType: what vhm knows about one kind of hash a content can carry (after
// python-threatexchange's SignalType): its name, how a value is written and read, which
// index holds it and how two values compare. The bank, the matcher and the JSON writers
// ask a signal; none of them spells out PDQ's rules themselves.
//
// Adding a signal is one file of its code (its SignalType), one line in SignalId and
// one in the registry (signal_registry.cpp). A value is bytes, its text form and its
// comparison are the signal's, and the index family tells the bank which kind of index
// to build for it. Signals of a frame (PDQ) are stored per frame; whole-content
// signals (a video's MD5 or SHA-256, its TMK+PDQF) one value per content, in the bank's
// content_signals table.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash256.h"
#include "core/status.h"
#include "index/hash_index.h"

namespace vhm {

// The signals this vhm knows. Numbers are for memory only (the bank stores the name);
// a new signal takes the next one.
enum class SignalId : uint8_t {
  kPdq = 0,
  kVideoMd5 = 1,     // the MD5 of a video file's bytes (16 bytes)
  kVideoSha256 = 2,  // its SHA-256 (32 bytes)
  kTmk = 3,          // TMK+PDQF of a video: the whole .tmk file (core/tmk_features.h)
};

// How a signal's values are searched, so that the bank builds the right kind of index.
enum class IndexFamily : uint8_t {
  kHamming256,   // 256-bit codes in a HashIndex (index/hash_index.h), range search by Hamming distance
  kExactDigest,  // fixed-size digests, equal or not: looked up by value in the store's index
  // TMK+PDQF: level-1 (cosine of the pure averages) in an inner-product VectorIndex
  // (index/vector_index.h) gives a short list, level-2 (signal/tmk_signal.h) on the
  // features read from the store decides.
  kTmkTwoLevel,
};

// The outcome of comparing two values of one signal.
struct SignalComparison {
  bool match = false;
  // The signal's measure (PDQ: the Hamming distance, 0..256). Whether lower is closer is
  // the signal's `closer_is_lower()`; verdicts report it as they get it.
  double distance = 0;
  friend bool operator==(const SignalComparison&, const SignalComparison&) = default;
};

class SignalType {
 public:
  virtual ~SignalType() = default;

  virtual SignalId id() const = 0;
  // As the bank stores it and JSON prints it ("pdq"): lowercase, stable forever.
  virtual std::string_view name() const = 0;
  // For people ("PDQ").
  virtual std::string_view display_name() const = 0;

  // ---- values: the signal's bytes (PDQ: Hash256's 32 bytes, in memory order)
  // The size every value has; 0 where values vary in size.
  virtual size_t value_bytes() const = 0;
  // The text form of a value (PDQ: 64 lowercase hex digits) and back; parse is
  // kInvalidArgument for text that is not a value of this signal.
  virtual std::string format_value(std::span<const uint8_t> value) const = 0;
  virtual Result<std::vector<uint8_t>> parse_value(std::string_view text) const = 0;

  // ---- comparison
  // The threshold a match takes when nobody says otherwise (PDQ: 31, inclusive).
  virtual double default_threshold() const = 0;
  virtual bool closer_is_lower() const = 0;
  // kInvalidArgument when either value is not of this signal (wrong size).
  virtual Result<SignalComparison> compare(std::span<const uint8_t> a, std::span<const uint8_t> b,
                                           double threshold) const = 0;

  // ---- index
  virtual IndexFamily index_family() const = 0;
  // For kHamming256 signals: an empty index from a make_hash_index() factory string;
  // kUnsupported for a signal of another family (their indexes are the bank's: the
  // store's digest index, a VectorIndex of TMK pure averages).
  virtual Result<std::unique_ptr<HashIndex>> make_hamming_index(const std::string& spec) const = 0;
};

}  // namespace vhm
