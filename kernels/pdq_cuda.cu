// The CUDA PDQ hasher behind the facade of pdq_cuda.h, in three tiers:
//
//  1. The facade (PdqCudaHasher and its Impl): owns a stream, the device buffers
//     (grown on demand, reused across calls) and the 16x64 DCT matrix, copied once
//     from vhm::pdq::dct_matrix(). It validates the frames, cuts a batch into chunks
//     that fit the scratch budget, uploads one small descriptor array per chunk and
//     reads back 32 bytes of hash + quality per frame (and the DCTs when asked).
//  2. Host launchers (launch_*): check the shapes they are given, size the grids,
//     launch, and check cudaPeekAtLastError after every launch (and synchronise after
//     each one when VHM_CUDA_DEBUG_SYNC is defined).
//  3. Thin __global__ kernels whose arithmetic is only the __host__ __device__ helpers
//     of hash/pdq_core.h, called in the order dct_from_luma_reference calls them, so
//     the GPU rounds exactly as the CPU reference does (compiled with -fmad=false,
//     IEEE division, no flush to zero: see kernels/CMakeLists.txt).
//
// Per chunk of frames (any mix of sizes, RGB24 or grey, any pitch):
//   luma_kernel      one thread per pixel: pixels -> float luminance (packed per frame);
//                    grey bytes first through the frame's byte map when it has one
//                    (hash_device_luma_batch: limited-range video luma stretched)
//   box_rows_kernel  one thread per (frame, row): box1d along the row, stride 1
//   box_cols_kernel  one thread per (frame, column): box1d down the column, stride width
//                    (rows: luma -> scratch, columns: scratch -> luma, kJaroszPasses times)
//   dct_kernel       one block per frame: 64x64 decimation in shared memory, quality,
//                    T = D A, B = T D^T, and one thread thresholds B at its median.
// Frames exactly 64x64 skip the filter; frames with a side < 5 are not read at all and
// get the "too small" result (zero hash, quality 0), as in the reference.
//
// A hasher is not thread-safe (its buffers are reused across calls): one per thread.
// Its stream is an ordinary (blocking) stream, so it waits for work queued before the
// call on the legacy default stream; frames written on other streams must be complete
// (synchronised by the caller) before hash_device_batch is called. Calls return once
// the results are on the host.
#include "kernels/pdq_cuda.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "kernels/pdq_core.h"

