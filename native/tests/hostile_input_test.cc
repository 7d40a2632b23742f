// Damaged and malicious inputs that the fuzz targets (native/fuzz/) found or
// that the walkers must survive by design: each test builds the damage
// directly (a synthetic core, crafted target memory under a real fixture's
// DWARF) and checks the answer a user gets: partial results or one Error,
// never a crash, a hang, a huge allocation or a leak (under scripts/sanitize.sh).
#include <gtest/gtest.h>

#include <elf.h>
#include <sys/procfs.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>

#include "target/core_file.h"
#include "goruntime/dwarf_index.h"
#include "error.h"
#include "goruntime/go_runtime.h"
#include "goruntime/goroutines.h"
#include "report/info_report.h"
#include "target/target.h"
#include "test_support.h"

namespace cgostack {
namespace {

// Target memory made of byte strings placed at addresses by the test; a
// later poke covers earlier ones.  Byte by byte, newest first: slow, simple.
class PokedMemory : public MemorySource {
 public:
  void Poke(uint64_t addr, std::string bytes) { regions_.emplace_back(addr, std::move(bytes)); }
  void PokeU64(uint64_t addr, uint64_t v) { Poke(addr, std::string(reinterpret_cast<char*>(&v), 8)); }
  size_t Read(uint64_t addr, void* dst, size_t len) const override {
    // Fast path: the newest region holding addr holds the whole range and no
    // newer one overlaps it (every read of the million-goroutine test).
    for (auto it = regions_.rbegin(); it != regions_.rend(); ++it) {
      bool holds = addr >= it->first && addr - it->first < it->second.size();
      if (holds && addr - it->first + len <= it->second.size()) {
        std::memcpy(dst, it->second.data() + (addr - it->first), len);
        return len;
      }
      if (holds || (it->first < addr + len && addr < it->first + it->second.size())) break;
    }
    for (size_t i = 0; i < len; ++i) {
      auto it = std::find_if(regions_.rbegin(), regions_.rend(), [&](const auto& r) {
        return addr + i >= r.first && addr + i - r.first < r.second.size();
      });
      if (it == regions_.rend()) return i;
      static_cast<char*>(dst)[i] = it->second[addr + i - it->first];
    }
    return len;
  }

 private:
  std::vector<std::pair<uint64_t, std::string>> regions_;
};

// A real fixture's executable and DWARF over memory the test writes.
class HostileMemory : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string bin = testing::BuildFixture("deadlock", testing::kNewestGo);
    ASSERT_FALSE(bin.empty());
    auto exe = ElfImage::Open(bin);
    pokes_ = std::make_shared<PokedMemory>();
    auto layered = std::make_shared<LayeredMemory>();
    layered->Add(pokes_);
    layered->Add(exe->LoadedMemory(0));
    target_ = Target::FromParts(exe, layered, {}, 0);
    rt_ = std::make_unique<GoRuntime>(*target_);
    // A runtime that never started: every writable byte (data, bss) zero,
    // so no goroutines, Ms or Ps until a test puts some there.
    Elf* elf = exe->elf();
    size_t phnum = 0;
    elf_getphdrnum(elf, &phnum);
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_W))
        pokes_->Poke(ph.p_vaddr, std::string(ph.p_memsz, '\0'));
    }
  }
  uint64_t Global(const std::string& name) { return rt_->GlobalAddress(name); }
  uint64_t Offset(const std::string& type, const std::string& field) {
    return rt_->dwarf().RequireField(type, field).offset;
  }
  // A g of the right size with goid and status set, everything else zero.
  void PokeG(uint64_t gp, uint64_t goid, uint32_t status) {
    std::string g(rt_->dwarf().TypeSize("runtime.g").value(), '\0');
    std::memcpy(&g[Offset("runtime.g", "goid")], &goid, 8);
    std::memcpy(&g[Offset("runtime.g", "atomicstatus")], &status, 4);
    pokes_->Poke(gp, g);
  }
  void PokeAllgs(const std::vector<uint64_t>& gs) {
    uint64_t array = 0x7f0000000000;
    pokes_->Poke(array, std::string(reinterpret_cast<const char*>(gs.data()), gs.size() * 8));
    uint64_t hdr[3] = {array, gs.size(), gs.size()};
    pokes_->Poke(Global("runtime.allgs"), std::string(reinterpret_cast<char*>(hdr), 24));
  }

  std::shared_ptr<PokedMemory> pokes_;
  std::unique_ptr<Target> target_;
  std::unique_ptr<GoRuntime> rt_;
};

