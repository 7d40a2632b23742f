#include "target/elf_image.h"

#include <algorithm>

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.h"
#include "target/regular_file.h"

namespace cgostack {

namespace {

// libelf must be told which ELF version the caller speaks before any use.
void InitLibelf() {
  static bool done = [] { return elf_version(EV_CURRENT) != EV_NONE; }();
  if (!done) throw Error("libelf is out of date");
}

}  // namespace

std::string BuildIdHex(const std::string& build_id) {
  static const char* const kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : build_id) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string FindGnuBuildIdInNotes(const uint8_t* p, size_t size) {
  std::string id;
  ForEachNote(p, size, [&](uint32_t type, std::string_view name, const uint8_t* desc, size_t n) {
    // The name is "GNU\0" (namesz 4).
    if (id.empty() && type == NT_GNU_BUILD_ID && name == std::string_view("GNU", 4))
      id.assign(reinterpret_cast<const char*>(desc), n);
  });
  return id;
}

std::shared_ptr<ElfImage> ElfImage::Open(const std::string& path) {
  return FromDescriptor(OpenRegularFile(path), path);  // only a regular file (target/regular_file.h)
}

std::shared_ptr<ElfImage> ElfImage::FromDescriptor(int fd, const std::string& path) {
  std::shared_ptr<ElfImage> img(new ElfImage());
  img->fd_ = fd;
  img->path_ = path;
  InitLibelf();
  img->elf_ = elf_begin(img->fd_, ELF_C_READ_MMAP, nullptr);
  if (!img->elf_ || elf_kind(img->elf_) != ELF_K_ELF || !gelf_getehdr(img->elf_, &img->ehdr_)) {
    // ELF's magic number but no whole header: a file cut short, not some other file.
    char magic[SELFMAG] = {};
    bool elf_magic = ::pread(img->fd_, magic, SELFMAG, 0) == SELFMAG && std::memcmp(magic, ELFMAG, SELFMAG) == 0;
    throw NotElfError(path + (elf_magic ? " is truncated (shorter than its ELF header)" : " is not an ELF file"));
  }
  if (gelf_getclass(img->elf_) != ELFCLASS64)
    throw Error(path + " is a 32-bit ELF file; only 64-bit targets are supported");
  img->raw_ = reinterpret_cast<const uint8_t*>(elf_rawfile(img->elf_, &img->raw_size_));
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(img->elf_, &shstrndx) == 0) {
    for (Elf_Scn* scn = elf_nextscn(img->elf_, nullptr); scn; scn = elf_nextscn(img->elf_, scn)) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh)) continue;
      const char* name = elf_strptr(img->elf_, shstrndx, sh.sh_name);
      if (name) img->sections_.emplace(name, scn);
    }
  }
  return img;
}

ElfImage::~ElfImage() {
  if (elf_) elf_end(elf_);
  if (fd_ >= 0) ::close(fd_);
}

bool ElfImage::HasSection(const std::string& name) const { return sections_.count(name) != 0; }

uint64_t ElfImage::SectionAddress(const std::string& name) const {
  auto it = sections_.find(name);
  if (it == sections_.end()) return 0;
  GElf_Shdr sh;
  return gelf_getshdr(it->second, &sh) ? sh.sh_addr : 0;
}

std::optional<std::string_view> ElfImage::Section(const std::string& name) {
  auto it = sections_.find(name);
  if (it == sections_.end()) return std::nullopt;
  GElf_Shdr sh;
  if (!gelf_getshdr(it->second, &sh) || sh.sh_type == SHT_NOBITS) return std::nullopt;
  if (sh.sh_flags & SHF_COMPRESSED) {
    // Go writes zlib-compressed .debug_* sections; libelf inflates them in
    // place once and owns the result (libdw does the same on its own).
    if (elf_compress(it->second, 0, 0) < 0) return std::nullopt;
    Elf_Data* data = elf_getdata(it->second, nullptr);
    if (!data || !data->d_buf) return std::nullopt;
    return std::string_view(static_cast<const char*>(data->d_buf), data->d_size);
  }
  if (sh.sh_offset > raw_size_ || sh.sh_size > raw_size_ - sh.sh_offset) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(raw_ + sh.sh_offset), sh.sh_size);
}

