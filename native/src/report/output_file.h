// Every report cgostack writes to a file (--output, --dot) goes through
// here, so that no output can destroy data:
//  - an output that names an input (the executable, the core, a library or
//    debug file read for this report; by device and inode, so through any
//    link) is refused: truncating a core that is mapped would lose the only
//    copy and kill the reader with SIGBUS;
//  - the report goes to a temporary file in the same directory and is
//    renamed into place only when complete: a full disk or an error leaves
//    the old file (or none), never a cut one that a later step reads as
//    whole;
//  - a failure removes the temporary file and says why in one line naming
//    the file ("cannot write F: No space left on device").
// A path that names a device or a FIFO (/dev/null, /dev/stdout, a pipe) is
// written in place: it cannot be renamed over, and holds no old data.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace cgostack {

class OutputFile {
 public:
  // Throws Error if `path` names an input, OutputError if the temporary
  // file cannot be created (a missing directory, no permission).
  explicit OutputFile(const std::string& path);
  // Without Commit (an exception on the way), the temporary file goes.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  std::FILE* stream() const { return file_; }
  const std::string& path() const { return path_; }
  // Flushes, closes and renames into place; throws OutputError naming the
  // file (the temporary file removed) if any write failed.
  void Commit();

 private:
  [[noreturn]] void Fail(int err);
  void Discard();
  std::string path_;       // as the user named it (for messages)
  std::string final_;      // where it goes: path_, or the file a symlink names
  std::string temp_;       // empty when written in place
  std::FILE* file_ = nullptr;
};

// Refuses (Error, one line) an output path that names an input file.
void CheckNotAnInput(const std::string& path);

// Writes `text` to `path` through an OutputFile.
void WriteOutputFile(const std::string& path, std::string_view text);

}  // namespace cgostack