// Found by fuzz_goroutines: nlohmann's dump() threw on a version string that
// was not UTF-8, failing cgo-info as an internal error.
TEST_F(HostileMemory, InfoSurvivesAVersionStringThatIsNotUtf8) {
  uint64_t text = 0x7e0000000000;
  pokes_->Poke(text, "go\xff\xfe");
  uint64_t hdr[2] = {text, 4};
  pokes_->Poke(Global("runtime.buildVersion"), std::string(reinterpret_cast<char*>(hdr), 16));
  std::string json = InfoReportJson(*rt_);
  EXPECT_NE(json.find("go\xef\xbf\xbd"), std::string::npos) << json;
}

TEST_F(HostileMemory, CyclicAllmListEnds) {
  uint64_t m1 = 0x7d0000000000, m2 = 0x7d0000010000, link = Offset("runtime.m", "alllink");
  pokes_->PokeU64(Global("runtime.allm"), m1);
  pokes_->PokeU64(m1 + link, m2);
  pokes_->PokeU64(m2 + link, m1);
  EXPECT_EQ(rt_->AllMs(), (std::vector<uint64_t>{m1, m2}));
}

TEST_F(HostileMemory, AbsurdAllgsLengthIsOneErrorWithoutAllocatingIt) {
  uint64_t hdr[3] = {0x7f0000000000, 40'000'000, 40'000'000};
  pokes_->Poke(Global("runtime.allgs"), std::string(reinterpret_cast<char*>(hdr), 24));
  auto start = std::chrono::steady_clock::now();
  try {
    rt_->AllGs();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("runtime.allgs"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
}

TEST_F(HostileMemory, UnreadableGIsReportedAndTheOthersAreIntact) {
  uint64_t good = 0x7c0000000000, bad = 0xdead0000;
  PokeG(good, 7, 4 /* waiting */);
  PokeAllgs({good, bad});
  GoroutineReader reader(*rt_);
  auto gs = reader.ReadAll(GoroutineOptions{});
  ASSERT_EQ(gs.size(), 2u);
  // goid order; the unreadable g has no goid and comes first.
  EXPECT_EQ(gs[0].address, bad);
  EXPECT_NE(gs[0].error.find("cannot read the g"), std::string::npos) << gs[0].error;
  EXPECT_EQ(gs[1].goid, 7u);
  EXPECT_EQ(gs[1].status, "waiting");
  EXPECT_TRUE(gs[1].error.empty());
}

TEST_F(HostileMemory, StackOfRepeatedReturnAddressesIsBounded) {
  // Every word of the stack "returns" into the same Go function: the walk
  // must end at the frame limit or the stack's top, not loop.
  uint64_t pc = target_->exe().SymbolAddress("runtime.gopark") + 1;
  ASSERT_GT(pc, 1u);
  uint64_t lo = 0x7b0000000000, hi = lo + (1 << 20), gp = 0x7c0000000000;
  std::string stack(hi - lo, '\0');
  for (size_t i = 0; i + 8 <= stack.size(); i += 8) std::memcpy(&stack[i], &pc, 8);
  pokes_->Poke(lo, stack);
  PokeG(gp, 9, 4);
  for (auto [field, v] : {std::pair<const char*, uint64_t>{"sched.pc", pc}, {"sched.sp", lo},
                          {"stack.lo", lo}, {"stack.hi", hi}})
    pokes_->PokeU64(gp + Offset("runtime.g", field), v);
  PokeAllgs({gp});
  GoroutineReader reader(*rt_);
  auto gs = reader.ReadAll(GoroutineOptions{});
  ASSERT_EQ(gs.size(), 1u);
  EXPECT_LE(gs[0].frames.size(), GoroutineOptions{}.head_frames + GoroutineOptions{}.tail_frames + 1);
  EXPECT_FALSE(gs[0].frames.empty());
  EXPECT_FALSE(gs[0].frames_error.empty()) << gs[0].frames.size();
  EXPECT_NE(gs[0].frames.front().function.find("gopark"), std::string::npos);
}

// Millions of goroutines: counted in bounded time and memory (cgo-info reads
// one status word per g; the walk keeps no per-goroutine state).
TEST_F(HostileMemory, TwoMillionGoroutinesAreCounted) {
  constexpr size_t kCount = 2'000'000;
  std::vector<uint64_t> gs(kCount);
  for (size_t i = 0; i < kCount; ++i) gs[i] = 0x7c0000000000 + (i % 4) * 0x1000;
  for (uint64_t i = 0; i < 4; ++i) PokeG(0x7c0000000000 + i * 0x1000, 100 + i, 4 /* waiting */);
  PokeAllgs(gs);
  auto start = std::chrono::steady_clock::now();
  std::string json = InfoReportJson(*rt_);
  EXPECT_NE(json.find("\"goroutines\":2000000"), std::string::npos) << json.substr(0, 400);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

// A minimal ELF core: one NT_PRSTATUS note and one PT_LOAD whose bytes lie
// far past the end of the file (a truncated core taken to the extreme).
std::string CoreWithLoadPastTheEnd() {
  elf_prstatus st{};
  st.pr_pid = 42;
  std::string note;
  auto put32 = [&](uint32_t v) { note.append(reinterpret_cast<char*>(&v), 4); };
  put32(5);
  put32(sizeof st);
  put32(NT_PRSTATUS);
  note.append("CORE\0\0\0\0", 8);
  note.append(reinterpret_cast<char*>(&st), sizeof st);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_CORE;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = sizeof eh;
  eh.e_ehsize = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 2;
  Elf64_Phdr ph[2]{};
  ph[0].p_type = PT_NOTE;
  ph[0].p_offset = sizeof eh + sizeof ph;
  ph[0].p_filesz = note.size();
  ph[1].p_type = PT_LOAD;
  ph[1].p_offset = uint64_t{1} << 46;
  ph[1].p_vaddr = 0x400000;
  ph[1].p_filesz = ph[1].p_memsz = 4096;
  std::string out(reinterpret_cast<char*>(&eh), sizeof eh);
  out.append(reinterpret_cast<char*>(ph), sizeof ph);
  return out + note;
}

// Found by fuzz_core_file: the segment's offset was added to the mapping's
// address before checking it (pointer overflow, undefined behaviour).
TEST(HostileCore, LoadSegmentPastTheEndOfTheFile) {
  std::string path = ::testing::TempDir() + "/load-past-end.core";
  std::ofstream(path, std::ios::binary) << CoreWithLoadPastTheEnd();
  auto core = CoreFile::Open(path);
  EXPECT_EQ(core->threads().size(), 1u);
  EXPECT_NE(core->truncation().find("truncated"), std::string::npos);
  uint8_t b;
  EXPECT_EQ(core->memory()->Read(0x400000, &b, 1), 0u);
}

// Found by fuzz_elf_dwarf: a program whose DWARF has no Go runtime (a C
// program built with -g) leaked libdw's handle on the error path; LeakSanitizer
// reports it under scripts/sanitize.sh.
TEST(HostileElf, CProgramWithDwarfIsRejectedWithoutLeaking) {
  std::string src = ::testing::TempDir() + "/hostile_c.c", bin = ::testing::TempDir() + "/hostile_c";
  std::ofstream(src) << "int main(void) { return 0; }\n";
  int rc = 0;
  testing::RunCommand("gcc -g -o " + bin + " " + src, &rc);
  ASSERT_EQ(rc, 0);
  try {
    DwarfIndex dw(ElfImage::Open(bin));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("DWARF only for its C code"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cgostack
