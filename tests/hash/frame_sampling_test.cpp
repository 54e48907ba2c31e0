// Sampling: which frame indexes are hashed, by the reference's rules.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "hash/frame_sampling.h"

namespace vhm {
namespace {

TEST(FrameSampling, EveryFrameWantsEveryIndexAtAnyRate) {
  FrameSampling s(VideoSampling::kEveryFrame, -5);  // the interval means nothing here
  ASSERT_TRUE(s.check().is_ok());
  ASSERT_TRUE(s.set_frame_rate(0).is_ok());
  EXPECT_FALSE(s.keyframes_only());
  for (int64_t i = 0; i < 100; ++i) EXPECT_TRUE(s.wants(i)) << i;
}

TEST(FrameSampling, EverySecondsWantsMultiplesOfTheReferenceInterval) {
  FrameSampling s(VideoSampling::kEverySeconds, 0.7);
  ASSERT_TRUE(s.check().is_ok());
  EXPECT_TRUE(s.wants(7));  // the rate is not known yet: nothing is ruled out
  ASSERT_TRUE(s.set_frame_rate(30.0).is_ok());
  const int n = reference_frame_interval(0.7, 30.0);
  ASSERT_EQ(s.interval(), n);
  ASSERT_GT(n, 1);
  for (int64_t i = 0; i < 10 * n; ++i) EXPECT_EQ(s.wants(i), i % n == 0) << i;
}

TEST(FrameSampling, ZeroSecondsIsEveryFrameEvenAtAnUnknownRate) {
  FrameSampling s(VideoSampling::kEverySeconds, 0.0);
  ASSERT_TRUE(s.check().is_ok());
  ASSERT_TRUE(s.set_frame_rate(0).is_ok());
  for (int64_t i = 0; i < 50; ++i) EXPECT_TRUE(s.wants(i)) << i;
}

TEST(FrameSampling, ByTimeAtAnUnknownRateIsUnsupported) {
  FrameSampling s(VideoSampling::kEverySeconds, 1.0);
  EXPECT_EQ(s.set_frame_rate(0).code(), StatusCode::kUnsupported);
  EXPECT_EQ(s.set_frame_rate(std::nan("")).code(), StatusCode::kUnsupported);
}

TEST(FrameSampling, IntervalsThatAreNotSecondsAreInvalid) {
  for (const double bad : {-1.0, std::nan(""), std::numeric_limits<double>::infinity()})
    EXPECT_EQ(FrameSampling(VideoSampling::kEverySeconds, bad).check().code(), StatusCode::kInvalidArgument) << bad;
  EXPECT_TRUE(FrameSampling(VideoSampling::kEverySeconds, 2.5).check().is_ok());
}

TEST(FrameSampling, KeyframesAreChosenByTheDecoderNotByIndex) {
  FrameSampling s(VideoSampling::kKeyframes, 1.0);
  EXPECT_TRUE(s.keyframes_only());
  ASSERT_TRUE(s.set_frame_rate(25.0).is_ok());
  for (int64_t i = 0; i < 60; ++i) EXPECT_TRUE(s.wants(i)) << i;
}

TEST(FrameSampling, TimestampIsTheReferencesWhenTheRateIsKnown) {
  EXPECT_EQ(frame_timestamp(TimestampMode::kReference, 563, 18.8, 30.0), reference_timestamp(563, 30.0));
  EXPECT_NE(reference_timestamp(563, 30.0), 563 / 30.0);  // float arithmetic, as the reference
  EXPECT_EQ(frame_timestamp(TimestampMode::kReference, 563, 18.8, 0.0), 18.8);
  EXPECT_EQ(frame_timestamp(TimestampMode::kPresentation, 563, 18.8, 30.0), 18.8);
}

}  // namespace
}  // namespace vhm
