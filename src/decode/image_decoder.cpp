#include "decode/image_decoder.h"

#include <unistd.h>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string_view>

#include <jpeglib.h>
#include <png.h>

#include "decode/av_ptr.h"
#include "decode/input_source.h"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
}

namespace vhm {
namespace {

bool is_jpeg(std::span<const uint8_t> b) { return b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF; }
bool is_png(std::span<const uint8_t> b) { return b.size() >= 8 && png_sig_cmp(b.data(), 0, 8) == 0; }

// ---------------------------------------------------------------- JPEG (libjpeg)

struct JpegErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Decodes with libjpeg's defaults (islow IDCT, fancy upsampling), as CImg does, so the
// pixels equal the reference tool's. CMYK (Adobe, inverted) becomes RGB by
// R = C'K'/255 with C', K' the stored (inverted) values.
// The picture's size against the limits, from its header (nothing allocated yet).
Status check_picture_size(int64_t width, int64_t height, const MediaLimits& limits, const char* what) {
  if (width > 0 && height > 0 && width <= limits.max_side && height <= limits.max_side &&
      width * height <= limits.max_pixels)
    return Status::ok();
  if (width <= 0 || height <= 0)
    return {StatusCode::kCorrupt,
            std::string(what) + " has no pixels (" + std::to_string(width) + "x" + std::to_string(height) + ")"};
  return {StatusCode::kLimitExceeded, std::string(what) + " of " + std::to_string(width) + "x" +
                                          std::to_string(height) + " is over the limit of " +
                                          std::to_string(limits.max_side) + " a side or " +
                                          std::to_string(limits.max_pixels) + " pixels (--max-pixels)"};
}

Status decode_jpeg(std::span<const uint8_t> bytes, const MediaLimits& limits, DecodedImage& out) {
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  std::vector<uint8_t> row;  // constructed before setjmp: a longjmp skips no destructor
  cinfo.err = jpeg_std_error(&err.base);
  err.base.error_exit = jpeg_error_exit;
  err.base.output_message = [](j_common_ptr) {};  // warnings are not printed
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return {StatusCode::kCorrupt, std::string("JPEG decode failed: ") + err.message};
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  if (Status s = check_picture_size(cinfo.image_width, cinfo.image_height, limits, "JPEG"); !s.is_ok()) {
    jpeg_destroy_decompress(&cinfo);
    return s;
  }
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  if (cmyk) cinfo.out_color_space = JCS_CMYK;
  jpeg_start_decompress(&cinfo);
  const int channels = cinfo.output_components;
  if (channels != 1 && channels != 3 && channels != 4) {
    jpeg_destroy_decompress(&cinfo);
    return {StatusCode::kUnsupported, "JPEG with " + std::to_string(channels) + " components"};
  }
  out.width = static_cast<int>(cinfo.output_width);
  out.height = static_cast<int>(cinfo.output_height);
  out.format = channels == 1 ? PixelFormat::kGray8 : PixelFormat::kRgb24;
  const int out_channels = channels == 1 ? 1 : 3;
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * out_channels);
  row.resize(static_cast<size_t>(out.width) * channels);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW rows[1] = {row.data()};
    const size_t y = cinfo.output_scanline;
    if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) break;  // CImg keeps what it has
    uint8_t* dst = out.pixels.data() + y * out.width * out_channels;
    if (channels == 4) {
      const bool inverted = cinfo.saw_Adobe_marker;
      for (int x = 0; x < out.width; ++x) {
        const uint8_t* p = &row[4 * x];
        const int k = inverted ? p[3] : 255 - p[3];
        for (int c = 0; c < 3; ++c) {
          const int v = inverted ? p[c] : 255 - p[c];
          dst[3 * x + c] = static_cast<uint8_t>((v * k + 127) / 255);
        }
      }
    } else {
      std::memcpy(dst, row.data(), row.size());
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  out.decoder = "libjpeg";
  if (cmyk) out.conversion = "CMYK converted to RGB";
  return Status::ok();
}

// ---------------------------------------------------------------- PNG (libpng)

struct PngReader {
  std::span<const uint8_t> bytes;
  size_t offset = 0;
};

void png_read_from_memory(png_structp png, png_bytep data, png_size_t length) {
  auto* r = static_cast<PngReader*>(png_get_io_ptr(png));
  if (r->offset + length > r->bytes.size()) png_error(png, "unexpected end of data (truncated file)");
  std::memcpy(data, r->bytes.data() + r->offset, length);
  r->offset += length;
}

void png_error_to_jump(png_structp png, png_const_charp message) {
  auto* text = static_cast<std::string*>(png_get_error_ptr(png));
  *text = message;
  png_longjmp(png, 1);
}

// Applies CImg's transforms (palette -> RGB, low-bit grey -> 8 bits, grey stays one
// channel) so the pixels equal the reference tool's. Alpha is dropped; 16-bit samples
// keep their most significant byte.
Status decode_png(std::span<const uint8_t> bytes, const MediaLimits& limits, DecodedImage& out) {
  std::string error_text;
  PngReader reader{bytes, 0};
  std::vector<uint8_t> rgba;  // before setjmp: see decode_jpeg
  std::vector<png_bytep> row_pointers;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error_text, png_error_to_jump,
                                           [](png_structp, png_const_charp) {});
  if (!png) return {StatusCode::kInternal, "png_create_read_struct failed"};
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return {StatusCode::kInternal, "png_create_info_struct failed"};
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return {StatusCode::kCorrupt, "PNG decode failed: " + error_text};
  }
  png_set_read_fn(png, &reader, png_read_from_memory);
  png_read_info(png, info);
  png_uint_32 width, height;
  int bit_depth, color_type, interlace;
  png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, nullptr, nullptr);
  if (Status s = check_picture_size(width, height, limits, "PNG"); !s.is_ok()) {
    png_destroy_read_struct(&png, &info, nullptr);
    return s;
  }
  bool gray = false;
  bool had_alpha = false;
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    png_set_palette_to_rgb(png);
    color_type = PNG_COLOR_TYPE_RGB;
  }
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) {
    png_set_tRNS_to_alpha(png);
    color_type |= PNG_COLOR_MASK_ALPHA;
  }
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
    png_set_gray_to_rgb(png);
    color_type |= PNG_COLOR_MASK_COLOR;
    gray = true;
  }
  had_alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0;
  if (!had_alpha) png_set_filler(png, 0xff, PNG_FILLER_AFTER);
  if (bit_depth == 16) png_set_strip_16(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  rgba.resize(static_cast<size_t>(width) * height * 4);
  row_pointers.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) row_pointers[y] = rgba.data() + static_cast<size_t>(y) * width * 4;
  png_read_image(png, row_pointers.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);

  out.width = static_cast<int>(width);
  out.height = static_cast<int>(height);
  out.format = gray ? PixelFormat::kGray8 : PixelFormat::kRgb24;
  const int channels = gray ? 1 : 3;
  out.pixels.resize(static_cast<size_t>(width) * height * channels);
  for (size_t p = 0, n = static_cast<size_t>(width) * height; p < n; ++p)
    for (int c = 0; c < channels; ++c) out.pixels[p * channels + c] = rgba[p * 4 + c];
  out.decoder = "libpng";
  std::string conv;
  if (had_alpha) conv = "alpha channel dropped";
  if (bit_depth == 16) conv += std::string(conv.empty() ? "" : ", ") + "16-bit samples reduced to 8";
  out.conversion = conv;
  return Status::ok();
}

