#include "goruntime/build_info.h"

#include <cstring>
#include <sstream>

namespace cgostack {

namespace {

// Header layout from cmd/link (Go 1.18+): 14-byte magic, pointer size, flags;
// with flag 0x2 the version and module strings follow inline at offset 32,
// each prefixed by its uvarint length.
constexpr char kMagic[] = "\xff Go buildinf:";
constexpr size_t kMagicLen = 14;
constexpr size_t kHeaderLen = 32;
constexpr uint8_t kFlagInlineStrings = 0x2;
// runtime/debug wraps modinfo in 16-byte sentinels.
constexpr size_t kModinfoSentinel = 16;

bool ReadVarString(std::string_view data, size_t* pos, std::string* out) {
  uint64_t len = 0;
  int shift = 0;
  while (*pos < data.size() && shift < 64) {
    uint8_t b = static_cast<uint8_t>(data[(*pos)++]);
    len |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (len > data.size() - *pos) return false;
      *out = std::string(data.substr(*pos, len));
      *pos += len;
      return true;
    }
    shift += 7;
  }
  return false;
}

}  // namespace

std::optional<GoBuildInfo> ReadBuildInfo(ElfImage& exe) {
  auto section = exe.Section(".go.buildinfo");
  if (!section || section->size() < kHeaderLen || std::memcmp(section->data(), kMagic, kMagicLen) != 0)
    return std::nullopt;
  uint8_t flags = static_cast<uint8_t>((*section)[15]);
  if (!(flags & kFlagInlineStrings)) return std::nullopt;
  GoBuildInfo info;
  std::string modinfo;
  size_t pos = kHeaderLen;
  if (!ReadVarString(*section, &pos, &info.go_version) || !ReadVarString(*section, &pos, &modinfo))
    return std::nullopt;
  if (modinfo.size() >= 2 * kModinfoSentinel)
    modinfo = modinfo.substr(kModinfoSentinel, modinfo.size() - 2 * kModinfoSentinel);
  std::istringstream lines(modinfo);
  std::string line;
  while (std::getline(lines, line)) {
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    std::string key = line.substr(0, tab), rest = line.substr(tab + 1);
    if (key == "path") {
      info.path = rest;
    } else if (key == "mod") {
      auto t2 = rest.find('\t');
      std::string mod = rest.substr(0, t2);
      if (t2 != std::string::npos) {
        auto t3 = rest.find('\t', t2 + 1);
        mod += " " + rest.substr(t2 + 1, t3 == std::string::npos ? std::string::npos : t3 - t2 - 1);
      }
      info.main_module = mod;
    } else if (key == "build") {
      auto eq = rest.find('=');
      if (eq != std::string::npos) info.settings.emplace_back(rest.substr(0, eq), rest.substr(eq + 1));
    }
  }
  return info;
}

}  // namespace cgostack
