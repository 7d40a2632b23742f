#include "views/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.h"

namespace cgostack::views {

namespace {

std::string Directory(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

[[noreturn]] void Fail(const std::string& path, int err) {
  throw OutputError("cannot write " + path + ": " + std::strerror(err), err);
}

}  // namespace

void WriteOutputWith(const std::string& path, const std::vector<std::string>& inputs,
                     const std::function<void(std::FILE*)>& write) {
  // Never over an input (the same file under another name included).
  struct stat out_st;
  if (::stat(path.c_str(), &out_st) == 0) {
    for (const auto& in : inputs) {
      struct stat in_st;
      if (!in.empty() && ::stat(in.c_str(), &in_st) == 0 && in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino)
        throw OutputError("will not write " + path + ": it is " + in + ", an input of this report", EINVAL);
    }
  }
  if (::stat(path.c_str(), &out_st) == 0 && !S_ISREG(out_st.st_mode)) {
    // A device or pipe (/dev/stdout, /dev/null, a FIFO) is written in place:
    // renaming a file over it would replace the device.
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f) Fail(path, errno);
    try {
      write(f);
    } catch (...) {
      std::fclose(f);
      throw;
    }
    errno = 0;
    bool ok = std::fflush(f) == 0 && !std::ferror(f);
    int err = errno ? errno : EIO;
    if (std::fclose(f) != 0 && ok) ok = false, err = errno ? errno : EIO;
    if (!ok) Fail(path, err);
    return;
  }
  std::string tmp = Directory(path) + "/.cgostack-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) Fail(path, errno);
  std::FILE* f = ::fdopen(fd, "w");
  if (!f) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    Fail(path, err);
  }
  try {
    write(f);
  } catch (...) {
    std::fclose(f);
    ::unlink(tmp.c_str());
    throw;
  }
  errno = 0;
  bool ok = std::fflush(f) == 0 && !std::ferror(f);
  int err = errno ? errno : EIO;
  // The file's mode as a plain open() would have made it (mkstemp uses 0600).
  mode_t mask = ::umask(0);
  ::umask(mask);
  if (ok && ::fchmod(fileno(f), 0666 & ~mask) != 0) ok = false, err = errno;
  if (std::fclose(f) != 0 && ok) ok = false, err = errno ? errno : EIO;
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) ok = false, err = errno;
  if (!ok) {
    ::unlink(tmp.c_str());
    Fail(path, err);
  }
}

void WriteOutput(const std::string& path, std::string_view bytes, const std::vector<std::string>& inputs) {
  WriteOutputWith(path, inputs, [&](std::FILE* f) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) Fail(path, errno ? errno : EIO);
  });
}

}  // namespace cgostack::views