namespace vhm::gpu {
namespace {

// ------------------------------------------------------------------ shared definitions

enum FrameMode : int {
  kModeTooSmall = 0,  // a side < kMinHashableDim: never read, zero hash
  kModeExact64 = 1,   // exactly 64x64: no filter, the luma is the 64x64 buffer
  kModeFilter = 2,    // two Jarosz passes, then decimation
};

// One frame as the kernels see it. `offset` is the index of the frame's first float in
// the packed luma and scratch buffers.
struct FrameDesc {
  const uint8_t* data;  // device-accessible pixels (unused for kModeTooSmall)
  const uint8_t* lut;   // grey only: 256-entry byte map applied before hashing, or nullptr
  long long stride;     // bytes between row starts
  long long offset;     // first float of this frame in luma / scratch
  int width;
  int height;
  int channels;  // 3: RGB24, 1: grey
  int mode;      // FrameMode
};

// What the device hands back per frame.
struct FrameResult {
  uint64_t words[4];
  int quality;
  int too_small;
};

constexpr int kDctThreads = 256;                        // one per output coefficient
constexpr int kCoeffs = pdq::kDctSize * pdq::kDctSize;  // 256
constexpr int kDown = pdq::kDownsampled;                // 64
constexpr int kMaxFramesPerChunk = 65535;               // grid.y / grid.z limit
constexpr size_t kChunkFloats = size_t{1} << 28;        // 1 GiB per scratch buffer
static_assert(kDctThreads == kCoeffs, "dct_kernel maps one thread to one coefficient");

// ------------------------------------------------------------------ tier 3: kernels

// Pixels -> float luminance, as pdq::luma_from_image: grey bytes are taken as they are
// (after the frame's byte map, when it has one), RGB through luma_from_rgb.
__global__ void luma_kernel(const FrameDesc* __restrict__ frames, float* __restrict__ luma) {
  const FrameDesc f = frames[blockIdx.z];
  if (f.mode == kModeTooSmall) return;
  float* const out = luma + f.offset;
  for (int y = blockIdx.y * blockDim.y + threadIdx.y; y < f.height; y += gridDim.y * blockDim.y) {
    const uint8_t* row = f.data + static_cast<long long>(y) * f.stride;
    float* out_row = out + static_cast<long long>(y) * f.width;
    for (int x = blockIdx.x * blockDim.x + threadIdx.x; x < f.width; x += gridDim.x * blockDim.x) {
      if (f.channels == 1) {
        out_row[x] = static_cast<float>(f.lut != nullptr ? f.lut[row[x]] : row[x]);
      } else {
        out_row[x] = pdq::luma_from_rgb(row[3 * x], row[3 * x + 1], row[3 * x + 2]);
      }
    }
  }
}

// One Jarosz box pass along every row: in -> out, one thread per (frame, row).
__global__ void box_rows_kernel(const FrameDesc* __restrict__ frames, const float* __restrict__ in,
                                float* __restrict__ out) {
  const FrameDesc f = frames[blockIdx.y];
  if (f.mode != kModeFilter) return;
  const int window = pdq::jarosz_window(f.width);
  for (int y = blockIdx.x * blockDim.x + threadIdx.x; y < f.height; y += gridDim.x * blockDim.x) {
    const long long base = f.offset + static_cast<long long>(y) * f.width;
    pdq::box1d(in + base, out + base, f.width, 1, window);
  }
}

// One Jarosz box pass down every column: in -> out, one thread per (frame, column);
// neighbouring threads read neighbouring floats, so the loads coalesce.
__global__ void box_cols_kernel(const FrameDesc* __restrict__ frames, const float* __restrict__ in,
                                float* __restrict__ out) {
  const FrameDesc f = frames[blockIdx.y];
  if (f.mode != kModeFilter) return;
  const int window = pdq::jarosz_window(f.height);
  for (int x = blockIdx.x * blockDim.x + threadIdx.x; x < f.width; x += gridDim.x * blockDim.x) {
    const long long base = f.offset + x;
    pdq::box1d(in + base, out + base, f.height, f.width, window);
  }
}

// One block per frame: the tail of dct_from_luma_reference plus hash_from_dct.
__global__ void __launch_bounds__(kDctThreads)
    dct_kernel(const FrameDesc* __restrict__ frames, const float* __restrict__ luma,
               const float* __restrict__ dct_matrix, FrameResult* __restrict__ results,
               float* __restrict__ coeffs /* nullptr: DCTs not requested */) {
  __shared__ float a[kDown * kDown];          // the 64x64 decimated image
  __shared__ float d[pdq::kDctSize * kDown];  // D, 16x64
  __shared__ float t[pdq::kDctSize * kDown];  // T = D A, 16x64
  __shared__ float b[kCoeffs];                // B = T D^T, 16x16
  __shared__ int gradient_sum;
  __shared__ uint64_t words[4];  // the hash, written by thread 0

  const int frame = blockIdx.x;
  const int tid = threadIdx.x;
  const FrameDesc f = frames[frame];

  if (f.mode == kModeTooSmall) {  // uniform across the block: nobody reaches a barrier
    if (tid == 0) {
      FrameResult r;
      for (int w = 0; w < 4; ++w) r.words[w] = 0;
      r.quality = 0;
      r.too_small = 1;
      results[frame] = r;
    }
    if (coeffs != nullptr) coeffs[static_cast<long long>(frame) * kCoeffs + tid] = 0.0f;
    return;
  }

  if (tid == 0) gradient_sum = 0;
  for (int k = tid; k < pdq::kDctSize * kDown; k += kDctThreads) d[k] = dct_matrix[k];
  const float* src = luma + f.offset;
  if (f.mode == kModeExact64) {
    for (int k = tid; k < kDown * kDown; k += kDctThreads) a[k] = src[k];
  } else {
    for (int k = tid; k < kDown * kDown; k += kDctThreads) {
      const int si = pdq::decimate_source(k / kDown, f.height);
      const int sj = pdq::decimate_source(k % kDown, f.width);
      a[k] = src[static_cast<long long>(si) * f.width + sj];
    }
  }
  __syncthreads();

  // Quality: integer terms, so any summation order gives the reference's sum.
  constexpr int kVertical = (kDown - 1) * kDown;    // a[i][j] vs a[i+1][j]
  constexpr int kHorizontal = kDown * (kDown - 1);  // a[i][j] vs a[i][j+1]
  int partial = 0;
  for (int k = tid; k < kVertical + kHorizontal; k += kDctThreads) {
    if (k < kVertical) {
      const int i = k / kDown, j = k % kDown;
      partial += pdq::quality_term(a[i * kDown + j], a[(i + 1) * kDown + j]);
    } else {
      const int i = (k - kVertical) / (kDown - 1), j = (k - kVertical) % (kDown - 1);
      partial += pdq::quality_term(a[i * kDown + j], a[i * kDown + j + 1]);
    }
  }
  atomicAdd(&gradient_sum, partial);

  // Stage 1: T[i][j] = sum_k D[i][k] A[k][j].
  for (int k = tid; k < pdq::kDctSize * kDown; k += kDctThreads) {
    const int i = k / kDown, j = k % kDown;
    t[k] = pdq::dot64(d + i * kDown, 1, a + j, kDown);
  }
  __syncthreads();

  // Stage 2: B[i][j] = sum_k T[i][k] D[j][k].
  {
    const int i = tid / pdq::kDctSize, j = tid % pdq::kDctSize;
    b[tid] = pdq::dot64(t + i * kDown, 1, d + j * kDown, 1);
  }
  __syncthreads();

  if (coeffs != nullptr) coeffs[static_cast<long long>(frame) * kCoeffs + tid] = b[tid];
  if (tid == 0) {
    pdq::bits_from_dct(b, words);
    FrameResult r;
    for (int w = 0; w < 4; ++w) r.words[w] = words[w];
    r.quality = pdq::quality_from_gradient_sum(gradient_sum);
    r.too_small = 0;
    results[frame] = r;
  }
}

// ------------------------------------------------------------------ errors

// "cudaMalloc" from "cudaMalloc(&p, n)".
std::string call_name(const char* expression) {
  std::string s(expression);
  const size_t paren = s.find('(');
  return paren == std::string::npos ? s : s.substr(0, paren);
}

Status cuda_error(cudaError_t e, const std::string& call, const std::string& context = {}) {
  const StatusCode code = (e == cudaErrorMemoryAllocation) ? StatusCode::kUnavailable : StatusCode::kInternal;
  std::string msg = call + " failed: " + cudaGetErrorString(e) + " (" + cudaGetErrorName(e) + ")";
  if (!context.empty()) msg += " [" + context + "]";
  return Status(code, std::move(msg));
}

#define VHM_CUDA_TRY(expr)                                         \
  do {                                                             \
    const cudaError_t vhm_cuda_e_ = (expr);                        \
    if (vhm_cuda_e_ != cudaSuccess) {                              \
      (void)cudaGetLastError(); /* clear it unless it is sticky */ \
      return cuda_error(vhm_cuda_e_, call_name(#expr));            \
    }                                                              \
  } while (0)

Status invalid(std::string message) { return Status(StatusCode::kInvalidArgument, std::move(message)); }
Status internal(std::string message) { return Status(StatusCode::kInternal, std::move(message)); }

// Makes `device` current for a scope, restoring the caller's device afterwards.
class DeviceGuard {
 public:
  DeviceGuard() = default;
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;
  ~DeviceGuard() {
    if (restore_) (void)cudaSetDevice(previous_);
  }
  Status enter(int device) {
    VHM_CUDA_TRY(cudaGetDevice(&previous_));
    if (previous_ != device) {
      VHM_CUDA_TRY(cudaSetDevice(device));
      restore_ = true;
    }
    return {};
  }

 private:
  int previous_ = 0;
  bool restore_ = false;
};

// ------------------------------------------------------------------ tier 2: launchers

// What a chunk holds, for sizing grids.
struct ChunkShape {
  int frames = 0;
  int max_width = 0;  // over frames that are read (not too small)
  int max_height = 0;
  bool any_read = false;    // some frame needs its luminance
  bool any_filter = false;  // some frame needs the box filter
};

Status after_launch(const char* kernel, cudaStream_t stream) {
  cudaError_t e = cudaPeekAtLastError();
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return cuda_error(e, std::string("launch of ") + kernel);
  }
#ifdef VHM_CUDA_DEBUG_SYNC
  e = cudaStreamSynchronize(stream);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return cuda_error(e, "cudaStreamSynchronize", std::string("after ") + kernel);
  }
#else
  (void)stream;
#endif
  return {};
}

unsigned blocks_for(long long n, int per_block, unsigned cap) {
  const long long b = (n + per_block - 1) / per_block;
  return static_cast<unsigned>(std::clamp<long long>(b, 1, cap));
}

Status check_shape(const ChunkShape& s, const char* kernel) {
  if (s.frames < 1 || s.frames > kMaxFramesPerChunk)
    return internal(std::string(kernel) + ": chunk of " + std::to_string(s.frames) + " frames");
  if (s.any_read && (s.max_width <= 0 || s.max_height <= 0))
    return internal(std::string(kernel) + ": empty frame extent");
  return {};
}

Status launch_luma(const ChunkShape& s, const FrameDesc* d_frames, float* d_luma, cudaStream_t stream) {
  VHM_RETURN_IF_ERROR(check_shape(s, "luma_kernel"));
  if (d_frames == nullptr || d_luma == nullptr) return internal("luma_kernel: null buffer");
  const dim3 block(32, 8);
  const dim3 grid(blocks_for(s.max_width, 32, 1u << 16), blocks_for(s.max_height, 8, 65535),
                  static_cast<unsigned>(s.frames));
  luma_kernel<<<grid, block, 0, stream>>>(d_frames, d_luma);
  return after_launch("luma_kernel", stream);
}

Status launch_box_rows(const ChunkShape& s, const FrameDesc* d_frames, const float* in, float* out,
                       cudaStream_t stream) {
  VHM_RETURN_IF_ERROR(check_shape(s, "box_rows_kernel"));
  if (d_frames == nullptr || in == nullptr || out == nullptr || in == out)
    return internal("box_rows_kernel: bad buffers");
  constexpr int kThreads = 128;
  const dim3 grid(blocks_for(s.max_height, kThreads, 1u << 16), static_cast<unsigned>(s.frames));
  box_rows_kernel<<<grid, kThreads, 0, stream>>>(d_frames, in, out);
  return after_launch("box_rows_kernel", stream);
}

Status launch_box_cols(const ChunkShape& s, const FrameDesc* d_frames, const float* in, float* out,
                       cudaStream_t stream) {
  VHM_RETURN_IF_ERROR(check_shape(s, "box_cols_kernel"));
  if (d_frames == nullptr || in == nullptr || out == nullptr || in == out)
    return internal("box_cols_kernel: bad buffers");
  constexpr int kThreads = 128;
  const dim3 grid(blocks_for(s.max_width, kThreads, 1u << 16), static_cast<unsigned>(s.frames));
  box_cols_kernel<<<grid, kThreads, 0, stream>>>(d_frames, in, out);
  return after_launch("box_cols_kernel", stream);
}

Status launch_dct(const ChunkShape& s, const FrameDesc* d_frames, const float* d_luma, const float* d_dct_matrix,
                  FrameResult* d_results, float* d_coeffs, cudaStream_t stream) {
  VHM_RETURN_IF_ERROR(check_shape(s, "dct_kernel"));
  if (d_frames == nullptr || d_dct_matrix == nullptr || d_results == nullptr)
    return internal("dct_kernel: null buffer");
  if (s.any_read && d_luma == nullptr) return internal("dct_kernel: null luma");
  dct_kernel<<<static_cast<unsigned>(s.frames), kDctThreads, 0, stream>>>(d_frames, d_luma, d_dct_matrix, d_results,
                                                                          d_coeffs);
  return after_launch("dct_kernel", stream);
}

// ------------------------------------------------------------------ buffers

template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() { release(); }

