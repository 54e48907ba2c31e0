#include "index/index_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace vhm::index_file {
namespace {

constexpr char kMagic[8] = {'V', 'H', 'M', 'I', 'N', 'D', 'E', 'X'};
constexpr uint64_t kMul1 = 0x87c37b91114253d5ull;
constexpr uint64_t kMul2 = 0x4cf5ad432745937full;

uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

uint64_t avalanche(uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ull;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44dull;
  x ^= x >> 33;
  return x;
}

// The fixed header, little-endian as it lies in memory on x86-64.
struct RawHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;
  uint64_t count;
  uint64_t payload_bytes;
  uint64_t payload_checksum;
  char spec[kMaxSpec + 1];
  uint64_t header_checksum;  // of every byte above
};
static_assert(sizeof(RawHeader) == kHeaderBytes);

std::string errno_text() { return std::strerror(errno); }

const char* file_kind(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

// ---------------------------------------------------------------------------- ReadOnlyFile

ReadOnlyFile& ReadOnlyFile::operator=(ReadOnlyFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    size_ = o.size_;
    fd_ = o.release();
  }
  return *this;
}

ReadOnlyFile::~ReadOnlyFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status ReadOnlyFile::read_exactly(void* data, size_t size, const std::string& path) const {
  auto* p = static_cast<uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::read(fd_, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return {StatusCode::kIoError, "read failed: " + errno_text(), path};
    if (n == 0) return {StatusCode::kCorrupt, "the file ends early (changed while read?)", path};
    p += n;
    size -= static_cast<size_t>(n);
  }
  return Status::ok();
}

Result<ReadOnlyFile> open_regular_file(const std::string& path) {
  ReadOnlyFile f;
  f.fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (f.fd_ < 0) {
    const StatusCode code = errno == ENOENT ? StatusCode::kNotFound : StatusCode::kIoError;
    return Status(code, "cannot open: " + errno_text(), path);
  }
  struct stat st {};
  if (::fstat(f.fd_, &st) != 0) return Status(StatusCode::kIoError, "fstat failed: " + errno_text(), path);
  if (!S_ISREG(st.st_mode))
    return Status(StatusCode::kCorrupt, std::string("is ") + file_kind(st.st_mode) + ", not a regular file", path);
  // Regular files never block; reads are plain blocking reads again.
  const int flags = ::fcntl(f.fd_, F_GETFL);
  if (flags >= 0) (void)::fcntl(f.fd_, F_SETFL, flags & ~O_NONBLOCK);
  f.size_ = static_cast<uint64_t>(st.st_size);
  return f;
}

// ---------------------------------------------------------------------------- Checksum

void Checksum::block(const uint8_t* p) {
  for (int i = 0; i < 4; ++i) {
    uint64_t lane = lanes_[i] ^ (load64(p + 8 * i) * kMul1);
    lanes_[i] = std::rotl(lane, 31) * kMul2 + static_cast<uint64_t>(i + 1);
  }
}

void Checksum::update(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  total_ += size;
  if (pending_size_) {
    const size_t take = std::min(size, 32 - pending_size_);
    std::memcpy(pending_ + pending_size_, p, take);
    pending_size_ += take;
    p += take;
    size -= take;
    if (pending_size_ < 32) return;
    block(pending_);
    pending_size_ = 0;
  }
  for (; size >= 32; p += 32, size -= 32) block(p);
  std::memcpy(pending_, p, size);
  pending_size_ = size;
}

uint64_t Checksum::digest() const {
  Checksum c = *this;
  uint8_t tail[32] = {};
  std::memcpy(tail, c.pending_, c.pending_size_);
  tail[31] = static_cast<uint8_t>(c.pending_size_ | 0x80);
  c.block(tail);
  uint64_t h = c.total_ * kMul1;
  for (int i = 0; i < 4; ++i) h = avalanche(h ^ c.lanes_[i]) + kMul2;
  return h;
}

uint64_t checksum(const void* data, size_t size) {
  Checksum c;
  c.update(data, size);
  return c.digest();
}

// ---------------------------------------------------------------------------- writing

Status Writer::write(const void* data, size_t size) {
  if (size == 0) return Status::ok();
  if (std::fwrite(data, 1, size, file_) != size) return {StatusCode::kIoError, "write failed: " + errno_text()};
  checksum_.update(data, size);
  bytes_ += size;
  return Status::ok();
}

