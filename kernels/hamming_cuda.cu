// The GPU Hamming scan of hamming_cuda.h.
//
//   range_kernel      one thread per bank code, a tile of 32 queries (and their bounds)
//                     in shared memory; hits appended through one atomic counter to a
//                     buffer that is grown, and the launch repeated, when it overflows.
//   histogram_kernel  one thread per bank code, a tile of 16 queries, a 257-bin
//                     distance histogram per query in shared memory, flushed with
//                     atomics (k-NN: the k-th distance of each query, then a range
//                     search at that bound).
// Codes are 32 bytes (two uint4 loads); distances are eight __popc of XORed words.
#include "kernels/hamming_cuda.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <string>

namespace vhm::gpu {
namespace {

constexpr int kThreads = 256;
constexpr int kRangeTile = 32;
constexpr int kHistTile = 16;
constexpr int kBins = 257;
constexpr size_t kMaxGridY = 65535;

struct Code {
  uint4 lo, hi;
};
static_assert(sizeof(Code) == 32);

__device__ __forceinline__ int distance(const Code& a, const Code& b) {
  return __popc(a.lo.x ^ b.lo.x) + __popc(a.lo.y ^ b.lo.y) + __popc(a.lo.z ^ b.lo.z) + __popc(a.lo.w ^ b.lo.w) +
         __popc(a.hi.x ^ b.hi.x) + __popc(a.hi.y ^ b.hi.y) + __popc(a.hi.z ^ b.hi.z) + __popc(a.hi.w ^ b.hi.w);
}

__global__ void range_kernel(const Code* __restrict__ codes, unsigned n, const Code* __restrict__ queries,
                             const int* __restrict__ bounds, unsigned nq, unsigned q0, HammingHit* out,
                             unsigned long long capacity, unsigned long long* counter) {
  __shared__ Code sq[kRangeTile];
  __shared__ int sb[kRangeTile];
  const unsigned tile = q0 + blockIdx.y * kRangeTile;
  if (threadIdx.x < kRangeTile && tile + threadIdx.x < nq) {
    sq[threadIdx.x] = queries[tile + threadIdx.x];
    sb[threadIdx.x] = bounds[tile + threadIdx.x];
  }
  __syncthreads();
  const unsigned row = blockIdx.x * kThreads + threadIdx.x;
  if (row >= n) return;
  const Code c = codes[row];
  const unsigned count = min(static_cast<unsigned>(kRangeTile), nq - tile);
  for (unsigned i = 0; i < count; ++i) {
    const int d = distance(c, sq[i]);
    if (d <= sb[i]) {
      const unsigned long long slot = atomicAdd(counter, 1ull);
      if (slot < capacity) out[slot] = HammingHit{tile + i, row, d};
    }
  }
}

__global__ void histogram_kernel(const Code* __restrict__ codes, unsigned n, const Code* __restrict__ queries,
                                 unsigned nq, unsigned q0, unsigned* counts) {
  __shared__ Code sq[kHistTile];
  __shared__ unsigned hist[kHistTile * kBins];
  const unsigned tile = q0 + blockIdx.y * kHistTile;
  for (unsigned i = threadIdx.x; i < kHistTile * kBins; i += kThreads) hist[i] = 0;
  if (threadIdx.x < kHistTile && tile + threadIdx.x < nq) sq[threadIdx.x] = queries[tile + threadIdx.x];
  __syncthreads();
  const unsigned row = blockIdx.x * kThreads + threadIdx.x;
  const unsigned count = min(static_cast<unsigned>(kHistTile), nq - tile);
  if (row < n) {
    const Code c = codes[row];
    for (unsigned i = 0; i < count; ++i) atomicAdd(&hist[i * kBins + distance(c, sq[i])], 1u);
  }
  __syncthreads();
  for (unsigned i = threadIdx.x; i < count * kBins; i += kThreads)
    if (hist[i]) atomicAdd(&counts[(tile + i / kBins) * kBins + i % kBins], hist[i]);
}

Status cuda_error(const char* what, cudaError_t e) {
  (void)cudaGetLastError();
  return Status(e == cudaErrorMemoryAllocation ? StatusCode::kUnavailable : StatusCode::kInternal,
                std::string(what) + ": " + cudaGetErrorString(e));
}

#define VHM_HAMMING_CUDA(what, call)                            \
  do {                                                          \
    const cudaError_t vhm_e_ = (call);                          \
    if (vhm_e_ != cudaSuccess) return cuda_error(what, vhm_e_); \
  } while (0)

// A device buffer grown on demand.
struct Buffer {
  void* ptr = nullptr;
  size_t bytes = 0;
  ~Buffer() {
    if (ptr) cudaFree(ptr);
  }
  Status reserve(size_t want) {
    if (want <= bytes) return Status::ok();
    if (ptr) cudaFree(ptr);
    ptr = nullptr;
    bytes = 0;
    VHM_HAMMING_CUDA("cudaMalloc", cudaMalloc(&ptr, want));
    bytes = want;
    return Status::ok();
  }
};

}  // namespace

struct HammingCudaScanner::Impl {
  int device = 0;
  cudaStream_t stream = nullptr;
  Buffer codes, queries, bounds, hits, counter, counts;
  size_t n = 0;

