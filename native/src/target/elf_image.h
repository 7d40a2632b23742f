// An ELF executable or shared library on disk, opened with libelf: its loadable
// segments (so the bytes a core omitted can be read from the file), sections
// (decompressed when SHF_COMPRESSED, as Go's .debug_* are), symbols and notes.
#pragma once

#include "error.h"

#include <gelf.h>
#include <libelf.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "target/memory.h"

namespace cgostack {

// ElfImage::Open found a regular file that is not ELF (or is cut short
// inside its ELF header).
class NotElfError : public Error {
 public:
  using Error::Error;
};

class ElfImage {
 public:
  // Throws Error if `path` is not a readable ELF file.
  static std::shared_ptr<ElfImage> Open(const std::string& path);
  // The same over a descriptor already open (the image owns it from now
  // on, even when this throws); `path` names it in messages.  A compressed
  // core's memory file (target/compressed_core.h) is read this way.
  static std::shared_ptr<ElfImage> FromDescriptor(int fd, const std::string& path);
  ~ElfImage();
  ElfImage(const ElfImage&) = delete;
  ElfImage& operator=(const ElfImage&) = delete;

  const std::string& path() const { return path_; }
  Elf* elf() const { return elf_; }
  uint16_t type() const { return ehdr_.e_type; }  // ET_EXEC, ET_DYN, ET_CORE
  uint16_t machine() const { return ehdr_.e_machine; }
  uint64_t entry() const { return ehdr_.e_entry; }
  const uint8_t* raw() const { return raw_; }
  size_t raw_size() const { return raw_size_; }
  int descriptor() const { return fd_; }

  // Section contents, decompressed if needed; empty optional if absent.
  std::optional<std::string_view> Section(const std::string& name);
  // Address (link-time) of a section, 0 if absent.
  uint64_t SectionAddress(const std::string& name) const;
  bool HasSection(const std::string& name) const;

  // GNU build-id bytes (from .note.gnu.build-id or a PT_NOTE), empty if none.
  std::string GnuBuildId() const;

  // Memory view of the file's PT_LOAD contents as mapped at `load_bias`.
  std::shared_ptr<const MemorySource> LoadedMemory(uint64_t load_bias) const;
  // Link-time address of the lowest PT_LOAD segment.
  uint64_t FirstLoadAddress() const;
  // Whether link-time address `addr` lies in a loaded segment that is not
  // executable (data, bss): no return address can point there.
  bool InLoadedData(uint64_t addr) const;

  // Symbol-table lookup (.symtab, else .dynsym), link-time value; 0 if absent.
  uint64_t SymbolAddress(const std::string& name);
  // The data or function symbol whose extent holds link-time address
  // `addr` ("mtxA", "main.muB"), with addr's offset into it; nullopt if none.
  struct SymbolHit {
    std::string_view name;
    uint64_t offset = 0;
  };
  std::optional<SymbolHit> SymbolAt(uint64_t addr);

 private:
  ElfImage() = default;
  void IndexSymbols();
  std::string path_;
  int fd_ = -1;
  Elf* elf_ = nullptr;
  GElf_Ehdr ehdr_{};
  const uint8_t* raw_ = nullptr;
  size_t raw_size_ = 0;
  std::map<std::string, Elf_Scn*> sections_;
  bool symbols_indexed_ = false;
  std::map<std::string, uint64_t, std::less<>> symbols_;
  struct Extent {
    uint64_t start, size;
    std::string_view name;  // points into symbols_' keys
  };
  std::vector<Extent> extents_;  // sorted by start
};

// Calls fn(type, name, desc, desc_size) for each ELF note in a block of note
// bytes (a PT_NOTE segment), stopping at the first malformed one.
template <typename Fn>
void ForEachNote(const uint8_t* p, size_t size, Fn fn) {
  auto align4 = [](size_t v) { return (v + 3) & ~size_t{3}; };
  size_t off = 0;
  while (off + 12 <= size) {
    uint32_t namesz, descsz, type;
    std::memcpy(&namesz, p + off, 4);
    std::memcpy(&descsz, p + off + 4, 4);
    std::memcpy(&type, p + off + 8, 4);
    size_t name_off = off + 12;
    size_t desc_off = name_off + align4(namesz);
    if (desc_off > size || descsz > size - desc_off) return;
    fn(type, std::string_view(reinterpret_cast<const char*>(p + name_off), namesz), p + desc_off,
       static_cast<size_t>(descsz));
    off = desc_off + align4(descsz);
  }
}

// Finds a GNU build-id note inside a block of note bytes (a PT_NOTE segment).
std::string FindGnuBuildIdInNotes(const uint8_t* notes, size_t size);

// A build-id as it is written in paths and by debuginfod: lowercase hex.
std::string BuildIdHex(const std::string& build_id);

}  // namespace cgostack
