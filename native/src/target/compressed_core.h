// Cores as systemd-coredump stores them (/var/lib/systemd/coredump/
// core.*.zst, .lz4 or .xz): read directly, without a decompressed copy on
// disk.  The format is told by the file's magic number, never its suffix.
// The decompressed core lives in an anonymous memory file (memfd) that the
// rest of cgostack maps and hands to libelf/libdwfl like the core file
// itself; runs of zero pages are left as holes, so the sparse stack
// reservations of a core of thousands of threads (gigabytes of zeros)
// cost decompression time but no memory.
#pragma once

#include <cstdint>
#include <string>

namespace cgostack {

enum class Compression { kNone, kZstd, kLz4, kXz };

// "zstd", "lz4", "xz"; "" for kNone.
const char* CompressionName(Compression c);

// The compression of the file open on `fd`, from its first bytes (read
// with pread: the file offset is left alone).
Compression SniffCompression(int fd);

struct OpenedCore {
  int fd = -1;                       // the core's bytes (owned by the caller)
  Compression compression = Compression::kNone;
  uint64_t compressed_size = 0;      // the file's size when compressed
  uint64_t size = 0;                 // bytes of core (decompressed)
  // When the compressed stream ends early or is damaged: why, in words
  // ("the zstd stream ends early"); the bytes before it are still the core.
  std::string damage;
};

// Opens the core at `path` (a regular file only, target/regular_file.h);
// a compressed one is decompressed into a sealed memfd.  Throws Error with
// one line when the file cannot be opened or no memory file can be made.
OpenedCore OpenCoreBytes(const std::string& path);

// GDB cannot open a compressed core.  For a compressed regular file at
// `path`: one line saying so and what to do; "" for anything else.
std::string CompressedCoreAdvice(const std::string& path);

}  // namespace cgostack
