#include "target/target.h"

#include <dirent.h>
#include <unistd.h>
#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <cstring>
#include <fstream>
#include <sstream>

#include "error.h"
#include "report/format.h"
#include "target/link_map_mappings.h"
#include "target/proc_maps.h"

namespace cgostack {

namespace {

std::shared_ptr<ElfImage> OpenExecutable(const std::string& path) {
  std::shared_ptr<ElfImage> exe;
  try {
    exe = ElfImage::Open(path);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (expected the Go executable)");
  }
  if (exe->type() == ET_CORE)
    throw Error(path + " is a core file; give the executable first, then the core");
  if (exe->type() != ET_EXEC && exe->type() != ET_DYN)
    throw Error(path + " is not an executable");
  if (!ArchForMachine(exe->machine()))
    throw Error(path + ": an executable for machine " + std::to_string(exe->machine()) + "; only " +
                SupportedMachines() + " executables are supported");
  // A copy cut short loses its section headers first (they are at the
  // end), and then looks like no Go program at all: say what it is.
  uint64_t needed = 0;
  GElf_Ehdr eh;
  if (gelf_getehdr(exe->elf(), &eh)) needed = eh.e_shoff + uint64_t{eh.e_shnum} * eh.e_shentsize;
  size_t phnum = 0;
  elf_getphdrnum(exe->elf(), &phnum);
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(exe->elf(), static_cast<int>(i), &ph) && ph.p_type != PT_NULL)
      needed = std::max<uint64_t>(needed, ph.p_offset + ph.p_filesz);
  }
  if (needed > exe->raw_size())
    throw Error(path + " is truncated: " + std::to_string(exe->raw_size()) + " of " + std::to_string(needed) +
                " bytes present (" + std::to_string(needed - exe->raw_size()) + " missing)");
  return exe;
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Blocked-signal mask of a live thread: "SigBlk:\t0000000000000000" in status.
std::optional<uint64_t> LiveBlockedSignals(int pid, int tid) {
  std::istringstream status(
      ReadTextFile("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigBlk:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  }
  return std::nullopt;
}

}  // namespace

void Target::SetThreadRegisters(int lwp, const Registers& regs) {
  for (auto& t : threads_) {
    if (t.lwp == lwp) {
      t.regs = regs;
      t.has_registers = true;
    }
  }
}

std::optional<int64_t> Target::MonotonicNow() const {
  if (core_) return std::nullopt;
  timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return std::nullopt;
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

const std::string& Target::core_path() const {
  static const std::string none;
  return core_ ? core_->path() : none;
}

std::unique_ptr<Target> Target::OpenCore(const std::string& exe_path, const std::string& core_path,
                                         const LibrarySearch& search) {
  std::unique_ptr<Target> t(new Target());
  t->search_ = search;
  t->exe_ = OpenExecutable(exe_path);
  t->arch_ = ArchForMachine(t->exe_->machine());
  t->core_ = CoreFile::Open(core_path);
  if (&t->core_->arch() != t->arch_)
    throw Error("core " + core_path + " is an " + t->core_->arch().name + " core and " + exe_path + " an " +
                t->arch_->name + " executable");
  if (!t->core_->truncation().empty()) t->warnings_.push_back(t->core_->truncation());
  t->pid_ = t->core_->pid();
  // Where the executable was loaded: the saved AT_ENTRY against e_entry.  A
  // non-PIE executable must have been loaded at its link address.
  uint64_t at_entry = t->core_->Auxv(AT_ENTRY);
  t->vdso_address_ = t->core_->Auxv(AT_SYSINFO_EHDR);
  if (at_entry) {
    t->load_bias_ = at_entry - t->exe_->entry();
    if (t->exe_->type() == ET_EXEC && t->load_bias_ != 0)
      throw Error("core " + core_path + " was not produced by " + exe_path + " (its entry point " +
                  Hex(at_entry) + " differs from the executable's " + Hex(t->exe_->entry()) + ")");
  }
  t->VerifyCoreMatchesExecutable();
  auto layered = std::make_shared<LayeredMemory>();
  layered->Add(t->core_->memory());
  layered->Add(t->exe_->LoadedMemory(t->load_bias_));
  if (t->core_->mappings().empty()) t->MapFromLinkMap(*layered);
  t->UseGoSharedLibrary(t->mappings(), layered.get());
  t->memory_ = layered;
  t->threads_ = t->core_->threads();
  return t;
}

namespace {

bool HasGoRuntime(const ElfImage& img) {
  return img.HasSection(".gopclntab") || img.HasSection(".go.buildinfo");
}

// File mappings of a live process, as the core's NT_FILE note lists them.
std::vector<FileMapping> LiveMappings(int pid) {
  std::vector<FileMapping> out;
  for (const ProcMapping& m : ReadProcMaps(pid))
    if (m.is_file()) out.push_back({m.start, m.end, m.offset, m.name});
  return out;
}

}  // namespace

std::vector<FileMapping> Target::mappings() const {
  if (core_) return core_->mappings().empty() ? link_map_mappings_ : core_->mappings();
  if (pid_) return LiveMappings(pid_);
  return {};
}

void Target::MapFromLinkMap(const MemorySource& mem) {
  LinkMapMappings found = MappingsFromLinkMap(*exe_, load_bias_, mem, search_);
  link_map_mappings_ = std::move(found.mappings);
  for (const std::string& name : found.missing)
    warnings_.push_back("library " + name + " (named by the dynamic linker's list; the core has no file mappings) is "
                        "not on this machine" + (search_.LocalSysroot().empty() ? " (give --sysroot)" : " under " +
                        search_.LocalSysroot()) + ": its C frames have no names");
}

void Target::UseGoSharedLibrary(const std::vector<FileMapping>& mappings, LayeredMemory* layered) {
  if (HasGoRuntime(*exe_)) return;
  // -buildmode=c-shared: the runtime is in a library; its first mapping
  // (file offset 0) holds its lowest PT_LOAD, which gives the load bias.
  for (const FileMapping& m : mappings) {
    if (m.file_offset != 0 || m.path == exe_->path()) continue;
    std::shared_ptr<ElfImage> lib;
    try {
      std::string local = LocalFile(m.path);  // under --sysroot for a core from elsewhere
      if (local.empty()) continue;
      lib = ElfImage::Open(local);
    } catch (const Error&) {
      continue;  // deleted or not ELF: a core may name files long gone
    }
    if (lib->type() != ET_DYN || !HasGoRuntime(*lib)) continue;
    host_executable_ = exe_->path();
    load_bias_ = m.start - (lib->FirstLoadAddress() & ~uint64_t{4095});
    layered->Add(lib->LoadedMemory(load_bias_));
    exe_ = lib;
    return;
  }
}

void Target::VerifyCoreMatchesExecutable() {
  // The kernel dumps the first page of every ELF mapping, which holds the
  // program headers and, in Go and gcc-linked executables, the build-id notes.
  // Compare the executable's note segments with what the core holds there.
  Elf* elf = exe_->elf();
  size_t phnum = 0;
  elf_getphdrnum(elf, &phnum);
  bool compared = false;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(elf, static_cast<int>(i), &ph) || ph.p_type != PT_NOTE || ph.p_filesz == 0)
      continue;
    if (ph.p_offset > exe_->raw_size() || ph.p_filesz > exe_->raw_size() - ph.p_offset) continue;
    std::string in_core(ph.p_filesz, '\0');
    if (!core_->memory()->TryRead(ph.p_vaddr + load_bias_, in_core.data(), in_core.size())) continue;
    compared = true;
    if (std::memcmp(in_core.data(), exe_->raw() + ph.p_offset, ph.p_filesz) != 0) {
      std::string mine = exe_->GnuBuildId();
      std::string theirs =
          FindGnuBuildIdInNotes(reinterpret_cast<const uint8_t*>(in_core.data()), in_core.size());
      auto hex = [](const std::string& s) {
        std::string out;
        char b[3];
        for (unsigned char c : s) {
          std::snprintf(b, sizeof b, "%02x", c);
          out += b;
        }
        return out.empty() ? std::string("none") : out;
      };
      throw Error("core " + core_->path() + " was not produced by " + exe_->path() +
                  " (build-id " + hex(theirs) + " in the core, " + hex(mine) +
                  " in the executable)");
    }
  }
  if (!compared)
    warnings_.push_back("cannot verify that the core belongs to " + exe_->path() +
                        " (the core does not hold its build-id notes)");
}

std::unique_ptr<Target> Target::FromParts(std::shared_ptr<ElfImage> exe,
                                          std::shared_ptr<const MemorySource> memory,
                                          std::vector<ThreadState> threads, uint64_t load_bias) {
  std::unique_ptr<Target> t(new Target());
  t->exe_ = std::move(exe);
  t->arch_ = ArchForMachine(t->exe_->machine());
  if (!t->arch_) throw Error(t->exe_->path() + ": only " + SupportedMachines() + " executables are supported");
  t->memory_ = std::move(memory);
  t->threads_ = std::move(threads);
  t->load_bias_ = load_bias;
  return t;
}

// The threads of a live process now (/proc/PID/task), by LWP, with the
// signals each blocks; their registers are the debugger's to hand over.
static std::vector<ThreadState> LiveThreads(int pid) {
  std::vector<ThreadState> threads;
  if (DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      ThreadState ts;
      ts.lwp = std::atoi(e->d_name);
      ts.blocked_signals = LiveBlockedSignals(pid, ts.lwp);
      threads.push_back(ts);
    }
    ::closedir(d);
  }
  std::sort(threads.begin(), threads.end(), [](const ThreadState& a, const ThreadState& b) { return a.lwp < b.lwp; });
  return threads;
}

