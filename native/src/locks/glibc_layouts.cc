#include "locks/glibc_layouts.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <sys/stat.h>

#include <elf.h>
#include <gelf.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include "error.h"
#include "target/debuginfod_client.h"
#include "target/elf_image.h"
#include "target/target.h"

namespace cgostack {

namespace {

// The oldest release the table decodes (2.25 redesigned the condition
// variable and rwlock) and the newest whose headers were checked
// (Debian's libc6-dev 2.43-7: bits/thread-shared-types.h, struct_mutex.h,
// struct_rwlock.h).
constexpr int kOldestMinor = 25;
constexpr int kNewestMinor = 43;
// glibc 2.41 ("nptl: Remove g_refs from condition variables").
constexpr int kCondWithoutGRefs = 41;

std::optional<int> Minor(const std::string& version) {
  int major = 0, minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2 || major != 2) return std::nullopt;
  return minor;
}

std::optional<uint64_t> MemberOffset(Dwarf_Die* member) {
  Dwarf_Attribute attr;
  Dwarf_Word v;
  if (!dwarf_attr_integrate(member, DW_AT_data_member_location, &attr) || dwarf_formudata(&attr, &v) != 0)
    return std::nullopt;
  return v;
}

// Member name -> offset of a complete struct definition.
std::map<std::string, uint64_t> Members(Dwarf_Die* type) {
  std::map<std::string, uint64_t> out;
  Dwarf_Die child;
  if (dwarf_child(type, &child) != 0) return out;
  do {
    if (dwarf_tag(&child) != DW_TAG_member) continue;
    const char* name = dwarf_diename(&child);
    auto off = MemberOffset(&child);
    if (name && off) out[name] = *off;
  } while (dwarf_siblingof(&child, &child) == 0);
  return out;
}

struct Wanted {
  const char* name;
  std::map<std::string, uint64_t> members;
  bool found = false;
};

// Looks through the top level of every unit of `dwarf` (types from
// <pthread.h> sit at a unit's top level) for the structs still wanted.
void SearchUnits(Dwarf* dwarf, std::vector<Wanted>& wanted) {
  Dwarf_Off off = 0, next;
  size_t header_size;
  while (dwarf_nextcu(dwarf, off, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu, die;
    if (dwarf_offdie(dwarf, off + header_size, &cu) && dwarf_child(&cu, &die) == 0) {
      do {
        if (dwarf_tag(&die) != DW_TAG_structure_type || !dwarf_hasattr(&die, DW_AT_byte_size)) continue;
        const char* name = dwarf_diename(&die);
        if (!name) continue;
        for (Wanted& w : wanted)
          if (!w.found && std::strcmp(name, w.name) == 0) {
            w.members = Members(&die);
            w.found = true;
          }
      } while (dwarf_siblingof(&die, &die) == 0);
    }
    bool all = true;
    for (const Wanted& w : wanted) all = all && w.found;
    if (all) return;
    off = next;
  }
}

bool Take(const std::map<std::string, uint64_t>& m, const char* field, uint64_t* into) {
  auto it = m.find(field);
  if (it == m.end()) return false;
  *into = it->second;
  return true;
}

bool IsLibc(const std::string& path) {
  std::string base = path.substr(path.rfind('/') + 1);
  // libc.so.6 since glibc 2.34; libc-2.NN.so (the file libc.so.6 links to) before.
  return base == "libc.so.6" || (base.rfind("libc-2.", 0) == 0 && base.size() > 3 &&
                                 base.compare(base.size() - 3, 3, ".so") == 0);
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// One warning line from its clauses: "first; second" (either may be empty).
std::string Clauses(const std::string& first, const std::string& second) {
  if (first.empty() || second.empty()) return first + second;
  return first + "; " + second;
}

}  // namespace

std::optional<GlibcLayouts> GlibcLayoutsForVersion(const std::string& version) {
  auto minor = Minor(version);
  if (!minor || *minor < kOldestMinor) return std::nullopt;
  GlibcLayouts l;
  l.version = version;
  l.source = "table for glibc " + version;
  if (*minor >= kCondWithoutGRefs) {
    l.cond_wrefs = 28;
    l.cond_g_signals = 32;
  }
  if (*minor > kNewestMinor) {
    l.source = "table for glibc 2." + std::to_string(kNewestMinor);
    const std::string newest = "2." + std::to_string(kNewestMinor);
    l.warning = "glibc " + version + " is newer than any glibc whose pthread layouts cgostack knows (2." +
                std::to_string(kOldestMinor) + "-" + newest + "): its pthread objects are read with " + newest +
                "'s layouts, which may be wrong (install its debug symbols, e.g. libc6-dbg, to have them read "
                "from its DWARF)";
  }
  return l;
}

std::string GlibcVersionInRodata(std::string_view rodata) {
  static constexpr std::string_view kMarker = "release version ";
  size_t at = rodata.find(kMarker);
  if (at == std::string_view::npos) return {};
  size_t start = at + kMarker.size(), end = start;
  while (end < rodata.size() && (std::isdigit(static_cast<unsigned char>(rodata[end])) || rodata[end] == '.')) ++end;
  std::string v(rodata.substr(start, end - start));
  while (!v.empty() && v.back() == '.') v.pop_back();  // the sentence's full stop
  return Minor(v) ? v : std::string();
}

namespace {

// An ELF image in memory holding only the sections a walk over the DIEs of
// types reads, taken decompressed from `image`: dwarf_begin_elf inflates
// every compressed .debug_* section of a file, and libc's line table,
// location and range lists are a third of its debug info (GDB's lock
// graph, where no libdwfl handle holds the file, inflated all of it: 0.2 G
// instructions).  Empty if `image` has no .debug_info.
std::string TypesOnlyImage(ElfImage& image) {
  GElf_Ehdr original;
  // Headers are written in this machine's byte order: a file of the other
  // order is read whole instead.
  const unsigned char host_order = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
  if (!gelf_getehdr(image.elf(), &original) || original.e_ident[EI_CLASS] != ELFCLASS64 ||
      original.e_ident[EI_DATA] != host_order)
    return {};
  // The DIE tree, its abbreviations and the strings its names are in, and
  // where a dwz-compressed file's shared types are (dwarf_getalt).
  static const char* const kNames[] = {".debug_info", ".debug_abbrev", ".debug_str", ".debug_line_str",
                                       ".debug_str_offsets", ".gnu_debugaltlink"};
  std::vector<std::pair<std::string, std::string_view>> sections;
  for (const char* name : kNames)
    if (auto data = image.Section(name)) sections.emplace_back(name, *data);
  if (sections.empty() || sections[0].first != ".debug_info") return {};
  // The section names, .shstrtab's own last.
  std::string shstrtab(1, '\0');
  std::vector<uint32_t> name_at;
  for (const auto& section : sections) {
    name_at.push_back(static_cast<uint32_t>(shstrtab.size()));
    shstrtab.append(section.first).push_back('\0');
  }
  name_at.push_back(static_cast<uint32_t>(shstrtab.size()));
  shstrtab.append(".shstrtab").push_back('\0');
  sections.emplace_back(".shstrtab", shstrtab);
  std::string out(sizeof(Elf64_Ehdr), '\0');
  std::vector<Elf64_Shdr> headers(1);  // section 0: SHN_UNDEF
  for (size_t i = 0; i < sections.size(); ++i) {
    while (out.size() % 8) out.push_back('\0');
    Elf64_Shdr sh{};
    sh.sh_name = name_at[i];
    sh.sh_type = i + 1 < sections.size() ? SHT_PROGBITS : SHT_STRTAB;
    sh.sh_offset = out.size();
    sh.sh_size = sections[i].second.size();
    sh.sh_addralign = 1;
    out.append(sections[i].second);
    headers.push_back(sh);
  }
  size_t shstrndx = headers.size() - 1;
  while (out.size() % 8) out.push_back('\0');
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, original.e_ident, EI_NIDENT);
  eh.e_type = original.e_type;
  eh.e_machine = original.e_machine;
  eh.e_version = EV_CURRENT;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shoff = out.size();
  eh.e_shnum = static_cast<uint16_t>(headers.size());
  eh.e_shstrndx = static_cast<uint16_t>(shstrndx);
  out.append(reinterpret_cast<const char*>(headers.data()), headers.size() * sizeof(Elf64_Shdr));
  std::memcpy(out.data(), &eh, sizeof eh);
  return out;
}

}  // namespace

std::optional<GlibcLayouts> GlibcLayoutsFromDwarf(const std::string& debug_file) {
  std::shared_ptr<ElfImage> image;
  try {
    image = ElfImage::Open(debug_file);
  } catch (const Error&) {
    return std::nullopt;
  }
  // The types' sections only; the whole file if libdw refuses that image.
  std::string types = TypesOnlyImage(*image);
  Elf* elf = types.empty() ? nullptr : elf_memory(types.data(), types.size());
  Dwarf* dwarf = elf ? dwarf_begin_elf(elf, DWARF_C_READ, nullptr) : nullptr;
  if (!dwarf) {
    if (elf) elf_end(elf);
    elf = nullptr;
    dwarf = dwarf_begin_elf(image->elf(), DWARF_C_READ, nullptr);
  }
  if (!dwarf) return std::nullopt;
  std::optional<GlibcLayouts> l = GlibcLayoutsFromDwarf(dwarf, debug_file);
  dwarf_end(dwarf);
  if (elf) elf_end(elf);
  return l;
}

std::optional<GlibcLayouts> GlibcLayoutsFromDwarf(Dwarf* dwarf, const std::string& debug_file) {
  std::vector<Wanted> wanted = {{"__pthread_mutex_s", {}}, {"__pthread_rwlock_arch_t", {}}, {"__pthread_cond_s", {}}};
  SearchUnits(dwarf, wanted);
  // A dwz-compressed debug file keeps shared types in its supplementary file.
  if (Dwarf* alt = dwarf_getalt(dwarf)) SearchUnits(alt, wanted);
  GlibcLayouts l;
  const auto &mutex = wanted[0].members, &rwlock = wanted[1].members, &cond = wanted[2].members;
  bool ok = Take(mutex, "__lock", &l.mutex_lock) && Take(mutex, "__count", &l.mutex_count) &&
            Take(mutex, "__owner", &l.mutex_owner) && Take(mutex, "__kind", &l.mutex_kind) &&
            Take(rwlock, "__readers", &l.rwlock_readers) && Take(rwlock, "__wrphase_futex", &l.rwlock_wrphase_futex) &&
            Take(rwlock, "__writers_futex", &l.rwlock_writers_futex) &&
            Take(rwlock, "__cur_writer", &l.rwlock_cur_writer) && Take(cond, "__wrefs", &l.cond_wrefs) &&
            Take(cond, "__g_signals", &l.cond_g_signals);
  if (!ok) return std::nullopt;
  l.source = "DWARF of " + debug_file;
  l.debug_file = debug_file;
  return l;
}

namespace {

// The build-id the process's copy of the libc carries: its first page (the
// kernel dumps the first page of every ELF mapping into a core; a live
// process has it in memory) holds the ELF header, the program headers and,
// in Debian's libc, the build-id note.  "" when it is not there.
std::string BuildIdInMemory(const MemorySource& mem, uint64_t start) {
  Elf64_Ehdr eh;
  if (!mem.TryRead(start, &eh, sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 64)
    return {};
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!mem.TryRead(start + eh.e_phoff + i * sizeof ph, &ph, sizeof ph)) return {};
    // A note in the first mapping is at its file offset from the start.
    if (ph.p_type != PT_NOTE || ph.p_filesz == 0 || ph.p_filesz > 4096) continue;
    std::string notes(ph.p_filesz, '\0');
    if (!mem.TryRead(start + ph.p_offset, notes.data(), notes.size())) continue;
    std::string id = FindGnuBuildIdInNotes(reinterpret_cast<const uint8_t*>(notes.data()), notes.size());
    if (!id.empty()) return id;
  }
  return {};
}

// The release string in the process's own memory of the libc: a live
// process (or a core that dumped file-backed pages) has its .rodata.
std::string VersionInMemory(const MemorySource& mem, const std::vector<FileMapping>& mappings,
                            const std::string& libc) {
  constexpr size_t kChunk = 1 << 20, kOverlap = 64;
  std::string buf;
  for (const FileMapping& m : mappings) {
    if (m.path != libc) continue;
    for (uint64_t at = m.start; at < m.end; at += kChunk - kOverlap) {
      size_t len = static_cast<size_t>(std::min<uint64_t>(kChunk, m.end - at));
      buf.assign(len, '\0');
      if (!mem.TryRead(at, buf.data(), len)) break;  // not in the core: the whole mapping is absent
      if (std::string v = GlibcVersionInRodata(buf); !v.empty()) return v;
      if (len < kChunk) break;
    }
  }
  return {};
}

// "2.31" from a libc named libc-2.31.so (glibc before 2.34 named the file
// by its release), "" otherwise.
std::string VersionInName(const std::string& libc) {
  std::string base = libc.substr(libc.rfind('/') + 1);
  if (base.rfind("libc-", 0) != 0 || base.size() < 9 || base.compare(base.size() - 3, 3, ".so") != 0) return {};
  std::string v = base.substr(5, base.size() - 8);
  return Minor(v) ? v : std::string();
}

// The layouts from the DWARF of the debug file with build-id `id` (hex), in
// this machine's debug directory or the sysroot's, else from debuginfod.
std::optional<GlibcLayouts> LayoutsByBuildId(const Target& target, const std::string& id, const HeldDwarf& held) {
  if (id.size() <= 2) return std::nullopt;
  std::string rel = "/usr/lib/debug/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug";
  std::vector<std::string> candidates = {rel};
  // Under the sysroot first (a core from another machine brings its own).
  if (std::string root = target.library_search().LocalSysroot(); !root.empty())
    candidates.insert(candidates.begin(), root + rel);
  // Reading libc's DWARF takes a few hundred ms; a snapshot does it before
  // stopping the process and must not repeat it while the process is held:
  // cached by the debug file's path, which names the build-id.
  static std::mutex cache_mu;
  static std::map<std::string, std::optional<GlibcLayouts>> from_dwarf;
  std::lock_guard<std::mutex> lock(cache_mu);
  for (const std::string& debug : candidates) {
    auto cached = from_dwarf.find(debug);
    if (cached == from_dwarf.end()) {
      std::optional<GlibcLayouts> l;
      if (IsRegularFile(debug)) {
        Dwarf* open = held ? held(debug) : nullptr;
        l = open ? GlibcLayoutsFromDwarf(open, debug) : GlibcLayoutsFromDwarf(debug);
      }
      cached = from_dwarf.emplace(debug, std::move(l)).first;
    }
    if (cached->second) return cached->second;
  }
  // None on this machine: the debuginfod servers, if the user named some.
  if (auto fetched = DebuginfodDebugFile(id)) {
    auto cached = from_dwarf.find(*fetched);
    if (cached == from_dwarf.end()) cached = from_dwarf.emplace(*fetched, GlibcLayoutsFromDwarf(*fetched)).first;
    return cached->second;
  }
  return std::nullopt;
}

}  // namespace

