// What one input may make vhm read, and how much of the machine it may take.
//
// An input is untrusted (docs/SECURITY.md). Two rules follow:
//   - access: an input is decoded from its own bytes only. vhm opens the input itself
//     (memory, a local file it has checked, stdin, or a URL of an allowed protocol) and
//     hands FFmpeg the bytes through its own I/O context; FFmpeg never opens anything
//     else on the input's behalf (no playlists, concat lists, image sequences, external
//     references: every nested open is refused), and only container demuxers are
//     allowed (kVideoDemuxers / kImageDemuxers). Local paths must name regular files
//     (a FIFO or a device would block or never end) under the allowed roots, if any;
//   - limits: a picture's pixel count is checked before anything is allocated for it
//     (every decoder: libjpeg, libpng and FFmpeg's), and each input has a byte and a
//     wall-time budget.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vhm {

struct MediaLimits {
  // Pixels of one picture (a video frame, an image): width * height. 200 Mpx takes a
  // 200 MP phone photo (16320 x 12240); a 16000 x 16000 GIF screen is refused.
  int64_t max_pixels = 200'000'000;
  int max_side = 32768;  // either side
  // An image is read whole into memory: files larger than this are refused unread.
  int64_t max_image_bytes = int64_t{256} << 20;
  // Bytes one input may supply (file, pipe, URL); 0: no limit.
  int64_t max_input_bytes = int64_t{64} << 30;
  // Wall-clock seconds one input may take to decode; 0: no limit.
  double max_seconds = 0;
};

// Protocols an input named by a path or URL may use: vhm's names, each standing for the
// FFmpeg protocols it needs ("https" is https over tls over tcp).
enum class MediaProtocol : uint8_t { kFile, kPipe, kHttp, kHttps };
const char* media_protocol_name(MediaProtocol p);

struct MediaAccess {
  // Inputs named by a path or URL may use these protocols; none: only bytes in memory.
  std::vector<MediaProtocol> protocols = {MediaProtocol::kFile, MediaProtocol::kPipe, MediaProtocol::kHttp,
                                          MediaProtocol::kHttps};
  // Local files must lie inside one of these directories (after resolving symbolic
  // links); empty: anywhere.
  std::vector<std::string> roots;

  bool allows(MediaProtocol p) const;
  // Nothing but bytes in memory: the daemon's default for jobs that name a path.
  static MediaAccess memory_only() { return MediaAccess{{}, {}}; }
};

struct MediaPolicy {
  MediaAccess access;
  MediaLimits limits;
};

// Parses "file,pipe,http,https" (also "none" or "" for no protocol); errors name the
// unknown entry and the known ones.
Result<std::vector<MediaProtocol>> parse_media_protocols(std::string_view list);
// "file,pipe,http,https" (or "none").
std::string media_protocols_text(const std::vector<MediaProtocol>& protocols);

// How a path or URL input would be read: its protocol and, for local files, the path.
struct MediaLocation {
  MediaProtocol protocol = MediaProtocol::kFile;
  std::string path;  // kFile: the local path ("file:" removed); kPipe: "" (stdin)
  std::string url;   // kHttp(s): the URL
};

// Where `url` points and whether `access` lets an input go there (protocol allowed,
// local file inside the roots). kPermissionDenied names the rule; kUnsupported names
// a protocol vhm does not read at all. Nothing is opened.
Result<MediaLocation> locate_media(const std::string& url, const MediaAccess& access);

// A file descriptor that closes itself.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

struct OpenedFile {
  UniqueFd fd;
  int64_t size = 0;
};

// Opens a local file for reading without blocking (O_NONBLOCK: a FIFO cannot hold the
// open) and refuses what is not a regular file: a directory, a FIFO, a device, a
// socket (kUnsupported, naming what it is), or one larger than max_bytes (0: no
// limit; kLimitExceeded). Errors name `path`.
Result<OpenedFile> open_regular_file(const std::string& path, int64_t max_bytes);

// Reads a whole opened file (at most max_bytes + 1 bytes are asked for, so a file that
// grew is caught); errors name `path`.
Result<std::vector<uint8_t>> read_opened_file(OpenedFile& file, const std::string& path, int64_t max_bytes);

// FFmpeg demuxers an input may be read with (comma-separated, FFmpeg's format_whitelist
// syntax): containers and elementary streams that carry their pictures in their own
// bytes. Not allowed: hls, dash, concat, image2 (sequences), and every other demuxer
// that opens further files or URLs, or reads a device (svg_pipe too: SVG may link files).
inline constexpr std::string_view kVideoDemuxers =
    "mov,matroska,avi,flv,live_flv,mpegts,mpeg,mpegvideo,m4v,h261,h263,h264,hevc,vc1,obu,dirac,dnxhd,ivf,ogg,asf,"
    "nut,mxf,gxf,wtv,yuv4mpegpipe,gif,dv,rm,mjpeg,apng,"
    // audio-only containers, so that such a file is "no video stream" rather than refused
    "mp3,aac,ac3,eac3,flac,wav,w64,aiff,caf,amr";
// Still images the FFmpeg image path reads: single-picture parsers.
inline constexpr std::string_view kImageDemuxers =
    "bmp_pipe,dds_pipe,dpx_pipe,exr_pipe,gif,gif_pipe,j2k_pipe,jpeg_pipe,jpegls_pipe,pam_pipe,pbm_pipe,pcx_pipe,"
    "pgm_pipe,pgmyuv_pipe,pgx_pipe,phm_pipe,photocd_pipe,pictor_pipe,png_pipe,ppm_pipe,psd_pipe,qdraw_pipe,qoi_pipe,"
    "sgi_pipe,sunrast_pipe,tiff_pipe,webp_pipe,xbm_pipe,xpm_pipe,xwd_pipe,apng,webp";

// Whether FFmpeg's demuxer `name` (as AVInputFormat::name, e.g. "mov,mp4,m4a,3gp,3g2,mj2")
// is in `allowed` (any of its comma-separated names).
bool demuxer_allowed(std::string_view name, std::string_view allowed);

}  // namespace vhm
