#include "target/debug_file_lookup.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "error.h"
#include "target/debuginfod_client.h"

namespace cgostack {

namespace {

std::string DirName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// The one place a candidate is opened: a regular file, read-only; its CRC-32
// (zlib's, the one .gnu_debuglink records).  nullopt if it cannot be read.
std::optional<uint32_t> FileCrc32(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  struct stat st;
  std::optional<uint32_t> crc;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    uLong c = crc32(0L, Z_NULL, 0);
    std::vector<unsigned char> buf(1 << 20);
    ssize_t n;
    while ((n = ::read(fd, buf.data(), buf.size())) > 0) c = crc32(c, buf.data(), static_cast<uInt>(n));
    if (n == 0) crc = static_cast<uint32_t>(c);
  }
  ::close(fd);
  return crc;
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// A candidate whose build-id is that of the executable (ElfImage::Open
// throws for what is not ELF).
bool SameBuildId(const std::string& path, const std::string& build_id) {
  if (!IsRegularFile(path)) return false;
  try {
    return ElfImage::Open(path)->GnuBuildId() == build_id;
  } catch (const Error&) {
    return false;
  }
}

// .gnu_debuglink: next to the executable, in its .debug/, under each debug dir.
std::optional<DebugFile> ByDebuglink(ElfImage& exe, const std::vector<std::string>& debug_dirs) {
  // A NUL-terminated file name, padded to 4, then the CRC-32.
  auto link = exe.Section(".gnu_debuglink");
  if (!link) return std::nullopt;
  size_t name_len = strnlen(link->data(), link->size());
  size_t crc_at = (name_len + 4) & ~size_t{3};
  if (name_len == 0 || crc_at + 4 > link->size()) return std::nullopt;
  std::string name(link->data(), name_len);
  if (name.find('/') != std::string::npos) return std::nullopt;  // a name, never a path
  uint32_t want;
  std::memcpy(&want, link->data() + crc_at, 4);
  char* real = ::realpath(exe.path().c_str(), nullptr);
  std::string dir = DirName(real ? std::string(real) : exe.path());
  std::free(real);
  std::vector<std::string> candidates = {dir + "/" + name, dir + "/.debug/" + name};
  for (const auto& d : debug_dirs) candidates.push_back(d + (dir[0] == '/' ? "" : "/") + dir + "/" + name);
  for (const auto& p : candidates) {
    if (p == exe.path() || !IsRegularFile(p)) continue;
    if (FileCrc32(p) == want) return DebugFile{p, ".gnu_debuglink"};
  }
  return std::nullopt;
}

}  // namespace

std::optional<DebugFile> FindSeparateDebugFile(ElfImage& exe, const std::vector<std::string>& debug_dirs) {
  std::string id = exe.GnuBuildId();
  if (id.size() >= 2) {
    std::string hex = BuildIdHex(id);
    for (const auto& dir : debug_dirs) {
      std::string p = dir + "/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) + ".debug";
      if (SameBuildId(p, id)) return DebugFile{p, "build-id"};
    }
  }
  if (auto found = ByDebuglink(exe, debug_dirs)) return found;
  // Last, as GDB and libdwfl do: the debuginfod servers DEBUGINFOD_URLS names.
  if (auto file = DebuginfodDebugFile(BuildIdHex(id))) return DebugFile{*file, "debuginfod"};
  return std::nullopt;
}

}  // namespace cgostack
