#include "stacks/safe_modules.h"

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "target/core_file.h"
#include "target/library_identity.h"
#include "target/link_map_mappings.h"
#include "target/link_map_names.h"
#include "target/regular_file.h"

namespace cgostack {

namespace {

thread_local Target* warnings_to = nullptr;

void Warn(const std::string& w) {
  if (!warnings_to) return;
  for (const std::string& old : warnings_to->warnings())
    if (old == w) return;
  warnings_to->AddWarning(w);
}

// "" for a regular file or no file at all (libdwfl finds nothing there
// either), else what it is.
std::string SpecialKind(const std::string& path) {
  struct stat st;
  if (path.empty() || path[0] != '/' || ::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return "";
  return FileKind(st.st_mode);
}

std::string SkipWarning(const std::string& path, const std::string& kind) {
  return "skipped " + path + " (named by the target): it is " + kind + ", not a regular file";
}

}  // namespace

std::vector<std::string> SpecialFilesNamedByCore(const Target& target) {
  std::set<std::string> names;
  for (const FileMapping& m : target.mappings()) names.insert(m.path);
  auto& t = const_cast<Target&>(target);
  for (const auto& [bias, name] : LinkMapNamesFromDynamic(DynamicAddress(t.exe(), t.load_bias()), t.memory()))
    names.insert(name);
  std::vector<std::string> special;
  for (const std::string& name : names)
    if (std::string kind = SpecialKind(name); !kind.empty()) special.push_back(name + " (" + kind + ")");
  return special;
}

void ReportCoreModules(Dwfl* dwfl, Target& target) {
  // NT_FILE's mappings, or the link map's when the core has none.
  const std::vector<FileMapping> mappings = target.mappings();
  // Each file once, at the address where its offset 0 is mapped.
  std::map<std::string, uint64_t> starts;
  for (const FileMapping& m : mappings)
    if (m.file_offset == 0 && !starts.count(m.path)) starts[m.path] = m.start;
  uint64_t exe_entry = target.exe().entry() + target.load_bias();
  for (const auto& [path, start] : starts) {
    if (std::string kind = SpecialKind(path); !kind.empty()) {
      Warn(SkipWarning(path, kind));
      continue;
    }
    // The executable by the name the user gave (the mapping holding its entry).
    bool is_exe = false;
    for (const FileMapping& m : mappings)
      if (m.path == path && exe_entry >= m.start && exe_entry < m.end) is_exe = true;
    // A library: where --sysroot / --solib-search-path put it, if given.
    std::string file = is_exe ? target.exe().path() : target.LocalFile(path);
    if (file.empty()) continue;  // not on this machine: the core's own bytes only
    std::string why;
    int fd = TryOpenRegularFile(file, &why);
    if (fd < 0) continue;  // gone since, as libdwfl would find nothing
    char magic[SELFMAG];
    if (::pread(fd, magic, SELFMAG, 0) != SELFMAG || std::memcmp(magic, ELFMAG, SELFMAG) != 0) {
      ::close(fd);  // a mapped data file (locale-archive, ...)
      continue;
    }
    // libdwfl takes a file reported this way as it is: a library of
    // another build (a wrong --sysroot) is warned about and left out.
    if (!is_exe)
      if (std::string w = ReplacedLibraryWarning(target, file, start); !w.empty()) {
        Warn(w);
        ::close(fd);
        // Still a module, by the core's name and without a file, so its
        // frames say which library they are in and have no names.
        uint64_t end = start;
        for (const FileMapping& m : mappings)
          if (m.path == path) end = std::max(end, m.end);
        dwfl_report_module(dwfl, path.c_str(), start, end);
        continue;
      }
    // libdwfl takes the descriptor; base is where the first PT_LOAD is.
    dwfl_report_elf(dwfl, file.c_str(), file.c_str(), fd, start, false);
  }
}

int FindElfRegularOnly(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base, char** file_name,
                       Elf** elfp) {
  int fd = dwfl_build_id_find_elf(mod, userdata, modname, base, file_name, elfp);
  if (fd >= 0 || *elfp || !*file_name) return fd;
  // libdwfl would open() the name left here (NT_FILE's, the link map's):
  // open it ourselves, only if it is a regular file.
  std::string why;
  fd = TryOpenRegularFile(*file_name, &why);
  if (fd < 0) {
    if (std::string kind = SpecialKind(*file_name); !kind.empty()) Warn(SkipWarning(*file_name, kind));
    std::free(*file_name);
    *file_name = nullptr;
  }
  return fd;
}

int FindProcElfRegularOnly(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base,
                           char** file_name, Elf** elfp) {
  if (modname && modname[0] == '/')
    if (std::string kind = SpecialKind(modname); !kind.empty()) {
      Warn(SkipWarning(modname, kind));
      return -1;
    }
  return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
}

int FindDebuginfoRegularOnly(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base,
                             const char* file_name, const char* debuglink_file, GElf_Word debuglink_crc,
                             char** debuginfo_file_name) {
  // The standard search tries the .gnu_debuglink name next to the file, in
  // .debug/ there and under /usr/lib/debug (the debuginfo path set in
  // dwfl_unwinder.cc); if any of those is special, only build-id is used.
  if (debuglink_file && file_name) {
    std::string dir = file_name;
    dir = dir.substr(0, dir.rfind('/') + 1);
    for (const std::string& candidate :
         {dir + debuglink_file, dir + ".debug/" + debuglink_file, "/usr/lib/debug/" + dir + debuglink_file})
      if (std::string kind = SpecialKind(candidate); !kind.empty()) {
        Warn(SkipWarning(candidate, kind));
        return dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                            debuglink_crc, debuginfo_file_name);
      }
  }
  return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file, debuglink_crc,
                                      debuginfo_file_name);
}

SafeModulesScope::SafeModulesScope(Target& target) : previous_(warnings_to) { warnings_to = &target; }
SafeModulesScope::~SafeModulesScope() { warnings_to = previous_; }

}  // namespace cgostack
