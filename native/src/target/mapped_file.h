// A read-only memory mapping of a whole file.  Cores of 100,000 goroutines are
// hundreds of megabytes; mapping them lets the kernel page in only what the
// walkers touch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace cgostack {

class MappedFile {
 public:
  // Throws Error with the path and the OS reason if the file cannot be mapped.
  static std::shared_ptr<const MappedFile> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t* data_;
  size_t size_;
};

}  // namespace cgostack