  // Grows to at least n elements (contents are not kept).
  Status reserve(size_t n, const char* what) {
    if (n <= capacity_) return {};
    release();
    void* p = nullptr;
    const cudaError_t e = cudaMalloc(&p, n * sizeof(T));
    if (e != cudaSuccess) {
      (void)cudaGetLastError();
      return cuda_error(e, "cudaMalloc", std::string(what) + ", " + std::to_string(n * sizeof(T)) + " bytes");
    }
    ptr_ = static_cast<T*>(p);
    capacity_ = n;
    return {};
  }
  void release() {
    if (ptr_ != nullptr) (void)cudaFree(ptr_);
    ptr_ = nullptr;
    capacity_ = 0;
  }
  T* get() const { return ptr_; }

 private:
  T* ptr_ = nullptr;
  size_t capacity_ = 0;
};

// ------------------------------------------------------------------ validation

int channels_of(PixelFormat format) { return format == PixelFormat::kGray8 ? 1 : 3; }

Status validate(std::span<const ImageView> frames, size_t out_size, size_t dcts_size) {
  if (out_size != frames.size())
    return invalid("out has " + std::to_string(out_size) + " entries for " + std::to_string(frames.size()) + " frames");
  if (dcts_size != 0 && dcts_size != frames.size())
    return invalid("dcts has " + std::to_string(dcts_size) + " entries for " + std::to_string(frames.size()) +
                   " frames (give none, or one per frame)");
  for (size_t k = 0; k < frames.size(); ++k) {
    const ImageView& f = frames[k];
    const std::string which = "frame " + std::to_string(k) + ": ";
    if (f.format != PixelFormat::kRgb24 && f.format != PixelFormat::kGray8)
      return invalid(which + "unknown pixel format");
    if (f.data == nullptr) return invalid(which + "null data");
    if (f.width <= 0 || f.height <= 0)
      return invalid(which + "size " + std::to_string(f.width) + "x" + std::to_string(f.height));
    if (static_cast<long long>(f.width) * f.height > INT_MAX)
      return invalid(which + "too large (" + std::to_string(f.width) + "x" + std::to_string(f.height) + ")");
    const long long row_bytes = static_cast<long long>(f.width) * channels_of(f.format);
    if (f.stride < row_bytes)
      return invalid(which + "stride " + std::to_string(f.stride) + " < " + std::to_string(row_bytes) +
                     " bytes of a row");
  }
  return {};
}

FrameMode mode_of(int width, int height) {
  if (width < pdq::kMinHashableDim || height < pdq::kMinHashableDim) return kModeTooSmall;
  if (width == kDown && height == kDown) return kModeExact64;
  return kModeFilter;
}

size_t floats_of(const ImageView& f) {
  return mode_of(f.width, f.height) == kModeTooSmall ? 0 : static_cast<size_t>(f.width) * f.height;
}

// Cuts [0, n) into chunks of at most kMaxFramesPerChunk frames and kChunkFloats floats
// of scratch (a single larger frame is a chunk of its own).
std::vector<std::pair<size_t, size_t>> plan_chunks(std::span<const ImageView> frames) {
  std::vector<std::pair<size_t, size_t>> chunks;
  size_t begin = 0, floats = 0;
  for (size_t k = 0; k < frames.size(); ++k) {
    const size_t need = floats_of(frames[k]);
    if (k > begin && (k - begin >= static_cast<size_t>(kMaxFramesPerChunk) || floats + need > kChunkFloats)) {
      chunks.emplace_back(begin, k);
      begin = k;
      floats = 0;
    }
    floats += need;
  }
  if (begin < frames.size()) chunks.emplace_back(begin, frames.size());
  return chunks;
}

// Checks that the kernels can run on the current device (an image for its architecture).
Status check_kernel_image(int device) {
  cudaFuncAttributes attr{};
  const cudaError_t e = cudaFuncGetAttributes(&attr, dct_kernel);
  if (e == cudaSuccess) return {};
  (void)cudaGetLastError();
  cudaDeviceProp prop{};
  std::string what = "CUDA device " + std::to_string(device);
  if (cudaGetDeviceProperties(&prop, device) == cudaSuccess)
    what += " (" + std::string(prop.name) + ", sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ")";
  else (void)cudaGetLastError();
  return Status(StatusCode::kUnavailable, what + " cannot run the PDQ kernels: " + cudaGetErrorString(e));
}

}  // namespace

