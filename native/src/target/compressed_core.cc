#include "target/compressed_core.h"

#include <fcntl.h>
#include <lz4frame.h>
#include <lzma.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "error.h"
#include "target/regular_file.h"

namespace cgostack {

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kChunk = 1 << 20;  // input read and output produced per step

// Writes decompressed bytes at increasing offsets of a memory file,
// skipping every page-aligned piece that is all zeros: it stays a hole,
// which reads back as zeros and takes no memory.
class HoleWriter {
 public:
  HoleWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  void Write(const uint8_t* p, size_t n) {
    const uint8_t* run = nullptr;  // start of the pending run of data to write
    uint64_t run_offset = 0;
    while (n) {
      size_t piece = std::min<size_t>(n, kPage - offset_ % kPage);
      if (AllZero(p, piece)) {
        if (run) Flush(run, p - run, run_offset), run = nullptr;
      } else if (!run) {
        run = p, run_offset = offset_;
      }
      offset_ += piece, p += piece, n -= piece;
    }
    if (run) Flush(run, p - run, run_offset);
  }
  uint64_t size() const { return offset_; }

 private:
  static bool AllZero(const uint8_t* p, size_t n) {
    static const uint8_t zeros[kPage] = {};
    return std::memcmp(p, zeros, n) == 0;
  }
  void Flush(const uint8_t* p, size_t n, uint64_t at) {
    while (n) {
      ssize_t w = ::pwrite(fd_, p, n, static_cast<off_t>(at));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0)
        throw Error("cannot decompress " + path_ + " into memory: " + std::strerror(w < 0 ? errno : ENOSPC));
      p += w, n -= w, at += w;
    }
  }
  int fd_;
  std::string path_;
  uint64_t offset_ = 0;
};

// One streaming decompressor.  Step consumes some of `in` and produces some
// of `out`; false (with *error) when the data cannot be decoded.
class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual bool Step(const uint8_t* in, size_t in_size, size_t* in_used, uint8_t* out, size_t out_size,
                    size_t* out_used, bool input_ended, std::string* error) = 0;
  // The input so far ends where a stream (frame) ends: nothing is missing.
  virtual bool Complete() const = 0;
};

class ZstdDecoder : public Decoder {
 public:
  ZstdDecoder() : ctx_(ZSTD_createDStream()) {
    if (!ctx_) throw Error("zstd: cannot allocate a decompression context");
  }
  ~ZstdDecoder() override { ZSTD_freeDStream(ctx_); }
  bool Step(const uint8_t* in, size_t in_size, size_t* in_used, uint8_t* out, size_t out_size, size_t* out_used,
            bool, std::string* error) override {
    ZSTD_inBuffer src{in, in_size, 0};
    ZSTD_outBuffer dst{out, out_size, 0};
    size_t hint = ZSTD_decompressStream(ctx_, &dst, &src);
    *in_used = src.pos, *out_used = dst.pos;
    if (ZSTD_isError(hint)) return *error = ZSTD_getErrorName(hint), false;
    // 0: a frame was completely decoded and flushed (several frames may
    // follow).  A call with nothing to do after the last frame would start
    // the next one and say it wants a header: it does not count.
    if (src.pos || dst.pos) complete_ = hint == 0;
    return true;
  }
  bool Complete() const override { return complete_; }

 private:
  ZSTD_DStream* ctx_;
  bool complete_ = false;
};

class Lz4Decoder : public Decoder {
 public:
  Lz4Decoder() {
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx_, LZ4F_VERSION)))
      throw Error("lz4: cannot allocate a decompression context");
  }
  ~Lz4Decoder() override { LZ4F_freeDecompressionContext(ctx_); }
  bool Step(const uint8_t* in, size_t in_size, size_t* in_used, uint8_t* out, size_t out_size, size_t* out_used,
            bool, std::string* error) override {
    size_t src = in_size, dst = out_size;
    size_t hint = LZ4F_decompress(ctx_, out, &dst, in, &src, nullptr);
    *in_used = src, *out_used = dst;
    if (LZ4F_isError(hint)) return *error = LZ4F_getErrorName(hint), false;
    if (src || dst) complete_ = hint == 0;  // 0: the frame is complete (an idle call does not count)
    return true;
  }
  bool Complete() const override { return complete_; }

 private:
  LZ4F_dctx* ctx_ = nullptr;
  bool complete_ = false;
};

