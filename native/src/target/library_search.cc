#include "target/library_search.h"

#include <sys/stat.h>

namespace cgostack {

namespace {

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::string LibrarySearch::LocalSysroot() const {
  std::string root = sysroot;
  if (root.rfind("target:", 0) == 0) root = root.substr(7);  // "target:" alone: this machine
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root == "/" ? "" : root;
}

std::string LibrarySearch::Find(const std::string& target_path) const {
  const std::string root = LocalSysroot();
  if (root.empty() && dirs.empty()) return target_path;
  if (!root.empty() && !target_path.empty() && target_path[0] == '/' && IsRegularFile(root + target_path))
    return root + target_path;
  std::string base = target_path.substr(target_path.rfind('/') + 1);
  for (const std::string& dir : dirs)
    if (!dir.empty() && IsRegularFile(dir + "/" + base)) return dir + "/" + base;
  // GDB falls back to the path itself only without a sysroot of its own.
  if (root.empty() && IsRegularFile(target_path)) return target_path;
  return "";
}

std::vector<std::string> SplitSearchPath(const std::string& path) {
  std::vector<std::string> dirs;
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    if (colon == std::string::npos) colon = path.size();
    if (colon > start) dirs.push_back(path.substr(start, colon - start));
    start = colon + 1;
  }
  return dirs;
}

}  // namespace cgostack