  ~Impl() {
    if (stream) {
      cudaSetDevice(device);
      cudaStreamDestroy(stream);
    }
  }
  Status enter() {
    VHM_HAMMING_CUDA("cudaSetDevice", cudaSetDevice(device));
    return Status::ok();
  }
  Status upload_queries(const void* q, size_t count) {
    VHM_RETURN_IF_ERROR(queries.reserve(std::max<size_t>(count, 1) * sizeof(Code)));
    VHM_HAMMING_CUDA("cudaMemcpy queries",
                     cudaMemcpyAsync(queries.ptr, q, count * sizeof(Code), cudaMemcpyHostToDevice, stream));
    return Status::ok();
  }
};

Result<std::unique_ptr<HammingCudaScanner>> HammingCudaScanner::create(int device) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count <= 0) {
    if (e == cudaSuccess) e = cudaErrorNoDevice;
    (void)cudaGetLastError();
    return Status(StatusCode::kUnavailable, std::string("no GPU: ") + cudaGetErrorString(e));
  }
  if (device < 0 || device >= count)
    return Status(StatusCode::kUnavailable, "no CUDA device " + std::to_string(device));
  auto impl = std::make_unique<Impl>();
  impl->device = device;
  VHM_RETURN_IF_ERROR(impl->enter());
  VHM_HAMMING_CUDA("cudaStreamCreate", cudaStreamCreate(&impl->stream));
  // A kernel image for this GPU (fails here, not at the first search, when none fits).
  cudaFuncAttributes attr{};
  e = cudaFuncGetAttributes(&attr, range_kernel);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return Status(StatusCode::kUnavailable,
                  std::string("no GPU kernel image for this device: ") + cudaGetErrorString(e));
  }
  VHM_RETURN_IF_ERROR(impl->counter.reserve(sizeof(unsigned long long)));
  return std::unique_ptr<HammingCudaScanner>(new HammingCudaScanner(std::move(impl)));
}

HammingCudaScanner::HammingCudaScanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HammingCudaScanner::~HammingCudaScanner() = default;

size_t HammingCudaScanner::size() const { return impl_->n; }
size_t HammingCudaScanner::device_bytes() const {
  return impl_->codes.bytes + impl_->queries.bytes + impl_->bounds.bytes + impl_->hits.bytes + impl_->counts.bytes;
}

Status HammingCudaScanner::set_codes(const void* codes, size_t count) {
  if (count > 0xffffffffu) return Status(StatusCode::kInvalidArgument, "gpu-flat holds at most 2^32-1 codes");
  Impl& m = *impl_;
  VHM_RETURN_IF_ERROR(m.enter());
  VHM_RETURN_IF_ERROR(m.codes.reserve(std::max<size_t>(count, 1) * sizeof(Code)));
  if (count)
    VHM_HAMMING_CUDA("cudaMemcpy codes", cudaMemcpy(m.codes.ptr, codes, count * sizeof(Code), cudaMemcpyHostToDevice));
  m.n = count;
  return Status::ok();
}