Status write_file(const std::string& path, const std::string& spec, uint64_t count,
                  const std::function<Status(Writer&)>& body) {
  if (spec.size() > kMaxSpec) return {StatusCode::kInvalidArgument, "index spec too long to save: " + spec, path};
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  Writer w;
  w.file_ = std::fopen(tmp.c_str(), "wb");
  if (!w.file_) return {StatusCode::kIoError, "cannot create: " + errno_text(), tmp};
  std::setvbuf(w.file_, nullptr, _IOFBF, 1 << 20);
  auto fail = [&](Status s) {
    std::fclose(w.file_);
    std::remove(tmp.c_str());
    return s.with_subject(path);
  };
  RawHeader h{};
  if (std::fwrite(&h, sizeof h, 1, w.file_) != 1) return fail({StatusCode::kIoError, "write failed: " + errno_text()});
  if (Status s = body(w); !s.is_ok()) return fail(s);
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kVersion;
  h.header_bytes = kHeaderBytes;
  h.count = count;
  h.payload_bytes = w.bytes_;
  h.payload_checksum = w.checksum_.digest();
  std::memcpy(h.spec, spec.data(), spec.size());
  h.header_checksum = checksum(&h, offsetof(RawHeader, header_checksum));
  if (std::fseek(w.file_, 0, SEEK_SET) != 0 || std::fwrite(&h, sizeof h, 1, w.file_) != 1 || std::fflush(w.file_) != 0)
    return fail({StatusCode::kIoError, "write failed: " + errno_text()});
  if (std::fclose(w.file_) != 0) {
    std::remove(tmp.c_str());
    return {StatusCode::kIoError, "close failed: " + errno_text(), path};
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const Status s{StatusCode::kIoError, "rename failed: " + errno_text(), path};
    std::remove(tmp.c_str());
    return s;
  }
  return Status::ok();
}

// ---------------------------------------------------------------------------- reading

Reader::~Reader() {
  if (file_) std::fclose(file_);
}

Status Reader::corrupt(const std::string& what) const {
  return {StatusCode::kCorrupt, "corrupt index file: " + what, path_};
}

Result<std::unique_ptr<Reader>> Reader::open(const std::string& path) {
  std::unique_ptr<Reader> r(new Reader());
  r->path_ = path;
  auto opened = open_regular_file(path);
  if (!opened) return opened.status();
  const uint64_t file_size = opened->size();
  r->file_ = ::fdopen(opened->fd(), "rb");
  if (!r->file_) return Status(StatusCode::kIoError, "fdopen failed: " + errno_text(), path);
  opened->release();  // the FILE owns it now
  std::setvbuf(r->file_, nullptr, _IOFBF, 1 << 20);
  RawHeader h{};
  if (std::fread(&h, sizeof h, 1, r->file_) != 1) return r->corrupt("shorter than its header");
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) return r->corrupt("not a vhm index (bad magic)");
  if (h.header_checksum != checksum(&h, offsetof(RawHeader, header_checksum)))
    return r->corrupt("header checksum mismatch");
  if (h.version != kVersion)
    return Status(
        StatusCode::kUnsupported,
        "index file version " + std::to_string(h.version) + " (this vhm reads " + std::to_string(kVersion) + ")", path);
  if (h.header_bytes != kHeaderBytes || h.spec[kMaxSpec] != '\0') return r->corrupt("bad header");
  r->header_.spec = h.spec;
  r->header_.count = h.count;
  r->header_.payload_bytes = h.payload_bytes;
  r->header_.payload_checksum = h.payload_checksum;
  // The payload must be exactly what the header says (the size as fstat() saw it: the
  // file is regular, so nothing is read to learn it).
  if (h.payload_bytes > UINT64_MAX - kHeaderBytes || file_size != kHeaderBytes + h.payload_bytes)
    return r->corrupt("file size does not match its header (truncated or extended)");
  return r;
}

Status Reader::verify_payload() {
  if (consumed_ != 0) return {StatusCode::kInternal, "verify_payload after reading", path_};
  Checksum c;
  std::vector<uint8_t> buf(4 << 20);
  for (uint64_t left = header_.payload_bytes; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
    if (std::fread(buf.data(), 1, n, file_) != n) return corrupt("payload unreadable");
    c.update(buf.data(), n);
    left -= n;
  }
  if (c.digest() != header_.payload_checksum) return corrupt("payload checksum mismatch");
  if (std::fseek(file_, kHeaderBytes, SEEK_SET) != 0) return {StatusCode::kIoError, "seek failed", path_};
  verified_ = true;
  return Status::ok();
}

Status Reader::read(void* data, size_t size) {
  if (size > remaining()) return corrupt("payload ends early");
  auto* p = static_cast<uint8_t*>(data);
  // In pieces, so the checksum runs over bytes still in cache.
  for (size_t left = size; left > 0;) {
    const size_t n = std::min<size_t>(left, 8 << 20);
    if (std::fread(p, 1, n, file_) != n) return corrupt("payload unreadable");
    if (!verified_) checksum_.update(p, n);
    p += n;
    left -= n;
  }
  consumed_ += size;
  return Status::ok();
}

Status Reader::finish() {
  if (remaining() != 0) return corrupt("payload longer than its index");
  if (!verified_ && checksum_.digest() != header_.payload_checksum) return corrupt("payload checksum mismatch");
  return Status::ok();
}

}  // namespace vhm::index_file
