#include "target/debuginfod_client.h"

#include <elfutils/debuginfod.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "error.h"
#include "target/elf_image.h"

namespace cgostack {

namespace {

std::optional<std::string> Fetch(const std::string& hex_build_id) {
  debuginfod_client* client = debuginfod_begin();
  if (!client) return std::nullopt;
  char* path = nullptr;
  // build_id_len 0: the id is given as a hex string.
  int fd = debuginfod_find_debuginfo(client, reinterpret_cast<const unsigned char*>(hex_build_id.c_str()), 0,
                                     &path);
  debuginfod_end(client);
  if (fd >= 0) ::close(fd);
  if (fd < 0 || !path) {
    std::free(path);
    return std::nullopt;
  }
  std::string file = path;
  std::free(path);
  return file;
}

}  // namespace

std::optional<std::string> DebuginfodDebugFile(const std::string& hex_build_id) {
  const char* urls = std::getenv("DEBUGINFOD_URLS");
  if (!urls || !*urls || hex_build_id.size() < 2) return std::nullopt;
  static std::mutex mu;
  static std::map<std::string, std::optional<std::string>> asked;
  std::lock_guard<std::mutex> lock(mu);
  auto it = asked.find(hex_build_id);
  if (it != asked.end()) return it->second;
  std::optional<std::string> file = Fetch(hex_build_id);
  // What the server sent must be the file asked for: a regular ELF file
  // (ElfImage::Open refuses anything else) with that build-id.
  if (file) try {
      if (BuildIdHex(ElfImage::Open(*file)->GnuBuildId()) != hex_build_id) file.reset();
    } catch (const Error&) {
      file.reset();
    }
  asked.emplace(hex_build_id, file);
  return file;
}

}  // namespace cgostack
