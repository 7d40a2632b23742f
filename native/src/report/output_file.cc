#include "report/output_file.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.h"
#include "target/regular_file.h"

namespace cgostack {

namespace {

std::string Reason(int err) { return std::strerror(err ? err : EIO); }

// Permissions a plain fopen(path, "w") would give: 0666 less the umask
// (mkstemp makes 0600).  umask can only be read by setting it; once, at
// the first output, before any other thread of ours writes files.
mode_t NewFileMode() {
  static const mode_t mode = [] {
    mode_t mask = ::umask(022);
    ::umask(mask);
    return 0666 & ~mask;
  }();
  return mode;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

void CheckNotAnInput(const std::string& path) {
  std::string input = InputFileName(path);  // "" also when nothing is there yet
  if (!input.empty())
    throw Error("will not write " + path + ": it is " + (input == path ? "an input" : "the input " + input) +
                ", which writing would destroy; choose another file");
}

OutputFile::OutputFile(const std::string& path) : path_(path), final_(path) {
  if (path.empty()) throw Error("no output file named");
  CheckNotAnInput(path);
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) throw OutputError("cannot write " + path + ": it is a directory", EISDIR);
    // A device or a FIFO: nothing to keep whole, and rename would replace
    // the device node itself.
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || !(file_ = ::fdopen(fd, "w"))) {
      int err = errno;
      if (fd >= 0) ::close(fd);
      throw OutputError("cannot write " + path + ": " + Reason(err), err);
    }
    return;
  }
  // A symlink stays a symlink: the file it names is replaced.
  struct stat lst;
  if (::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
    if (char* real = ::realpath(path.c_str(), nullptr)) {
      final_ = real;
      ::free(real);
    }
  }
  std::string temp = DirName(final_) + "/." + BaseName(final_) + ".cgostack-XXXXXX";
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    throw OutputError("cannot write " + path + ": " + Reason(err), err);
  }
  temp_ = temp;
  ::fchmod(fd, NewFileMode());
  file_ = ::fdopen(fd, "w");
  if (!file_) {
    int err = errno;
    ::close(fd);
    ::unlink(temp_.c_str());
    throw OutputError("cannot write " + path + ": " + Reason(err), err);
  }
}

OutputFile::~OutputFile() { Discard(); }

void OutputFile::Discard() {
  if (file_) std::fclose(file_);
  file_ = nullptr;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
}

void OutputFile::Fail(int err) {
  Discard();
  throw OutputError("cannot write " + path_ + ": " + Reason(err), err ? err : EIO);
}

void OutputFile::Commit() {
  errno = 0;
  if (std::fflush(file_) != 0 || std::ferror(file_)) Fail(errno);
  std::FILE* f = file_;
  file_ = nullptr;
  errno = 0;
  if (std::fclose(f) != 0) Fail(errno);
  if (temp_.empty()) return;  // a device, written in place
  // The last check: an input may have been opened since the constructor.
  try {
    CheckNotAnInput(final_);
  } catch (...) {
    Discard();
    throw;
  }
  if (::rename(temp_.c_str(), final_.c_str()) != 0) Fail(errno);
  temp_.clear();
}

void WriteOutputFile(const std::string& path, std::string_view text) {
  OutputFile out(path);
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), out.stream()) != text.size()) {
    int err = errno ? errno : EIO;
    throw OutputError("cannot write " + path + ": " + std::strerror(err), err);  // ~OutputFile removes it
  }
  out.Commit();
}

}  // namespace cgostack