Status HammingCudaScanner::range_search(const void* queries, size_t count, const int32_t* max_distance,
                                        std::vector<HammingHit>& hits) {
  hits.clear();
  Impl& m = *impl_;
  if (count == 0 || m.n == 0) return Status::ok();
  if (count > 0xffffffffu) return Status(StatusCode::kInvalidArgument, "too many queries in one batch");
  VHM_RETURN_IF_ERROR(m.enter());
  VHM_RETURN_IF_ERROR(m.upload_queries(queries, count));
  VHM_RETURN_IF_ERROR(m.bounds.reserve(count * sizeof(int32_t)));
  VHM_HAMMING_CUDA("cudaMemcpy bounds", cudaMemcpyAsync(m.bounds.ptr, max_distance, count * sizeof(int32_t),
                                                        cudaMemcpyHostToDevice, m.stream));
  size_t capacity = std::max<size_t>(m.hits.bytes / sizeof(HammingHit), 1 << 16);
  for (int attempt = 0; attempt < 2; ++attempt) {
    VHM_RETURN_IF_ERROR(m.hits.reserve(capacity * sizeof(HammingHit)));
    VHM_HAMMING_CUDA("cudaMemset", cudaMemsetAsync(m.counter.ptr, 0, sizeof(unsigned long long), m.stream));
    const unsigned blocks_x = static_cast<unsigned>((m.n + kThreads - 1) / kThreads);
    const size_t tiles = (count + kRangeTile - 1) / kRangeTile;
    for (size_t t0 = 0; t0 < tiles; t0 += kMaxGridY) {
      const dim3 grid(blocks_x, static_cast<unsigned>(std::min(kMaxGridY, tiles - t0)));
      range_kernel<<<grid, kThreads, 0, m.stream>>>(
          static_cast<const Code*>(m.codes.ptr), static_cast<unsigned>(m.n), static_cast<const Code*>(m.queries.ptr),
          static_cast<const int*>(m.bounds.ptr), static_cast<unsigned>(count), static_cast<unsigned>(t0 * kRangeTile),
          static_cast<HammingHit*>(m.hits.ptr), capacity, static_cast<unsigned long long*>(m.counter.ptr));
      VHM_HAMMING_CUDA("range_kernel", cudaPeekAtLastError());
    }
    unsigned long long found = 0;
    VHM_HAMMING_CUDA("cudaMemcpy counter",
                     cudaMemcpyAsync(&found, m.counter.ptr, sizeof found, cudaMemcpyDeviceToHost, m.stream));
    VHM_HAMMING_CUDA("cudaStreamSynchronize", cudaStreamSynchronize(m.stream));
    if (found <= capacity) {
      hits.resize(found);
      if (found)
        VHM_HAMMING_CUDA("cudaMemcpy hits",
                         cudaMemcpy(hits.data(), m.hits.ptr, found * sizeof(HammingHit), cudaMemcpyDeviceToHost));
      std::sort(hits.begin(), hits.end(), [](const HammingHit& a, const HammingHit& b) {
        return a.query != b.query ? a.query < b.query : a.row < b.row;
      });
      return Status::ok();
    }
    capacity = found;  // the exact count: the second launch fits
  }
  return Status(StatusCode::kInternal, "GPU range search overflowed twice");
}

Status HammingCudaScanner::histograms(const void* queries, size_t count, std::vector<uint32_t>& counts) {
  counts.assign(count * kBins, 0);
  Impl& m = *impl_;
  if (count == 0 || m.n == 0) return Status::ok();
  VHM_RETURN_IF_ERROR(m.enter());
  VHM_RETURN_IF_ERROR(m.upload_queries(queries, count));
  VHM_RETURN_IF_ERROR(m.counts.reserve(count * kBins * sizeof(uint32_t)));
  VHM_HAMMING_CUDA("cudaMemset", cudaMemsetAsync(m.counts.ptr, 0, count * kBins * sizeof(uint32_t), m.stream));
  const unsigned blocks_x = static_cast<unsigned>((m.n + kThreads - 1) / kThreads);
  const size_t tiles = (count + kHistTile - 1) / kHistTile;
  for (size_t t0 = 0; t0 < tiles; t0 += kMaxGridY) {
    const dim3 grid(blocks_x, static_cast<unsigned>(std::min(kMaxGridY, tiles - t0)));
    histogram_kernel<<<grid, kThreads, 0, m.stream>>>(
        static_cast<const Code*>(m.codes.ptr), static_cast<unsigned>(m.n), static_cast<const Code*>(m.queries.ptr),
        static_cast<unsigned>(count), static_cast<unsigned>(t0 * kHistTile), static_cast<unsigned*>(m.counts.ptr));
    VHM_HAMMING_CUDA("histogram_kernel", cudaPeekAtLastError());
  }
  VHM_HAMMING_CUDA("cudaMemcpy counts", cudaMemcpyAsync(counts.data(), m.counts.ptr, count * kBins * sizeof(uint32_t),
                                                        cudaMemcpyDeviceToHost, m.stream));
  VHM_HAMMING_CUDA("cudaStreamSynchronize", cudaStreamSynchronize(m.stream));
  return Status::ok();
}

}  // namespace vhm::gpu