// ------------------------------------------------------------------ tier 1: the facade

struct PdqCudaHasher::Impl {
  int device = 0;
  cudaStream_t stream = nullptr;
  DeviceArray<float> dct_matrix;  // 16x64, copied once
  DeviceArray<FrameDesc> descs;
  DeviceArray<float> luma;
  DeviceArray<float> scratch;
  DeviceArray<FrameResult> results;
  DeviceArray<float> coeffs;
  DeviceArray<uint8_t> pixels;          // uploads of hash_host_batch
  DeviceArray<uint8_t> lut;             // hash_device_luma_batch's byte map (256 entries)
  std::array<uint8_t, 256> host_lut{};  // what `lut` holds (the source of its upload)
  bool lut_loaded = false;
  std::vector<FrameDesc> host_descs;
  std::vector<FrameResult> host_results;
  std::vector<float> host_coeffs;
  std::vector<ImageView> device_views;

  ~Impl() {
    DeviceGuard guard;
    (void)guard.enter(device);
    if (stream != nullptr) {
      (void)cudaStreamSynchronize(stream);
      (void)cudaStreamDestroy(stream);
    }
    dct_matrix.release();
    descs.release();
    luma.release();
    scratch.release();
    results.release();
    coeffs.release();
    pixels.release();
    lut.release();
  }

