// Every file cgostack reads goes through here: executables, cores,
// libraries named by a core (NT_FILE, the link map), debug files and every
// file handed to libdwfl.  Only regular files are read: a FIFO named by a
// core would block open() forever, a device could be read without end.
// Each file opened is remembered by device and inode, so that an output
// (report/output_file.h) can refuse to overwrite an input.
#pragma once

#include <sys/types.h>

#include <string>

namespace cgostack {

// Opens `path` for reading (O_RDONLY|O_NONBLOCK|O_CLOEXEC: a FIFO never
// blocks the open), checks with fstat that it is a regular file and returns
// the descriptor, which the caller owns.  Throws Error with one line that
// says what is wrong: "cannot open P: No such file or directory",
// "cannot open P: Permission denied", "P is a directory, not a file",
// "P is a FIFO, not a regular file".
int OpenRegularFile(const std::string& path);

// The same without throwing: -1 and the line in *why.
int TryOpenRegularFile(const std::string& path, std::string* why);

// "a directory", "a FIFO", "a character device", ... for a stat mode.
std::string FileKind(mode_t mode);

// If `path` (following links) is a file opened for reading by
// OpenRegularFile (by any session of this process), the path it was opened
// by; else "".  Compared by device, inode and birth time.
std::string InputFileName(const std::string& path);

// Records a file opened elsewhere (by GDB: its executable, core and debug
// files) as an input; a path that does not exist is ignored.
void RememberInputFile(const std::string& path);

}  // namespace cgostack
