#include "target/library_identity.h"

#include <sys/stat.h>

#include <algorithm>
#include <string>

#include "error.h"
#include "target/elf_image.h"

namespace cgostack {

namespace {

std::string HexBytes(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

// The build-id of the regular file at `path`, "" if none or unreadable.
std::string BuildIdOnDisk(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
  try {
    return ElfImage::Open(path)->GnuBuildId();
  } catch (const Error&) {
    return {};
  }
}

int CheckModule(Dwfl_Module* mod, void**, const char* name, Dwarf_Addr, void* arg) {
  Target& target = *static_cast<Target*>(arg);
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  int n = dwfl_module_build_id(mod, &bits, &vaddr);
  if (n <= 0 || name == nullptr || name[0] != '/') return DWARF_CB_OK;
  Dwarf_Addr bias;
  if (dwfl_module_getelf(mod, &bias) != nullptr) return DWARF_CB_OK;  // libdwfl accepted a file
  std::string in_core(reinterpret_cast<const char*>(bits), static_cast<size_t>(n));
  std::string file = target.OnDisk(name);
  std::string on_disk = BuildIdOnDisk(file);
  if (on_disk.empty() || on_disk == in_core) return DWARF_CB_OK;
  std::string w = std::string("library ") + file + " on disk is not the one the process used (build-id " +
                  HexBytes(bits, static_cast<size_t>(n)) + " in the core, " +
                  HexBytes(reinterpret_cast<const unsigned char*>(on_disk.data()), on_disk.size()) +
                  " on disk): it is not used, and its C frames have no names; give the matching file";
  const auto& seen = target.warnings();
  if (std::find(seen.begin(), seen.end(), w) == seen.end()) target.AddWarning(w);
  return DWARF_CB_OK;
}

}  // namespace

void WarnAboutReplacedLibraries(Dwfl* dwfl, Target& target) {
  dwfl_getmodules(dwfl, CheckModule, &target, 0);
}

}  // namespace cgostack
