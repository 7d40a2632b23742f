#include "target/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <map>
#include <utility>

#include "error.h"

namespace cgostack {

namespace {

std::mutex inputs_mutex;
std::map<std::pair<dev_t, ino_t>, std::string>& Inputs() {
  static std::map<std::pair<dev_t, ino_t>, std::string> inputs;
  return inputs;
}

void Remember(const struct stat& st, const std::string& path) {
  std::lock_guard<std::mutex> lock(inputs_mutex);
  Inputs().emplace(std::make_pair(st.st_dev, st.st_ino), path);
}

}  // namespace

std::string FileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISREG(mode)) return "a regular file";
  return "not a regular file";
}

int TryOpenRegularFile(const std::string& path, std::string* why) {
  // O_NONBLOCK: opening a FIFO without a writer returns at once instead of
  // waiting; on a regular file the flag changes nothing.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    struct stat st;
    // A directory opens read-only on Linux; other errors say enough.
    if (e == EISDIR || (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)))
      *why = path + " is a directory, not a file";
    else
      *why = "cannot open " + path + ": " + std::strerror(e);
    return -1;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    *why = "cannot stat " + path + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    *why = path + " is " + FileKind(st.st_mode) + (S_ISDIR(st.st_mode) ? ", not a file" : ", not a regular file");
    ::close(fd);
    return -1;
  }
  Remember(st, path);
  return fd;
}

int OpenRegularFile(const std::string& path) {
  std::string why;
  int fd = TryOpenRegularFile(path, &why);
  if (fd < 0) throw Error(why);
  return fd;
}

std::string InputFileName(dev_t dev, ino_t ino) {
  std::lock_guard<std::mutex> lock(inputs_mutex);
  auto it = Inputs().find({dev, ino});
  return it == Inputs().end() ? "" : it->second;
}

void RememberInputFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) Remember(st, path);
}

}  // namespace cgostack