  Status init() {
    VHM_CUDA_TRY(cudaStreamCreate(&stream));
    constexpr size_t kMatrix = pdq::kDctSize * kDown;
    VHM_RETURN_IF_ERROR(dct_matrix.reserve(kMatrix, "DCT matrix"));
    VHM_CUDA_TRY(cudaMemcpy(dct_matrix.get(), pdq::dct_matrix(), kMatrix * sizeof(float), cudaMemcpyHostToDevice));
    return {};
  }

  // Hashes one chunk whose frames already point to device-accessible memory.
  // `d_lut` (device, 256 bytes, or nullptr) maps the bytes of grey frames.
  Status run_chunk(std::span<const ImageView> frames, std::span<PdqHash> out, std::span<PdqDct> dcts,
                   const uint8_t* d_lut = nullptr) {
    const size_t n = frames.size();
    ChunkShape shape;
    shape.frames = static_cast<int>(n);
    host_descs.resize(n);
    long long offset = 0;
    for (size_t k = 0; k < n; ++k) {
      const ImageView& f = frames[k];
      FrameDesc& d = host_descs[k];
      d.data = f.data;
      d.stride = static_cast<long long>(f.stride);
      d.width = f.width;
      d.height = f.height;
      d.channels = channels_of(f.format);
      d.lut = d.channels == 1 ? d_lut : nullptr;
      d.mode = mode_of(f.width, f.height);
      d.offset = offset;
      if (d.mode != kModeTooSmall) {
        offset += static_cast<long long>(f.width) * f.height;
        shape.any_read = true;
        shape.max_width = std::max(shape.max_width, f.width);
        shape.max_height = std::max(shape.max_height, f.height);
        if (d.mode == kModeFilter) shape.any_filter = true;
      }
    }
    const size_t total_floats = static_cast<size_t>(offset);
    const bool want_dcts = !dcts.empty();

    VHM_RETURN_IF_ERROR(descs.reserve(n, "frame descriptors"));
    VHM_RETURN_IF_ERROR(results.reserve(n, "results"));
    if (want_dcts) VHM_RETURN_IF_ERROR(coeffs.reserve(n * kCoeffs, "DCT coefficients"));
    if (shape.any_read) VHM_RETURN_IF_ERROR(luma.reserve(total_floats, "luminance"));
    if (shape.any_filter) VHM_RETURN_IF_ERROR(scratch.reserve(total_floats, "filter scratch"));

    VHM_CUDA_TRY(
        cudaMemcpyAsync(descs.get(), host_descs.data(), n * sizeof(FrameDesc), cudaMemcpyHostToDevice, stream));
    if (shape.any_read) VHM_RETURN_IF_ERROR(launch_luma(shape, descs.get(), luma.get(), stream));
    if (shape.any_filter) {
      for (int pass = 0; pass < pdq::kJaroszPasses; ++pass) {
        VHM_RETURN_IF_ERROR(launch_box_rows(shape, descs.get(), luma.get(), scratch.get(), stream));
        VHM_RETURN_IF_ERROR(launch_box_cols(shape, descs.get(), scratch.get(), luma.get(), stream));
      }
    }
    VHM_RETURN_IF_ERROR(launch_dct(shape, descs.get(), shape.any_read ? luma.get() : nullptr, dct_matrix.get(),
                                   results.get(), want_dcts ? coeffs.get() : nullptr, stream));

    host_results.resize(n);
    VHM_CUDA_TRY(
        cudaMemcpyAsync(host_results.data(), results.get(), n * sizeof(FrameResult), cudaMemcpyDeviceToHost, stream));
    if (want_dcts) {
      host_coeffs.resize(n * kCoeffs);
      VHM_CUDA_TRY(cudaMemcpyAsync(host_coeffs.data(), coeffs.get(), n * kCoeffs * sizeof(float),
                                   cudaMemcpyDeviceToHost, stream));
    }
    VHM_CUDA_TRY(cudaStreamSynchronize(stream));

    for (size_t k = 0; k < n; ++k) {
      const FrameResult& r = host_results[k];
      for (int w = 0; w < 4; ++w) out[k].hash.words[w] = r.words[w];
      out[k].quality = r.quality;
      if (want_dcts) {
        PdqDct& d = dcts[k];
        std::memcpy(d.coeffs.data(), host_coeffs.data() + k * kCoeffs, kCoeffs * sizeof(float));
        d.quality = r.quality;
        d.too_small = r.too_small != 0;
      }
    }
    return {};
  }