// ---------------------------------------------------------------- everything else (FFmpeg)

bool is_gray_format(AVPixelFormat f) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(f);
  return d && d->nb_components <= 2 && !(d->flags & AV_PIX_FMT_FLAG_PAL) && !(d->flags & AV_PIX_FMT_FLAG_RGB);
}

// Nested opens (an image sequence's next file, a reference): refused, as for videos.
int refuse_nested_open(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**) { return AVERROR(EPERM); }

Status decode_with_ffmpeg(std::span<const uint8_t> bytes, const MediaLimits& limits, DecodedImage& out) {
  auto source = InputSource::from_memory(bytes, "", limits);
  if (!source) return source.status();
  const AVInputFormat* probed = nullptr;
  if (int rc = av_probe_input_buffer2((*source)->io(), &probed, nullptr, nullptr, 0, 0); rc < 0)
    return {StatusCode::kUnsupported, "not a recognised image format (" + av::error_text("probe", rc) + ")"};
  const std::string demuxer = probed->name ? probed->name : "";
  if (!demuxer_allowed(demuxer, kImageDemuxers))
    return {StatusCode::kUnsupported, "not a still image: FFmpeg reads it as '" + demuxer + "' media"};
  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) return {StatusCode::kInternal, "out of memory"};
  raw->pb = (*source)->io();
  raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  raw->io_open = &refuse_nested_open;
  raw->format_whitelist = av_strdup(std::string(kImageDemuxers).c_str());
  if (int rc = avformat_open_input(&raw, nullptr, probed, nullptr); rc < 0)  // frees raw on failure
    return {StatusCode::kUnsupported, "not a recognised image format (" + av::error_text("open", rc) + ")"};
  av::FormatContextPtr format(raw);
  // What the container's header claims (a GIF's logical screen), before any decoder
  // sees it; the decoders FFmpeg opens to probe allocate pictures too, and the pixel
  // limit holds there as well.
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    const AVCodecParameters* p = format->streams[i]->codecpar;
    if (p->codec_type == AVMEDIA_TYPE_VIDEO && p->width > 0 && p->height > 0)
      VHM_RETURN_IF_ERROR(check_picture_size(p->width, p->height, limits, "image"));
  }
  const std::string max_pixels = std::to_string(limits.max_pixels);
  std::vector<AVDictionary*> stream_options(format->nb_streams, nullptr);
  for (AVDictionary*& d : stream_options) av_dict_set(&d, "max_pixels", max_pixels.c_str(), 0);
  const int info_rc = avformat_find_stream_info(format.get(), stream_options.empty() ? nullptr : stream_options.data());
  for (AVDictionary*& d : stream_options) av_dict_free(&d);
  if (info_rc < 0) return {StatusCode::kCorrupt, av::error_text("reading stream info", info_rc)};
  const AVCodec* codec = nullptr;
  const int stream = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (stream < 0 || !codec) return {StatusCode::kUnsupported, "no decodable image in the file"};
  const AVCodecParameters* par = format->streams[stream]->codecpar;
  if (par->width > 0 && par->height > 0)
    VHM_RETURN_IF_ERROR(check_picture_size(par->width, par->height, limits, "image"));
  av::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) return {StatusCode::kInternal, "out of memory"};
  if (int rc = avcodec_parameters_to_context(ctx.get(), par); rc < 0)
    return {StatusCode::kInternal, av::error_text("avcodec_parameters_to_context", rc)};
  ctx->max_pixels = limits.max_pixels;
  if (int rc = avcodec_open2(ctx.get(), codec, nullptr); rc < 0)
    return {StatusCode::kUnsupported, av::error_text("opening the image decoder", rc)};

  av::PacketPtr packet(av_packet_alloc());
  av::FramePtr frame(av_frame_alloc());
  bool got = false;
  int rc = 0;
  while (!got && (rc = av_read_frame(format.get(), packet.get())) >= 0) {
    if (packet->stream_index == stream && avcodec_send_packet(ctx.get(), packet.get()) >= 0)
      got = avcodec_receive_frame(ctx.get(), frame.get()) >= 0;
    av_packet_unref(packet.get());
  }
  if (!got) {  // flush: some decoders hold the frame until the end
    avcodec_send_packet(ctx.get(), nullptr);
    got = avcodec_receive_frame(ctx.get(), frame.get()) >= 0;
  }
  if (!got) {
    // FFmpeg's decoder refuses to allocate a picture over max_pixels (say, a GIF's
    // logical screen) after learning its size: name the limit, not a mere failure.
    VHM_RETURN_IF_ERROR(check_picture_size(ctx->width, ctx->height, limits, "image"));
    return {StatusCode::kCorrupt, "the image decoder produced no picture"};
  }
  VHM_RETURN_IF_ERROR(check_picture_size(frame->width, frame->height, limits, "image"));

  const auto src_format = static_cast<AVPixelFormat>(frame->format);
  const bool gray = is_gray_format(src_format);
  const AVPixelFormat dst_format = gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
  out.width = frame->width;
  out.height = frame->height;
  out.format = gray ? PixelFormat::kGray8 : PixelFormat::kRgb24;
  const int channels = gray ? 1 : 3;
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * channels);
  av::SwsPtr sws(sws_getContext(out.width, out.height, src_format, out.width, out.height, dst_format,
                                SWS_AREA | SWS_ACCURATE_RND, nullptr, nullptr, nullptr));
  if (!sws)
    return {StatusCode::kUnsupported, std::string("cannot convert pixel format ") + av_get_pix_fmt_name(src_format)};
  uint8_t* dst[4] = {out.pixels.data(), nullptr, nullptr, nullptr};
  int dst_stride[4] = {out.width * channels, 0, 0, 0};
  sws_scale(sws.get(), frame->data, frame->linesize, 0, out.height, dst, dst_stride);
  out.decoder = std::string("ffmpeg:") + codec->name;
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(src_format);
  std::string conv = std::string("converted from ") + (desc ? desc->name : "?") + " by swscale";
  if (desc && (desc->flags & AV_PIX_FMT_FLAG_ALPHA)) conv += ", alpha channel dropped";
  out.conversion = conv;
  return Status::ok();
}

}  // namespace

