#include "target/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <map>
#include <utility>

#include "error.h"

namespace cgostack {

namespace {

// A file's identity: device and inode, plus its birth time where the file
// system keeps one, since an inode number is reused once a file is gone
// (the birth time does not change on rename, as an mtime or ctime would).
struct Identity {
  dev_t dev = 0;
  ino_t ino = 0;
  bool has_birth = false;
  int64_t birth_sec = 0;
  uint32_t birth_nsec = 0;
};

bool IdentityOf(int dirfd, const char* path, int flags, Identity* id) {
  struct statx sx;
  if (::statx(dirfd, path, flags, STATX_INO | STATX_BTIME, &sx) != 0) return false;
  id->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
  id->ino = sx.stx_ino;
  id->has_birth = sx.stx_mask & STATX_BTIME;
  id->birth_sec = sx.stx_btime.tv_sec;
  id->birth_nsec = sx.stx_btime.tv_nsec;
  return true;
}

struct Input {
  Identity id;
  std::string path;
};

std::mutex inputs_mutex;
std::map<std::pair<dev_t, ino_t>, Input>& Inputs() {
  static std::map<std::pair<dev_t, ino_t>, Input> inputs;
  return inputs;
}

void Remember(const Identity& id, const std::string& path) {
  std::lock_guard<std::mutex> lock(inputs_mutex);
  Inputs()[{id.dev, id.ino}] = Input{id, path};
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
  Identity id;
  if (IdentityOf(fd, "", AT_EMPTY_PATH, &id)) Remember(id, path);
  return fd;
}

int OpenRegularFile(const std::string& path) {
  std::string why;
  int fd = TryOpenRegularFile(path, &why);
  if (fd < 0) throw Error(why);
  return fd;
}

std::string InputFileName(const std::string& path) {
  Identity id;
  if (!IdentityOf(AT_FDCWD, path.c_str(), 0, &id)) return "";
  std::lock_guard<std::mutex> lock(inputs_mutex);
  auto it = Inputs().find({id.dev, id.ino});
  if (it == Inputs().end()) return "";
  const Identity& old = it->second.id;
  // Born later than the input: the input is gone and its inode reused.
  if (old.has_birth && id.has_birth && (old.birth_sec != id.birth_sec || old.birth_nsec != id.birth_nsec)) return "";
  return it->second.path;
}

void RememberInputFile(const std::string& path) {
  struct stat st;
  Identity id;
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && IdentityOf(AT_FDCWD, path.c_str(), 0, &id))
    Remember(id, path);
}

}  // namespace cgostack