  // Resolves each frame's pointer to one the kernels may read on this device.
  Status resolve_device_pointers(std::span<const ImageView> frames) {
    device_views.assign(frames.begin(), frames.end());
    for (size_t k = 0; k < frames.size(); ++k) {
      cudaPointerAttributes attr{};
      const cudaError_t e = cudaPointerGetAttributes(&attr, frames[k].data);
      if (e != cudaSuccess) {
        (void)cudaGetLastError();
        return invalid("frame " + std::to_string(k) + ": cudaPointerGetAttributes failed: " + cudaGetErrorString(e));
      }
      if (attr.type == cudaMemoryTypeUnregistered)
        return invalid("frame " + std::to_string(k) +
                       ": data is ordinary host memory, not device memory (use hash_host_batch)");
      if (attr.type == cudaMemoryTypeDevice && attr.device != device)
        return invalid("frame " + std::to_string(k) + ": data is on CUDA device " + std::to_string(attr.device) +
                       ", the hasher on device " + std::to_string(device));
      if (attr.devicePointer == nullptr)
        return invalid("frame " + std::to_string(k) + ": data is not mapped into CUDA device " +
                       std::to_string(device));
      device_views[k].data = static_cast<const uint8_t*>(attr.devicePointer);
    }
    return {};
  }

  // Frames in device-accessible memory, already validated; the device is current.
  // `d_lut`: see run_chunk.
  Status device_batch(std::span<const ImageView> frames, std::span<PdqHash> out, std::span<PdqDct> dcts,
                      const uint8_t* d_lut = nullptr) {
    VHM_RETURN_IF_ERROR(resolve_device_pointers(frames));
    const std::vector<ImageView>& views = device_views;  // run_chunk leaves it alone
    for (const auto& [begin, end] : plan_chunks(frames)) {
      const size_t n = end - begin;
      VHM_RETURN_IF_ERROR(run_chunk(std::span<const ImageView>(views).subspan(begin, n), out.subspan(begin, n),
                                    dcts.empty() ? dcts : dcts.subspan(begin, n), d_lut));
    }
    return {};
  }