class XzDecoder : public Decoder {
 public:
  XzDecoder() {
    // LZMA_CONCATENATED: several .xz streams one after the other, as `xz`
    // itself reads them.
    if (lzma_stream_decoder(&stream_, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
      throw Error("xz: cannot allocate a decompression context");
  }
  ~XzDecoder() override { lzma_end(&stream_); }
  bool Step(const uint8_t* in, size_t in_size, size_t* in_used, uint8_t* out, size_t out_size, size_t* out_used,
            bool input_ended, std::string* error) override {
    *in_used = *out_used = 0;
    if (complete_) return true;
    stream_.next_in = in, stream_.avail_in = in_size;
    stream_.next_out = out, stream_.avail_out = out_size;
    lzma_ret r = lzma_code(&stream_, input_ended ? LZMA_FINISH : LZMA_RUN);
    *in_used = in_size - stream_.avail_in, *out_used = out_size - stream_.avail_out;
    switch (r) {
      case LZMA_OK: return true;
      case LZMA_STREAM_END: complete_ = true; return true;
      case LZMA_BUF_ERROR: return true;  // no progress: the input ended inside a stream
      case LZMA_MEM_ERROR: *error = "out of memory"; return false;
      case LZMA_FORMAT_ERROR: *error = "not in the .xz format"; return false;
      case LZMA_OPTIONS_ERROR: *error = "unsupported compression options"; return false;
      case LZMA_DATA_ERROR: *error = "compressed data is corrupt"; return false;
      default: *error = "lzma error " + std::to_string(static_cast<int>(r)); return false;
    }
  }
  bool Complete() const override { return complete_; }

 private:
  lzma_stream stream_ = LZMA_STREAM_INIT;
  bool complete_ = false;
};

std::unique_ptr<Decoder> MakeDecoder(Compression c) {
  switch (c) {
    case Compression::kZstd: return std::make_unique<ZstdDecoder>();
    case Compression::kLz4: return std::make_unique<Lz4Decoder>();
    case Compression::kXz: return std::make_unique<XzDecoder>();
    case Compression::kNone: break;
  }
  return nullptr;
}

// Decompresses all of `in_fd` into `out_fd`; returns the damage ("" when
// the stream was whole).
std::string Decompress(int in_fd, Compression c, const std::string& path, HoleWriter* writer) {
  std::unique_ptr<Decoder> decoder = MakeDecoder(c);
  std::vector<uint8_t> in(kChunk), out(kChunk);
  size_t in_len = 0, in_pos = 0;
  bool input_ended = false;
  const std::string name = CompressionName(c);
  for (;;) {
    if (in_pos == in_len && !input_ended) {
      ssize_t n;
      do n = ::read(in_fd, in.data(), in.size());
      while (n < 0 && errno == EINTR);
      if (n < 0) throw Error("cannot read " + path + ": " + std::strerror(errno));
      in_len = static_cast<size_t>(n), in_pos = 0;
      input_ended = n == 0;
    }
    size_t used = 0, produced = 0;
    std::string error;
    bool ok = decoder->Step(in.data() + in_pos, in_len - in_pos, &used, out.data(), out.size(), &produced,
                            input_ended, &error);
    in_pos += used;
    writer->Write(out.data(), produced);
    if (!ok) return "the " + name + " data is damaged (" + error + ")";
    if (input_ended && in_pos == in_len && produced == 0) break;
    if (used == 0 && produced == 0 && in_pos < in_len) return "the " + name + " data is damaged (no progress)";
  }
  if (!decoder->Complete()) return "the " + name + " stream ends early (the compressed core is truncated)";
  return "";
}

}  // namespace

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kZstd: return "zstd";
    case Compression::kLz4: return "lz4";
    case Compression::kXz: return "xz";
    case Compression::kNone: break;
  }
  return "";
}

Compression SniffCompression(int fd) {
  uint8_t m[6] = {};
  if (::pread(fd, m, sizeof m, 0) < 4) return Compression::kNone;
  static const uint8_t zstd[] = {0x28, 0xB5, 0x2F, 0xFD};      // ZSTD_MAGICNUMBER, little-endian
  static const uint8_t lz4[] = {0x04, 0x22, 0x4D, 0x18};       // LZ4F_MAGICNUMBER, little-endian
  static const uint8_t xz[] = {0xFD, '7', 'z', 'X', 'Z', 0x00};  // .xz stream header
  if (std::memcmp(m, zstd, 4) == 0) return Compression::kZstd;
  if (std::memcmp(m, lz4, 4) == 0) return Compression::kLz4;
  if (std::memcmp(m, xz, 6) == 0) return Compression::kXz;
  return Compression::kNone;
}

std::string CompressedCoreAdvice(const std::string& path) {
  std::string why;
  int fd = TryOpenRegularFile(path, &why);
  if (fd < 0) return "";
  Compression c = SniffCompression(fd);
  ::close(fd);
  if (c == Compression::kNone) return "";
  const std::string name = CompressionName(c);
  // Each tool's own way to decompress to a new file, keeping the original.
  const std::string command = c == Compression::kZstd  ? "zstd -d " + path + " -o core"
                              : c == Compression::kLz4 ? "lz4 -d " + path + " core"
                                                       : "xz -dc " + path + " > core";
  return "GDB cannot open " + path + ": it is a " + name + "-compressed core; decompress it first (" + command +
         ", or coredumpctl dump -o core PID for systemd's cores) or read it as it is with the cgostack CLI";
}

OpenedCore OpenCoreBytes(const std::string& path) {
  OpenedCore core;
  int fd = OpenRegularFile(path);
  core.compression = SniffCompression(fd);
  struct stat st;
  uint64_t file_size = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  if (core.compression == Compression::kNone) {
    core.fd = fd, core.size = file_size;
    return core;
  }
  core.compressed_size = file_size;
  int mem = ::memfd_create("cgostack-core", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mem < 0) {
    int e = errno;
    ::close(fd);
    throw Error("cannot decompress " + path + ": no memory file (memfd_create: " + std::strerror(e) + ")");
  }
  try {
    HoleWriter writer(mem, path);
    core.damage = Decompress(fd, core.compression, path, &writer);
    core.size = writer.size();
    // The zero pages at the end were skipped: the size makes them holes.
    if (::ftruncate(mem, static_cast<off_t>(core.size)) != 0)
      throw Error("cannot decompress " + path + " into memory: " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::close(mem);
    throw;
  }
  ::close(fd);
  // Nothing changes it from now on (libelf maps it read-only).
  ::fcntl(mem, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  core.fd = mem;
  return core;
}

}  // namespace cgostack
