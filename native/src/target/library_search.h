// Where a file the target mapped (a library named by the core's NT_FILE
// note) is read on this machine, for a core taken on another one: GDB's
// `set sysroot` and `set solib-search-path` rules, so the CLI finds what
// GDB finds.  With a sysroot, SYSROOT/PATH first, then each search
// directory with the file's base name; the machine's own PATH only when no
// sysroot is given (GDB's default sysroot, "target:", is the target's own
// file system, which for a core is this machine's).
#pragma once

#include <string>
#include <vector>

namespace cgostack {

struct LibrarySearch {
  std::string sysroot;               // "" or "target:": the files' own paths
  std::vector<std::string> dirs;     // solib-search-path, in order

  bool empty() const { return LocalSysroot().empty() && dirs.empty(); }
  // The sysroot as a directory prefix ("" for none or "target:").
  std::string LocalSysroot() const;
  // The regular file on this machine for `target_path`; "" when none of
  // the places holds one.
  std::string Find(const std::string& target_path) const;
};

// "a:b:c" (GDB's solib-search-path) split into directories.
std::vector<std::string> SplitSearchPath(const std::string& path);

}  // namespace cgostack