  // The byte map on the device (uploaded when it differs from the last one), queued on
  // the hasher's stream ahead of the kernels that read it.
  Status load_lut(const std::array<uint8_t, 256>& table) {
    VHM_RETURN_IF_ERROR(lut.reserve(table.size(), "luma byte map"));
    if (lut_loaded && table == host_lut) return {};
    VHM_CUDA_TRY(cudaStreamSynchronize(stream));  // nothing queued still reads the old map
    host_lut = table;
    lut_loaded = false;
    VHM_CUDA_TRY(cudaMemcpyAsync(lut.get(), host_lut.data(), host_lut.size(), cudaMemcpyHostToDevice, stream));
    lut_loaded = true;
    return {};
  }

  // Frames in host memory, already validated; the device is current. Each chunk's
  // frames are uploaded packed (pitch = row bytes), frames too small to hash skipped.
  Status host_batch(std::span<const ImageView> frames, std::span<PdqHash> out, std::span<PdqDct> dcts) {
    std::vector<ImageView> views;
    std::vector<size_t> byte_offsets;
    for (const auto& [begin, end] : plan_chunks(frames)) {
      const size_t n = end - begin;
      byte_offsets.assign(n, 0);
      size_t bytes = 0;
      for (size_t k = begin; k < end; ++k) {
        byte_offsets[k - begin] = bytes;
        if (floats_of(frames[k]) != 0)
          bytes += static_cast<size_t>(frames[k].width) * channels_of(frames[k].format) * frames[k].height;
      }
      VHM_RETURN_IF_ERROR(pixels.reserve(std::max<size_t>(bytes, 1), "uploaded pixels"));
      views.assign(frames.begin() + begin, frames.begin() + end);
      for (size_t k = begin; k < end; ++k) {
        ImageView& v = views[k - begin];
        const size_t row_bytes = static_cast<size_t>(v.width) * channels_of(v.format);
        uint8_t* dst = pixels.get() + byte_offsets[k - begin];
        if (floats_of(frames[k]) != 0) {
          VHM_CUDA_TRY(cudaMemcpy2DAsync(dst, row_bytes, frames[k].data, static_cast<size_t>(frames[k].stride),
                                         row_bytes, static_cast<size_t>(v.height), cudaMemcpyHostToDevice, stream));
        }
        v.data = dst;  // never read for a frame too small to hash
        v.stride = static_cast<ptrdiff_t>(row_bytes);
      }
      VHM_RETURN_IF_ERROR(run_chunk(views, out.subspan(begin, n), dcts.empty() ? dcts : dcts.subspan(begin, n)));
    }
    return {};
  }
};

bool built_with_cuda() { return true; }

bool cuda_available(std::string* why) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count <= 0) {
    if (e == cudaSuccess) e = cudaErrorNoDevice;
    (void)cudaGetLastError();
    if (why) *why = std::string("no CUDA device: ") + cudaGetErrorString(e);
    return false;
  }
  DeviceGuard guard;
  const Status entered = guard.enter(0);
  const Status s = entered.is_ok() ? check_kernel_image(0) : entered;
  if (!s.is_ok()) {
    if (why) *why = s.message();
    return false;
  }
  if (why) why->clear();
  return true;
}

std::string device_description(int device) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || device < 0 || device >= count) {
    (void)cudaGetLastError();
    return "";
  }
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, device) != cudaSuccess) {
    (void)cudaGetLastError();
    return "";
  }
  char memory[32];
  std::snprintf(memory, sizeof memory, "%.1f GiB", static_cast<double>(p.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  return std::string(p.name) + " (sm_" + std::to_string(p.major) + std::to_string(p.minor) + ", " + memory + ", " +
         std::to_string(p.multiProcessorCount) + " SMs)";
}

Status check_primary_context(int device, const void* cu_context) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count <= 0) {
    if (e == cudaSuccess) e = cudaErrorNoDevice;
    (void)cudaGetLastError();
    return Status(StatusCode::kUnavailable, std::string("no CUDA device: ") + cudaGetErrorString(e));
  }
  if (device < 0 || device >= count)
    return Status(StatusCode::kUnavailable,
                  "no CUDA device " + std::to_string(device) + " (" + std::to_string(count) + " present)");
  if (cu_context == nullptr) return invalid("no CUDA context given");
  DeviceGuard guard;
  VHM_RETURN_IF_ERROR(guard.enter(device));
  VHM_CUDA_TRY(cudaFree(nullptr));  // the runtime's context of `device` exists and is current here
  // The driver's cuCtxGetCurrent, found at run time (the static runtime links no libcuda).
  void* entry = nullptr;
  cudaDriverEntryPointQueryResult found = cudaDriverEntryPointSymbolNotFound;