void Target::RereadLiveThreads() {
  if (is_core() || pid_ <= 0) return;
  threads_ = LiveThreads(pid_);
}

std::unique_ptr<Target> Target::OpenLive(const std::string& exe_path, int pid,
                                         std::shared_ptr<const MemorySource> memory) {
  std::unique_ptr<Target> t(new Target());
  std::string proc = "/proc/" + std::to_string(pid);
  if (::access(proc.c_str(), F_OK) != 0) throw Error("no process with pid " + std::to_string(pid));
  t->exe_ = OpenExecutable(exe_path.empty() ? proc + "/exe" : exe_path);
  t->arch_ = ArchForMachine(t->exe_->machine());
  if (t->arch_ != &HostArch())
    throw Error(t->exe_->path() + " is an " + t->arch_->name + " executable; a live process can only be read on its "
                "own machine (this is " + HostArch().name + ")");
  t->pid_ = pid;
  std::string auxv = ReadTextFile(proc + "/auxv");
  for (size_t i = 0; i + 16 <= auxv.size(); i += 16) {
    uint64_t k, v;
    std::memcpy(&k, auxv.data() + i, 8);
    std::memcpy(&v, auxv.data() + i + 8, 8);
    if (k == AT_ENTRY) t->load_bias_ = v - t->exe_->entry();
    if (k == AT_SYSINFO_EHDR) t->vdso_address_ = v;
  }
  if (t->exe_->type() == ET_EXEC && t->load_bias_ != 0)
    throw Error("process " + std::to_string(pid) + " is not running " + exe_path);
  auto layered = std::make_shared<LayeredMemory>();
  // A snapshot's copy: the executable's read-only pages (strings, type
  // data) come from its file, as they do for a core, and are neither
  // copied while the process is held nor written to the snapshot.
  if (memory) layered->Add(t->exe_->LoadedMemory(t->load_bias_));
  layered->Add(memory ? std::move(memory) : std::make_shared<ProcessMemory>(pid));
  t->UseGoSharedLibrary(LiveMappings(pid), layered.get());
  t->memory_ = layered;
  t->threads_ = LiveThreads(pid);
  return t;
}

}  // namespace cgostack