GlibcLayouts FindGlibcLayouts(const Target& target, const HeldDwarf& held) {
  GlibcLayouts fallback;  // the layouts of 2.25-2.40, the most common
  std::string libc;
  uint64_t libc_start = 0;
  const std::vector<FileMapping> mappings = target.mappings();
  for (const FileMapping& m : mappings)
    if (IsLibc(m.path) && m.file_offset == 0) {
      libc = m.path;
      libc_start = m.start;
      break;
    }
  if (libc.empty()) {
    fallback.source = "assumed (no libc among the process's mappings)";
    fallback.warning = "the process maps no glibc libc.so.6: its pthread objects are read with glibc 2.25-2.40's layouts";
    return fallback;
  }
  // The libc the process used, by the build-id in its memory: a file is
  // read only if it is that one, never a libc of another release in its
  // place (issue 19.3).  The sysroot's file first, as GDB takes it; this
  // machine's at the same path if the sysroot's is another.
  std::string recorded = BuildIdHex(BuildIdInMemory(target.memory(), libc_start));
  // The file GDB's rules give (--sysroot / the search path, else the path
  // itself), then the path itself when that one is another build.
  std::vector<std::string> candidates;
  if (std::string local = target.LocalFile(libc); !local.empty()) candidates.push_back(local);
  if (candidates.empty() || candidates[0] != libc) candidates.push_back(libc);
  std::shared_ptr<ElfImage> image;
  std::string file, on_disk, mismatch;
  for (const std::string& candidate : candidates) {
    if (!IsRegularFile(candidate)) continue;
    std::shared_ptr<ElfImage> img;
    try {
      img = ElfImage::Open(candidate);
    } catch (const Error&) {
      continue;
    }
    std::string id = BuildIdHex(img->GnuBuildId());
    if (recorded.empty() || id == recorded) {
      image = img;
      file = candidate;
      on_disk = id;
      break;
    }
    if (mismatch.empty())
      mismatch = candidate + " is not the libc the process used (build-id " + recorded + " in the " +
                 (target.is_core() ? "core" : "process") + ", " + (id.empty() ? "none" : id) + " on disk)";
  }
  if (image) {
    std::string version;
    if (auto rodata = image->Section(".rodata")) version = GlibcVersionInRodata(*rodata);
    // The debug file a -dbg package installs, by the library's build-id.
    std::optional<GlibcLayouts> l = LayoutsByBuildId(target, on_disk, held);
    if (!l) l = GlibcLayoutsForVersion(version);
    if (l) {
      l->version = version;
      l->libc = file;
      std::string note = !mismatch.empty() ? mismatch + ": " + file + ", whose build-id matches, is read instead"
                         : recorded.empty() && target.is_core()
                             ? "cannot verify that " + file + " is the libc the process used (the core holds no "
                               "build-id for it), so it is read unverified"
                             : "";
      l->warning = Clauses(note, l->warning);
      return *l;
    }
    fallback.libc = file;
    fallback.version = version;
    fallback.source = "assumed";
    fallback.warning = version.empty()
                           ? file + " names no glibc release: its pthread objects are read with glibc 2.25-2.40's layouts"
                           : "glibc " + version + " is older than 2.25, the oldest release whose pthread objects "
                             "cgostack decodes: they are read with 2.25-2.40's layouts, which may be wrong";
    return fallback;
  }
  // No usable file: what the process itself holds.  Its debug file by the
  // recorded build-id is exact; else the release in its memory or name.
  std::string version = VersionInMemory(target.memory(), mappings, libc);
  std::string version_from = "the process's memory";
  if (version.empty()) {
    version = VersionInName(libc);
    version_from = "the file name " + libc.substr(libc.rfind('/') + 1);
  }
  std::optional<GlibcLayouts> l = LayoutsByBuildId(target, recorded, held);
  if (l) {
    l->version = version;
  } else if ((l = GlibcLayoutsForVersion(version))) {
    l->source += " (release from " + version_from + ")";
  }
  std::string missing = mismatch.empty() ? "cannot read " + candidates[0] + ", the process's libc"
                                         : mismatch + ", so it is not read";
  if (l) {
    l->libc = libc;
    l->warning = Clauses(missing + ": pthread layouts come from the " + l->source, l->warning);
    return *l;
  }
  fallback.libc = libc;
  fallback.version = version;
  fallback.source =
      "assumed (" + (mismatch.empty() ? candidates[0] + " could not be read" : "the libc on disk is another") + ")";
  fallback.warning = missing + ": pthread objects are read with glibc 2.25-2.40's layouts, which may be wrong (give "
                     "the libc the process used, e.g. with a sysroot, or install its debug symbols)";
  return fallback;
}

}  // namespace cgostack