#if CUDART_VERSION >= 12050
  VHM_CUDA_TRY(cudaGetDriverEntryPointByVersion("cuCtxGetCurrent", &entry, 12000, cudaEnableDefault, &found));
#else
  VHM_CUDA_TRY(cudaGetDriverEntryPoint("cuCtxGetCurrent", &entry, cudaEnableDefault, &found));
#endif
  if (entry == nullptr || found != cudaDriverEntryPointSuccess)
    return internal("the CUDA driver has no cuCtxGetCurrent");
  using CtxGetCurrent = int (*)(void**);  // CUresult cuCtxGetCurrent(CUcontext*)
  void* current = nullptr;
  if (const int rc = reinterpret_cast<CtxGetCurrent>(entry)(&current); rc != 0)
    return internal("cuCtxGetCurrent failed (CUresult " + std::to_string(rc) + ")");
  if (current != cu_context)
    return Status(StatusCode::kUnavailable,
                  "the decoder's CUDA context is not the primary context of CUDA device " + std::to_string(device) +
                      ", which the PDQ kernels use: decoded frames would be unreadable to them");
  return {};
}

Result<std::unique_ptr<PdqCudaHasher>> PdqCudaHasher::create(int device) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count <= 0) {
    if (e == cudaSuccess) e = cudaErrorNoDevice;
    (void)cudaGetLastError();
    return Status(StatusCode::kUnavailable, std::string("no CUDA device: ") + cudaGetErrorString(e));
  }
  if (device < 0) return invalid("CUDA device index " + std::to_string(device));
  if (device >= count)
    return Status(StatusCode::kUnavailable,
                  "no CUDA device " + std::to_string(device) + " (" + std::to_string(count) + " present)");
  DeviceGuard guard;
  VHM_RETURN_IF_ERROR(guard.enter(device));
  VHM_RETURN_IF_ERROR(check_kernel_image(device));
  auto impl = std::make_unique<Impl>();
  impl->device = device;
  VHM_RETURN_IF_ERROR(impl->init());
  return std::unique_ptr<PdqCudaHasher>(new PdqCudaHasher(std::move(impl)));
}

PdqCudaHasher::PdqCudaHasher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PdqCudaHasher::~PdqCudaHasher() = default;

// The public entry points: argument checks, the device made current, and exceptions
// from the host side (allocation of the small host vectors) turned into a Status.
namespace {
template <typename F>
Status guarded(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return internal(std::string("PDQ CUDA hasher: ") + e.what());
  }
}
}  // namespace

Status PdqCudaHasher::hash_device_batch(std::span<const ImageView> frames, std::span<PdqHash> out,
                                        std::span<PdqDct> dcts) {
  VHM_RETURN_IF_ERROR(validate(frames, out.size(), dcts.size()));
  if (frames.empty()) return {};
  return guarded([&] {
    DeviceGuard guard;
    VHM_RETURN_IF_ERROR(guard.enter(impl_->device));
    return impl_->device_batch(frames, out, dcts);
  });
}

Status PdqCudaHasher::hash_device_luma_batch(std::span<const ImageView> frames, const std::array<uint8_t, 256>& lut,
                                             std::span<PdqHash> out, std::span<PdqDct> dcts) {
  VHM_RETURN_IF_ERROR(validate(frames, out.size(), dcts.size()));
  for (size_t k = 0; k < frames.size(); ++k)
    if (frames[k].format != PixelFormat::kGray8)
      return invalid("frame " + std::to_string(k) + ": hash_device_luma_batch takes grey (kGray8) planes only");
  if (frames.empty()) return {};
  return guarded([&] {
    DeviceGuard guard;
    VHM_RETURN_IF_ERROR(guard.enter(impl_->device));
    VHM_RETURN_IF_ERROR(impl_->load_lut(lut));
    return impl_->device_batch(frames, out, dcts, impl_->lut.get());
  });
}

Status PdqCudaHasher::hash_host_batch(std::span<const ImageView> frames, std::span<PdqHash> out,
                                      std::span<PdqDct> dcts) {
  VHM_RETURN_IF_ERROR(validate(frames, out.size(), dcts.size()));
  if (frames.empty()) return {};
  return guarded([&] {
    DeviceGuard guard;
    VHM_RETURN_IF_ERROR(guard.enter(impl_->device));
    return impl_->host_batch(frames, out, dcts);
  });
}

}  // namespace vhm::gpu
