#include "target/debuginfod_client.h"

#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "error.h"
#include "target/elf_image.h"

namespace cgostack {

namespace {

// libdebuginfod, loaded on the first question (as libdwfl loads it): it
// needs libcurl and through it some thirty libraries (TLS, Kerberos, LDAP,
// ...), which a process linked to it would load and relocate at every
// start, and read from disk on the first run after a core was written
// (issue 15), though only DEBUGINFOD_URLS ever makes it ask.
struct Client {
  decltype(&debuginfod_begin) begin = nullptr;
  decltype(&debuginfod_find_debuginfo) find_debuginfo = nullptr;
  decltype(&debuginfod_end) end = nullptr;
  bool loaded() const { return begin && find_debuginfo && end; }
};

const Client& LoadClient() {
  static const Client client = [] {
    Client c;
    void* lib = ::dlopen("libdebuginfod.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!lib) return c;  // not installed: no server is asked, as without DEBUGINFOD_URLS
    c.begin = reinterpret_cast<decltype(c.begin)>(::dlsym(lib, "debuginfod_begin"));
    c.find_debuginfo = reinterpret_cast<decltype(c.find_debuginfo)>(::dlsym(lib, "debuginfod_find_debuginfo"));
    c.end = reinterpret_cast<decltype(c.end)>(::dlsym(lib, "debuginfod_end"));
    return c;
  }();
  return client;
}

std::optional<std::string> Fetch(const std::string& hex_build_id) {
  const Client& lib = LoadClient();
  if (!lib.loaded()) return std::nullopt;
  debuginfod_client* client = lib.begin();
  if (!client) return std::nullopt;
  char* path = nullptr;
  // build_id_len 0: the id is given as a hex string.
  int fd = lib.find_debuginfo(client, reinterpret_cast<const unsigned char*>(hex_build_id.c_str()), 0, &path);
  lib.end(client);
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