std::string ElfImage::GnuBuildId() const {
  size_t phnum = 0;
  elf_getphdrnum(elf_, &phnum);
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(elf_, static_cast<int>(i), &ph) || ph.p_type != PT_NOTE) continue;
    if (ph.p_offset > raw_size_ || ph.p_filesz > raw_size_ - ph.p_offset) continue;
    std::string id = FindGnuBuildIdInNotes(raw_ + ph.p_offset, ph.p_filesz);
    if (!id.empty()) return id;
  }
  return {};
}

uint64_t ElfImage::FirstLoadAddress() const {
  size_t phnum = 0;
  elf_getphdrnum(elf_, &phnum);
  uint64_t lowest = UINT64_MAX;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf_, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD)
      lowest = std::min<uint64_t>(lowest, ph.p_vaddr);
  }
  return lowest == UINT64_MAX ? 0 : lowest;
}

bool ElfImage::InLoadedData(uint64_t addr) const {
  size_t phnum = 0;
  elf_getphdrnum(elf_, &phnum);
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf_, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD && addr >= ph.p_vaddr &&
        addr - ph.p_vaddr < ph.p_memsz)
      return !(ph.p_flags & PF_X);
  }
  return false;
}

std::shared_ptr<const MemorySource> ElfImage::LoadedMemory(uint64_t load_bias) const {
  std::vector<SegmentMemory::Segment> segs;
  size_t phnum = 0;
  elf_getphdrnum(elf_, &phnum);
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(elf_, static_cast<int>(i), &ph) || ph.p_type != PT_LOAD) continue;
    if (ph.p_offset > raw_size_) continue;
    uint64_t avail = std::min<uint64_t>(ph.p_filesz, raw_size_ - ph.p_offset);
    // Writable data changes at run time; only the file's read-only contents are
    // a faithful stand-in for pages a core left out.
    if (ph.p_flags & PF_W) continue;
    segs.push_back({ph.p_vaddr + load_bias, avail, raw_ + ph.p_offset});
  }
  return std::make_shared<SegmentMemory>(nullptr, std::move(segs));
}

void ElfImage::IndexSymbols() {
  symbols_indexed_ = true;
  for (const char* table : {".symtab", ".dynsym"}) {
    auto it = sections_.find(table);
    if (it == sections_.end()) continue;
    GElf_Shdr sh;
    if (!gelf_getshdr(it->second, &sh)) continue;
    Elf_Data* data = elf_getdata(it->second, nullptr);
    if (!data || sh.sh_entsize == 0) continue;
    size_t n = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < n; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym) || sym.st_shndx == SHN_UNDEF) continue;
      const char* name = elf_strptr(elf_, sh.sh_link, sym.st_name);
      if (!name || !*name) continue;
      auto [it, fresh] = symbols_.emplace(name, sym.st_value);
      int type = GELF_ST_TYPE(sym.st_info);
      if (fresh && sym.st_size && (type == STT_OBJECT || type == STT_FUNC || type == STT_TLS))
        extents_.push_back(Extent{sym.st_value, sym.st_size, it->first});
    }
    if (!symbols_.empty()) break;
  }
  std::sort(extents_.begin(), extents_.end(), [](const Extent& a, const Extent& b) { return a.start < b.start; });
}

std::optional<ElfImage::SymbolHit> ElfImage::SymbolAt(uint64_t addr) {
  if (!symbols_indexed_) IndexSymbols();
  auto it = std::upper_bound(extents_.begin(), extents_.end(), addr,
                             [](uint64_t a, const Extent& e) { return a < e.start; });
  if (it == extents_.begin()) return std::nullopt;
  --it;
  if (addr - it->start >= it->size) return std::nullopt;
  return SymbolHit{it->name, addr - it->start};
}

uint64_t ElfImage::SymbolAddress(const std::string& name) {
  if (!symbols_indexed_) IndexSymbols();
  auto it = symbols_.find(name);
  return it == symbols_.end() ? 0 : it->second;
}

}  // namespace cgostack