bool looks_like_still_image(std::span<const uint8_t> b) {
  auto starts = [&b](std::string_view magic, size_t at = 0) {
    return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
  };
  return is_jpeg(b) || is_png(b) || starts("GIF87a") || starts("GIF89a") || (starts("RIFF") && starts("WEBP", 8)) ||
         starts("BM") || starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4));
}

Result<DecodedImage> decode_image(std::span<const uint8_t> bytes, const std::string& name, const MediaLimits& limits) {
  av::install_log_capture();
  av::take_last_log_error();
  if (bytes.empty()) return Status(StatusCode::kCorrupt, "empty file (0 bytes)", name);
  DecodedImage image;
  Status s = is_jpeg(bytes)  ? decode_jpeg(bytes, limits, image)
             : is_png(bytes) ? decode_png(bytes, limits, image)
                             : decode_with_ffmpeg(bytes, limits, image);
  if (!s.is_ok()) return s.with_subject(name);
  if (image.width <= 0 || image.height <= 0) return Status(StatusCode::kCorrupt, "image has no pixels", name);
  return image;
}

Result<std::vector<uint8_t>> read_file_bytes(const std::string& path, const MediaPolicy& policy) {
  auto where = locate_media(path, policy.access);
  if (!where) return where.status().with_subject(path);
  const int64_t max_bytes = policy.limits.max_image_bytes;
  OpenedFile file;
  if (where->protocol == MediaProtocol::kPipe) {
    file.fd = UniqueFd(::dup(STDIN_FILENO));
    if (file.fd.get() < 0)
      return Status(StatusCode::kIoError, std::string("cannot read stdin: ") + std::strerror(errno), path);
  } else if (where->protocol == MediaProtocol::kFile) {
    auto opened = open_regular_file(where->path, 0);
    if (!opened) return opened.status().with_subject(path);
    if (max_bytes > 0 && opened->size > max_bytes)
      return Status(StatusCode::kLimitExceeded,
                    "image file of " + std::to_string(opened->size) + " bytes is larger than the limit of " +
                        std::to_string(max_bytes) + " bytes (--max-image-mb)",
                    path);
    file = std::move(opened).value();
  } else {
    return Status(StatusCode::kUnsupported, "images are read from files or stdin, not URLs", path);
  }
  auto bytes = read_opened_file(file, path, max_bytes);
  if (!bytes && bytes.status().code() == StatusCode::kLimitExceeded)
    return Status(StatusCode::kLimitExceeded,
                  "image file larger than the limit of " + std::to_string(max_bytes) + " bytes (--max-image-mb)", path);
  return bytes;
}

Result<DecodedImage> decode_image_file(const std::string& path, const MediaPolicy& policy) {
  auto bytes = read_file_bytes(path, policy);
  if (!bytes) return bytes.status();
  return decode_image(*bytes, path, policy.limits);
}

bool resize_like_reference_photo_tool(DecodedImage& image, int max_side) {
  if (image.width <= max_side && image.height <= max_side) return false;
  const int channels = image.format == PixelFormat::kRgb24 ? 3 : 1;
  // CImg's nearest-neighbour resize: output x reads source floor(x * W / new_W),
  // computed in double; an unchanged side is copied straight.
  auto source_index = [](int out, int old_dim, int new_dim) {
    return old_dim == new_dim ? out : static_cast<int>(static_cast<double>(out) * old_dim / new_dim);
  };
  std::vector<uint8_t> resized(static_cast<size_t>(max_side) * max_side * channels);
  for (int y = 0; y < max_side; ++y) {
    const int sy = source_index(y, image.height, max_side);
    for (int x = 0; x < max_side; ++x) {
      const int sx = source_index(x, image.width, max_side);
      const uint8_t* src = image.pixels.data() + (static_cast<size_t>(sy) * image.width + sx) * channels;
      std::memcpy(resized.data() + (static_cast<size_t>(y) * max_side + x) * channels, src, channels);
    }
  }
  image.pixels = std::move(resized);
  image.width = max_side;
  image.height = max_side;
  return true;
}

}  // namespace vhm
