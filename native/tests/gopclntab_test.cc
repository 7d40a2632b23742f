// Tests of GoPclntab against Go's own tools and DWARF, on a small Go program
// (native/tests/data/pclnprog) built at test time with each installed Go
// release: oldest (1.19) and newest (1.27) must be installed, the releases
// between are skipped when missing.  Each is built three ways: a plain
// executable, an internally linked PIE, and an externally linked PIE (where
// the pclntab is merged into .data.rel.ro and found by symbol).
#include "goruntime/gopclntab.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "test_support.h"

namespace cgostack {
namespace {

using ::cgostack::testing::kNewestGo;
using ::cgostack::testing::kOldestGo;
using ::cgostack::testing::RunCommand;

const char* const kModes[] = {"exe", "pie", "pieext"};

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool IsExecutable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

// GOROOT of Go `version` from scripts/goroot.sh; before the toolchains are
// installed by scripts/setup.sh, the system's /usr/lib/go-VERSION will do.
std::string GoRoot(const std::string& version, std::string* why) {
  int rc = 0;
  std::string out = Trim(RunCommand("bash " CGOSTACK_SOURCE_DIR "/scripts/goroot.sh " + version + " 2>&1", &rc));
  if (rc == 0 && IsExecutable(out + "/bin/go")) return out;
  std::string fallback = "/usr/lib/go-" + version;
  if (IsExecutable(fallback + "/bin/go")) return fallback;
  *why = "Go " + version + " is not installed (scripts/goroot.sh: " + out + ")";
  return "";
}

std::string GoEnv(const std::string& goroot) {
  std::string work = CGOSTACK_BINARY_DIR "/gopclntab_test";
  return "env GOROOT=" + goroot + " PATH=" + goroot + "/bin:$PATH GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=1 " +
         "GOCACHE=" + work + "/gocache GOPATH=" + work + "/gopath ";
}

// Builds pclnprog with `goroot` in `mode`; reuses a build newer than the
// sources.  Returns the path, or "" with *why.
std::string BuildProg(const std::string& goroot, const std::string& version, const std::string& mode,
                      std::string* why) {
  const std::string src = CGOSTACK_SOURCE_DIR "/native/tests/data/pclnprog";
  const std::string dir = CGOSTACK_BINARY_DIR "/gopclntab_test/go" + version;
  const std::string out = dir + "/pclnprog_" + mode;
  struct stat st_out, st_src, st_mod;
  if (stat(out.c_str(), &st_out) == 0 && stat((src + "/main.go").c_str(), &st_src) == 0 &&
      stat((src + "/go.mod").c_str(), &st_mod) == 0 && st_out.st_mtime > st_src.st_mtime &&
      st_out.st_mtime > st_mod.st_mtime)
    return out;
  std::string flags = "-buildmode=exe";
  if (mode == "pie") flags = "-buildmode=pie -ldflags=-linkmode=internal";
  if (mode == "pieext") flags = "-buildmode=pie -ldflags=-linkmode=external";
  const std::string tmp = out + ".tmp" + std::to_string(getpid());
  int rc = 0;
  std::string log = RunCommand("mkdir -p " + dir + " && cd " + src + " && " + GoEnv(goroot) + "go build " + flags +
                                   " -o " + tmp + " . 2>&1 && mv -f " + tmp + " " + out,
                               &rc);
  if (rc != 0) {
    *why = "go build (Go " + version + ", " + mode + ") failed: " + log;
    return "";
  }
  return out;
}

struct ElfSymbol {
  std::string name;
  uint64_t value;
  uint64_t size;
};

// An ELF file opened with libelf (mmapped) and its DWARF.
class ElfFile {
 public:
  ~ElfFile() {
    if (dwarf_) dwarf_end(dwarf_);
    if (elf_) elf_end(elf_);
    if (fd_ >= 0) close(fd_);
  }
  bool Open(const std::string& path, std::string* why) {
    elf_version(EV_CURRENT);
    fd_ = open(path.c_str(), O_RDONLY);
    if (fd_ < 0) {
      *why = "cannot open " + path;
      return false;
    }
    elf_ = elf_begin(fd_, ELF_C_READ_MMAP, nullptr);
    if (elf_ == nullptr) {
      *why = std::string("elf_begin: ") + elf_errmsg(-1);
      return false;
    }
    size_t shstrndx;
    elf_getshdrstrndx(elf_, &shstrndx);
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(elf_, scn)) != nullptr) {
      GElf_Shdr sh;
      gelf_getshdr(scn, &sh);
      if (sh.sh_type != SHT_SYMTAB) continue;
      Elf_Data* data = elf_getdata(scn, nullptr);
      for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
        GElf_Sym sym;
        gelf_getsym(data, int(i), &sym);
        if (GELF_ST_TYPE(sym.st_info) != STT_FUNC) continue;
        funcs_.push_back({elf_strptr(elf_, sh.sh_link, sym.st_name), sym.st_value, sym.st_size});
      }
    }
    dwarf_ = dwarf_begin_elf(elf_, DWARF_C_READ, nullptr);
    return true;
  }
  Elf* elf() const { return elf_; }
  Dwarf* dwarf() const { return dwarf_; }
  // The compilation unit whose ranges hold pc (Go emits no .debug_aranges,
  // so dwarf_addrdie cannot be used).
  bool CuAt(uint64_t pc, Dwarf_Die* out) {
    if (cus_.empty() && dwarf_ != nullptr) {
      Dwarf_Off off = 0, next;
      size_t header;
      while (dwarf_nextcu(dwarf_, off, &next, &header, nullptr, nullptr, nullptr) == 0) {
        Dwarf_Die cu;
        if (dwarf_offdie(dwarf_, off + header, &cu) != nullptr) {
          Dwarf_Addr base, start, end;
          ptrdiff_t it = 0;
          while ((it = dwarf_ranges(&cu, it, &base, &start, &end)) > 0) cus_.push_back({start, end, cu});
        }
        off = next;
      }
    }
    for (const auto& c : cus_)
      if (pc >= c.start && pc < c.end) {
        *out = c.die;
        return true;
      }
    return false;
  }
  const std::vector<ElfSymbol>& funcs() const { return funcs_; }
  // End of the code of the function at `entry` per its ELF symbol (the
  // functab's next entry also counts the alignment padding).
  uint64_t CodeEnd(uint64_t entry) const {
    for (const ElfSymbol& s : funcs_)
      if (s.value == entry && s.size != 0) return s.value + s.size;
    return 0;
  }

 private:
  int fd_ = -1;
  Elf* elf_ = nullptr;
  Dwarf* dwarf_ = nullptr;
  std::vector<ElfSymbol> funcs_;
  struct CuRange {
    uint64_t start, end;
    Dwarf_Die die;
  };
  std::vector<CuRange> cus_;
};

struct Param {
  std::string version;
  std::string mode;
};

void PrintTo(const Param& p, std::ostream* os) { *os << "Go " << p.version << " " << p.mode; }

// Go 1.19's linker writes a name with brackets (generic instantiations, and
// the array types of type..eq functions) to the pclntab with "[...]" for the
// bracketed part (cmd/link/internal/ld/pcln.go); ELF keeps the full name.
// It also keeps a "·" (U+00B7) where the ELF symbol has "." (e.g. in
// "type:.eq.runtime.untracedG·4").
bool SameFuncName(std::string_view elf_name, std::string_view pcln_name_view) {
  std::string pcln_name(pcln_name_view);
  for (size_t at; (at = pcln_name.find("\xc2\xb7")) != std::string::npos;) pcln_name.replace(at, 2, ".");
  if (elf_name == pcln_name) return true;
  // Go 1.19's nameParts: from the first '[' to the last ']'.
  size_t open = elf_name.find('['), close = elf_name.rfind(']');
  if (open == std::string_view::npos || close == std::string_view::npos || close <= open) return false;
  std::string shortened = std::string(elf_name.substr(0, open)) + "[...]" + std::string(elf_name.substr(close + 1));
  return shortened == pcln_name;
}

std::string ParamName(const ::testing::TestParamInfo<Param>& info) {
  std::string v = info.param.version;
  for (char& c : v)
    if (c == '.') c = '_';
  return "go" + v + "_" + info.param.mode;
}

std::vector<Param> AllParams() {
  std::vector<Param> out;
  for (const std::string& v : ::cgostack::testing::GoReleases(false))  // go-releases.txt
    for (const char* m : kModes) out.push_back({v, m});
  return out;
}

bool IsRequired(const std::string& version) { return version == kOldestGo || version == kNewestGo; }

// 1-based line of the first line of main.go containing `text`.
int SourceLine(const std::string& text) {
  std::istringstream in(ReadFile(CGOSTACK_SOURCE_DIR "/native/tests/data/pclnprog/main.go"));
  std::string line;
  for (int n = 1; std::getline(in, line); n++)
    if (line.find(text) != std::string::npos) return n;
  ADD_FAILURE() << "main.go has no line with: " << text;
  return -1;
}

// The pc-ordered functions of `t` whose name starts with `prefix`.
std::vector<GoPclntab::Func> FuncsWithPrefix(const GoPclntab& t, std::string_view prefix) {
  std::vector<GoPclntab::Func> out;
  for (size_t i = 0; i < t.NumFuncs(); i++) {
    auto f = t.FuncAt(i);
    if (f && t.FuncName(*f).substr(0, prefix.size()) == prefix) out.push_back(*f);
  }
  return out;
}

std::optional<GoPclntab::Func> FuncNamed(const GoPclntab& t, std::string_view name) {
  for (size_t i = 0; i < t.NumFuncs(); i++) {
    auto f = t.FuncAt(i);
    if (f && t.FuncName(*f) == name) return f;
  }
  return std::nullopt;
}

std::string Describe(const std::vector<GoPclntab::Location>& locs) {
  std::string s;
  for (const auto& l : locs)
    s += std::string(l.function) + (l.inlined ? "(inl)" : "") + "@" + std::string(l.file) + ":" +
         std::to_string(l.line) + " ";
  return s;
}

// The DWARF view of pc: the subprogram holding it and the inlined
// subroutines nested in it, innermost first, as (name, DW_AT_call_line).
// False if there is no subprogram at pc.  (Not dwarf_getscopes: it continues
// into an inlinee's abstract origin instead of its caller.)
bool DwarfInlineChain(Dwarf_Die cu, uint64_t pc, std::vector<std::pair<std::string, int>>* chain) {
  std::vector<Dwarf_Die> nest;
  Dwarf_Die parent = cu;
  for (bool descended = true; descended;) {
    descended = false;
    Dwarf_Die child;
    if (dwarf_child(&parent, &child) != 0) break;
    do {
      int tag = dwarf_tag(&child);
      bool scope = tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block;
      if (scope && dwarf_haspc(&child, pc) == 1) {
        if (tag != DW_TAG_lexical_block) nest.push_back(child);
        parent = child;
        descended = true;
        break;
      }
    } while (dwarf_siblingof(&child, &child) == 0);
  }
  chain->clear();
  for (auto it = nest.rbegin(); it != nest.rend(); ++it) {
    const char* name = dwarf_diename(&*it);
    Dwarf_Attribute attr;
    Dwarf_Word call_line = 0;
    if (dwarf_attr(&*it, DW_AT_call_line, &attr)) dwarf_formudata(&attr, &call_line);
    chain->push_back({name ? name : "", int(call_line)});
  }
  return !nest.empty() && dwarf_tag(&nest[0]) == DW_TAG_subprogram;
}

class PclntabTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    const Param& p = GetParam();
    std::string why;
    goroot_ = GoRoot(p.version, &why);
    if (goroot_.empty()) {
      if (IsRequired(p.version)) FAIL() << why << " -- required: it is the oldest/newest supported release";
      GTEST_SKIP() << why;
    }
    path_ = BuildProg(goroot_, p.version, p.mode, &why);
    ASSERT_FALSE(path_.empty()) << why;
    ASSERT_TRUE(elf_.Open(path_, &why)) << why;
    ASSERT_TRUE(FindGoPclntabInElf(elf_.elf(), &source_, &why)) << why;
    table_ = GoPclntab::Load(source_, &why);
    ASSERT_TRUE(table_) << why;
  }

  std::string goroot_, path_;
  ElfFile elf_;
  GoPclntabSource source_;
  std::unique_ptr<GoPclntab> table_;
};

TEST_P(PclntabTest, HeaderMatchesRelease) {
  const bool go118 = GetParam().version == "1.19";
  EXPECT_EQ(table_->Version(), go118 ? GoPclntab::kGo118 : GoPclntab::kGo120);
  EXPECT_EQ(table_->PtrSize(), 8);
  EXPECT_EQ(table_->PCQuantum(), 1);
  EXPECT_TRUE(table_->HasGoFunc());
  EXPECT_GT(table_->NumFuncs(), 500u);
  EXPECT_GT(table_->NumFiles(), 10u);
  // text_start came from runtime.text.  Up to Go 1.25 the header's own
  // field must agree (in these files the linker wrote it, relocation or
  // not); Go 1.26+ writes 0 there, and Load without text_start must say so.
  std::string why;
  auto from_header = GoPclntab::Load(source_.pclntab, source_.pclntab_size, 0, &why);
  uint64_t header_text;
  std::memcpy(&header_text, source_.pclntab + 24, 8);  // after magic..ptrSize, nfunc, nfiles
  if (header_text != 0) {
    ASSERT_TRUE(from_header) << why;
    EXPECT_EQ(from_header->TextStart(), table_->TextStart());
  } else {
    EXPECT_FALSE(from_header);
    EXPECT_NE(why.find("text_start"), std::string::npos) << why;
  }
  const bool writes_text_start = GetParam().version < std::string("1.26");  // "1.19" < "1.26" < "1.27"
  EXPECT_EQ(header_text != 0, writes_text_start);
}

// Every Go function in the ELF symbol table is found at its entry with its
// name, and every functab entry has an ELF symbol.
TEST_P(PclntabTest, FindFuncMatchesElfSymbols) {
  std::map<uint64_t, std::string> by_addr;
  size_t checked = 0;
  for (const ElfSymbol& s : elf_.funcs()) {
    if (s.value < table_->TextStart() || s.value >= table_->TextEnd() || s.size == 0) continue;
    std::string name = s.name;
    // The linker names the ELF symbol of an assembly (ABI0) function with a
    // ".abi0" suffix; the pclntab does not.
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".abi0") == 0) name.resize(name.size() - 5);
    by_addr[s.value] = name;
    auto f = table_->FindFunc(s.value);
    ASSERT_TRUE(f) << name;
    EXPECT_EQ(f->entry, s.value) << name;
    EXPECT_TRUE(SameFuncName(name, table_->FuncName(*f))) << name << " vs " << table_->FuncName(*f);
    // Every byte of the function maps to it.
    auto last = table_->FindFunc(s.value + s.size - 1);
    ASSERT_TRUE(last) << name;
    EXPECT_EQ(last->entry, s.value) << name;
    checked++;
  }
  EXPECT_GT(checked, 500u);
  size_t with_symbol = 0;
  for (size_t i = 0; i < table_->NumFuncs(); i++) {
    auto f = table_->FuncAt(i);
    ASSERT_TRUE(f);
    auto it = by_addr.find(f->entry);
    if (it != by_addr.end() && SameFuncName(it->second, table_->FuncName(*f))) with_symbol++;
  }
  EXPECT_EQ(with_symbol, table_->NumFuncs());
  for (const char* name : {"main.main", "main.fib", "main.makeAdder", "main.makeAdder.func1", "runtime.goexit",
                           "runtime.main", "runtime.mstart", "runtime.rt0_go"})
    EXPECT_TRUE(FuncNamed(*table_, name)) << name;
  EXPECT_FALSE(table_->FindFunc(table_->TextStart() - 1));
  EXPECT_FALSE(table_->FindFunc(table_->TextEnd()));
  EXPECT_FALSE(table_->FindFunc(0));
  EXPECT_FALSE(table_->FindFunc(~uint64_t(0)));
}

// A PIE loaded elsewhere: every address moves by the bias.
TEST_P(PclntabTest, LoadBiasShiftsAddresses) {
  const uint64_t bias = 0x7f1234500000;
  GoPclntabSource moved = source_;
  moved.load_bias = bias;
  std::string why;
  auto t = GoPclntab::Load(moved, &why);
  ASSERT_TRUE(t) << why;
  EXPECT_EQ(t->TextStart(), table_->TextStart() + bias);
  auto fib = FuncNamed(*table_, "main.fib");
  ASSERT_TRUE(fib);
  auto moved_fib = t->FindFunc(fib->entry + bias + 5);
  ASSERT_TRUE(moved_fib);
  EXPECT_EQ(moved_fib->entry, fib->entry + bias);
  EXPECT_EQ(t->FuncName(*moved_fib), "main.fib");
  auto a = table_->Symbolize(*fib, fib->entry + 5);
  auto b = t->Symbolize(*moved_fib, moved_fib->entry + 5);
  EXPECT_EQ(Describe(a), Describe(b));
  EXPECT_FALSE(t->FindFunc(fib->entry));  // the unbiased address is no longer text
}

// file:line and function against `go tool addr2line` of the same release,
// which uses debug/gosym: it reports the physical (outermost) function and
// the innermost file:line.
TEST_P(PclntabTest, SymbolizeMatchesAddr2line) {
  std::vector<uint64_t> pcs;
  const size_t n = table_->NumFuncs();
  for (size_t k = 0; k < 200; k++) {
    auto f = table_->FuncAt(k * n / 200);
    ASSERT_TRUE(f);
    uint64_t size = f->end - f->entry;
    pcs.push_back(f->entry + (size ? (k * 37) % size : 0));
  }
  for (const char* name : {"main.main", "main.fib", "main.makeAdder.func1"}) {
    auto f = FuncNamed(*table_, name);
    ASSERT_TRUE(f) << name;
    for (uint64_t pc = f->entry; pc < f->end; pc += 3) pcs.push_back(pc);
  }
  const std::string input = CGOSTACK_BINARY_DIR "/gopclntab_test/go" + GetParam().version + "/addr2line_" +
                            GetParam().mode + "." + std::to_string(getpid());
  {
    std::ofstream out(input);
    for (uint64_t pc : pcs) out << std::hex << "0x" << pc << "\n";
  }
  int rc = 0;
  std::string out = RunCommand(GoEnv(goroot_) + "go tool addr2line " + path_ + " < " + input + " 2>&1", &rc);
  unlink(input.c_str());
  ASSERT_EQ(rc, 0) << out;
  std::vector<std::pair<std::string, std::string>> answers;  // function, file:line
  {
    std::istringstream lines(out);
    std::string name, fileline;
    while (std::getline(lines, name) && std::getline(lines, fileline)) answers.push_back({name, fileline});
  }
  ASSERT_EQ(answers.size(), pcs.size()) << "short addr2line output: " << out;
  bool addr2line_blind = true;
  for (const auto& a : answers) addr2line_blind &= a.first == "?";
  if (addr2line_blind) {
    // addr2line before Go 1.2x only looks for a section named .gopclntab,
    // which a PIE does not have: use DWARF (function, .debug_line) instead.
    ASSERT_NE(GetParam().mode, "exe") << "go tool addr2line found nothing in " << path_;
    for (size_t i = 0; i < pcs.size(); i++) {
      Dwarf_Die cu;
      std::vector<std::pair<std::string, int>> chain;
      if (!elf_.CuAt(pcs[i], &cu) || !DwarfInlineChain(cu, pcs[i], &chain)) {
        answers[i] = {"?", "?:0"};
        continue;
      }
      Dwarf_Line* line = dwarf_getsrc_die(&cu, pcs[i]);
      int lineno = 0;
      const char* file = line ? dwarf_linesrc(line, nullptr, nullptr) : nullptr;
      if (line) dwarf_lineno(line, &lineno);
      std::string path = file ? file : "?";
      if (path.compare(0, 2, "./") == 0) path = path.substr(2);  // "./<autogenerated>"
      answers[i] = {chain.back().first, path + ":" + std::to_string(lineno)};
    }
  }
  RecordProperty("oracle", addr2line_blind ? "dwarf" : "addr2line");
  std::printf("[ oracle   ] %s\n", addr2line_blind ? "DWARF (go tool addr2line cannot read this PIE)"
                                                   : "go tool addr2line");
  size_t compared = 0, with_line = 0;
  for (size_t i = 0; i < pcs.size(); i++) {
    const uint64_t pc = pcs[i];
    const std::string& name = answers[i].first;
    const std::string& fileline = answers[i].second;
    auto f = table_->FindFunc(pc);
    ASSERT_TRUE(f);
    auto locs = table_->Symbolize(*f, pc);
    ASSERT_FALSE(locs.empty());
    std::string ours = std::string(locs.front().file) + ":" + std::to_string(locs.front().line);
    const uint64_t code_end = elf_.CodeEnd(f->entry);
    if (addr2line_blind && pc >= code_end) continue;  // padding: DWARF has no answer
    EXPECT_TRUE(SameFuncName(name, locs.back().function)) << std::hex << pc << " " << name << " vs " << locs.back().function;
    EXPECT_FALSE(locs.back().inlined);
    if (fileline == "?:0" || fileline == ":-1") {  // not covered (e.g. padding after the code)
      EXPECT_EQ(locs.front().line, 0) << std::hex << pc << " " << ours;
    } else {
      EXPECT_EQ(fileline, ours) << std::hex << pc << " " << name;
      with_line++;
    }
    std::string_view file;
    int32_t line;
    table_->FileLine(*f, pc, &file, &line);
    EXPECT_EQ(file, locs.front().file);
    EXPECT_EQ(line, locs.front().line);
    compared++;
  }
  EXPECT_GE(compared, 300u);
  EXPECT_GT(with_line, compared * 8 / 10);
}

// The inlined calls of pclnprog, from the source.
TEST_P(PclntabTest, InlinedCallsFromSource) {
  const int add_body = SourceLine("func add(a, b int) int { return a + b }");
  const int add_call = SourceLine("c.n = add(c.n, by)");
  const int twice_body = SourceLine("func twice(n int) int { return fib(n) * 2 }");
  const int main_call = SourceLine("total += c.Bump(i) + f(i) + twice(i)");
  auto main_fn = FuncNamed(*table_, "main.main");
  ASSERT_TRUE(main_fn);
  EXPECT_TRUE(table_->HasInlineTree(*main_fn));
  bool saw_add = false, saw_twice_call = false;
  for (uint64_t pc = main_fn->entry; pc < main_fn->end; pc++) {
    auto locs = table_->Symbolize(*main_fn, pc);
    if (locs.size() == 3 && locs[0].function == "main.add") {
      saw_add = true;
      EXPECT_EQ(locs[0].line, add_body);
      EXPECT_TRUE(locs[0].inlined);
      EXPECT_EQ(locs[1].function, "main.(*counter).Bump");
      EXPECT_EQ(locs[1].line, add_call);
      EXPECT_TRUE(locs[1].inlined);
      EXPECT_EQ(locs[2].function, "main.main");
      EXPECT_EQ(locs[2].line, main_call);
      EXPECT_FALSE(locs[2].inlined);
      for (const auto& l : locs) EXPECT_EQ(l.file.substr(l.file.size() - 16), "pclnprog/main.go");
    }
  }
  EXPECT_TRUE(saw_add) << "no pc in main.main symbolizes to add <- Bump <- main";
  // The return address of the call of fib inside the inlined twice: looked
  // up as a return address (pc-1) it is in twice, called from main.
  auto fib = FuncNamed(*table_, "main.fib");
  ASSERT_TRUE(fib);
  for (uint64_t pc = main_fn->entry; pc + 5 <= main_fn->end; pc++) {
    // e8 rel32: CALL main.fib
    const uint8_t* code = nullptr;
    uint64_t size = 0;
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(elf_.elf(), scn)) != nullptr) {
      GElf_Shdr sh;
      gelf_getshdr(scn, &sh);
      if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR) && pc >= sh.sh_addr &&
          pc < sh.sh_addr + sh.sh_size) {
        code = static_cast<const uint8_t*>(elf_getdata(scn, nullptr)->d_buf) + (pc - sh.sh_addr);
        size = sh.sh_addr + sh.sh_size - pc;
      }
    }
    ASSERT_TRUE(code != nullptr && size >= 5);
    if (code[0] != 0xe8) continue;
    int32_t rel;
    std::memcpy(&rel, code + 1, 4);
    if (pc + 5 + int64_t(rel) != fib->entry) continue;
    const uint64_t ret = pc + 5;
    auto locs = table_->Symbolize(*main_fn, GoPclntab::LookupPC(*main_fn, ret, true));
    ASSERT_EQ(locs.size(), 2u) << Describe(locs);
    EXPECT_EQ(locs[0].function, "main.twice");
    EXPECT_EQ(locs[0].line, twice_body);
    EXPECT_EQ(locs[1].function, "main.main");
    EXPECT_EQ(locs[1].line, main_call);
    saw_twice_call = true;
  }
  EXPECT_TRUE(saw_twice_call) << "no CALL main.fib found in main.main";
  // Recursion: fib's own calls are to itself, not inlined.
  auto locs = table_->Symbolize(*fib, fib->entry + 1);
  ASSERT_EQ(locs.size(), 1u) << Describe(locs);
  EXPECT_FALSE(table_->HasInlineTree(*fib));

  // Without the gofunc bytes, no inlined frames, but the physical function.
  GoPclntabSource bare = source_;
  bare.gofunc = nullptr;
  bare.gofunc_size = 0;
  std::string why;
  auto t = GoPclntab::Load(bare, &why);
  ASSERT_TRUE(t) << why;
  for (uint64_t pc = main_fn->entry; pc < main_fn->end; pc++) {
    auto l = t->Symbolize(*main_fn, pc);
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l[0].function, "main.main");
  }
}

// Symbolize's inline chain against DWARF's inlined subroutines (libdw), for
// every pc of main.* and a sample of the rest of text.
TEST_P(PclntabTest, InliningMatchesDwarf) {
  ASSERT_NE(elf_.dwarf(), nullptr) << dwarf_errmsg(-1);
  std::vector<uint64_t> pcs;
  for (const auto& f : FuncsWithPrefix(*table_, "main."))
    for (uint64_t pc = f.entry; pc < f.end; pc++) pcs.push_back(pc);
  for (uint64_t pc = table_->TextStart(); pc < table_->TextEnd(); pc += 127) pcs.push_back(pc);
  size_t compared = 0, inlined = 0;
  std::map<std::string, int> mismatches;
  for (uint64_t pc : pcs) {
    auto f = table_->FindFunc(pc);
    ASSERT_TRUE(f);
    Dwarf_Die cu;
    if (!elf_.CuAt(pc, &cu)) continue;
    std::vector<std::pair<std::string, int>> dwarf_chain;  // innermost first: name, call line
    bool complete = DwarfInlineChain(cu, pc, &dwarf_chain);
    if (!complete) continue;
    auto locs = table_->Symbolize(*f, pc);
    std::string ours, theirs;
    for (size_t i = 0; i < locs.size(); i++) ours += std::string(locs[i].function) + " ";
    for (size_t i = 0; i < dwarf_chain.size(); i++) theirs += dwarf_chain[i].first + " ";
    if (ours != theirs) {
      mismatches[ours + "vs DWARF " + theirs]++;
      continue;
    }
    // Line of each caller = DW_AT_call_line of its callee's inlined scope.
    for (size_t i = 0; i + 1 < locs.size(); i++)
      EXPECT_EQ(locs[i + 1].line, dwarf_chain[i].second) << std::hex << pc << " " << Describe(locs);
    compared++;
    if (locs.size() > 1) inlined++;
  }
  // DWARF and pclntab come from the same compiler data, but DWARF scope
  // ranges are coarser at a few block boundaries; allow a tiny disagreement.
  size_t total_mismatch = 0;
  std::string report;
  for (const auto& [what, count] : mismatches) {
    total_mismatch += count;
    if (report.size() < 2000) report += std::to_string(count) + "x " + what + "\n";
  }
  EXPECT_LE(total_mismatch, compared / 200) << report;
  EXPECT_GT(compared, 1000u);
  EXPECT_GT(inlined, 50u);
}

// pcsp: 0 at every entry; for main.fib (which has a frame) positive in the
// body; and equal to the CFA offset of DWARF's .debug_frame minus the return
// address everywhere in main.*.
TEST_P(PclntabTest, SpDelta) {
  // The pcsp table covers the function's code (ELF symbol size), not the
  // padding up to the next function.
  size_t with_table = 0;
  for (const ElfSymbol& s : elf_.funcs()) {
    if (s.value < table_->TextStart() || s.value >= table_->TextEnd() || s.size == 0) continue;
    auto f = table_->FindFunc(s.value);
    ASSERT_TRUE(f);
    if (f->pcsp == 0) continue;
    with_table++;
    EXPECT_EQ(table_->SpDelta(*f, f->entry), 0) << s.name;
    EXPECT_TRUE(table_->SpDelta(*f, s.value + s.size - 1)) << s.name;
  }
  EXPECT_GT(with_table, table_->NumFuncs() * 9 / 10);

  auto fib = FuncNamed(*table_, "main.fib");
  ASSERT_TRUE(fib);
  int32_t max = 0;
  const uint64_t fib_end = elf_.CodeEnd(fib->entry);
  ASSERT_GT(fib_end, fib->entry);
  for (uint64_t pc = fib->entry; pc < fib_end; pc++) {
    auto d = table_->SpDelta(*fib, pc);
    ASSERT_TRUE(d);
    EXPECT_EQ(*d % 8, 0);
    max = std::max(max, *d);
  }
  EXPECT_GT(max, 0);
  EXPECT_FALSE(table_->SpDelta(*fib, fib->entry - 1));  // before the function: not covered

  Dwarf_CFI* cfi = dwarf_getcfi(elf_.dwarf());
  ASSERT_NE(cfi, nullptr) << dwarf_errmsg(-1);
  size_t compared = 0;
  for (const ElfSymbol& s : elf_.funcs()) {
    if (s.name.compare(0, 5, "main.") != 0) continue;
    auto f = *table_->FindFunc(s.value);
    for (uint64_t pc = s.value; pc < s.value + s.size; pc++) {
      Dwarf_Frame* frame = nullptr;
      if (dwarf_cfi_addrframe(cfi, pc, &frame) != 0) continue;
      Dwarf_Op* ops = nullptr;
      size_t nops = 0;
      if (dwarf_frame_cfa(frame, &ops, &nops) == 0 && nops == 1 &&
          (ops[0].atom == DW_OP_bregx || ops[0].atom == DW_OP_breg7)) {
        int64_t offset = ops[0].atom == DW_OP_bregx ? int64_t(ops[0].number2) : int64_t(ops[0].number);
        auto d = table_->SpDelta(f, pc);
        ASSERT_TRUE(d);
        EXPECT_EQ(*d + 8, offset) << table_->FuncName(f) << "+" << (pc - f.entry);
        compared++;
      }
      free(frame);
    }
  }
  EXPECT_GT(compared, 100u);
}

// Parses the names of a Go `const ( ... iota ... )` block that follows
// `type NAME uint8` in `source`: lower-cased, with the type prefix removed.
std::vector<std::string> GoConstNames(const std::string& source, const std::string& type_name,
                                      const std::string& prefix_re) {
  std::vector<std::string> names;
  size_t at = source.find("type " + type_name + " uint8");
  if (at == std::string::npos) return names;
  at = source.find("const (", at);
  size_t end = source.find("\n)", at);
  std::istringstream in(source.substr(at, end - at));
  std::string line;
  std::regex re("^\\s*" + prefix_re + "(\\w+)");
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_search(line, m, re)) {
      std::string n = m[1];
      for (char& c : n) c = char(tolower(c));
      names.push_back(n);
    }
  return names;
}

// The raw funcID and flag numbering of this release, from its own source,
// against Kind() (which maps by name) and our flag bits.
TEST_P(PclntabTest, FuncKindsMatchToolchainSource) {
  std::string abi = ReadFile(goroot_ + "/src/internal/abi/symtab.go");
  std::string rt = ReadFile(goroot_ + "/src/runtime/symtab.go");
  std::vector<std::string> ids = GoConstNames(abi, "FuncID", "FuncID_?");
  std::vector<std::string> flags = GoConstNames(abi, "FuncFlag", "FuncFlag_?");
  if (ids.empty()) ids = GoConstNames(rt, "funcID", "funcID_");  // Go 1.19
  if (flags.empty()) flags = GoConstNames(rt, "funcFlag", "funcFlag_");
  ASSERT_GT(ids.size(), 15u) << "cannot find the FuncID list in " << goroot_;
  EXPECT_EQ(flags, (std::vector<std::string>{"topframe", "spwrite", "asm"}));
  std::set<std::string> known;
  for (int k = 0; k <= int(GoFuncKind::kWrapper); k++) {
    std::string n(GoFuncKindName(GoFuncKind(k)));
    for (char& c : n) c = char(tolower(c));
    known.insert(n);
  }
  for (const std::string& id : ids) EXPECT_TRUE(known.count(id)) << "FuncID " << id << " unknown to GoFuncKind";
  std::map<std::string, int> seen;
  for (size_t i = 0; i < table_->NumFuncs(); i++) {
    auto f = table_->FuncAt(i);
    ASSERT_TRUE(f);
    ASSERT_LT(f->func_id, ids.size()) << table_->FuncName(*f);
    std::string kind(GoFuncKindName(table_->Kind(*f)));
    for (char& c : kind) c = char(tolower(c));
    EXPECT_EQ(kind, ids[f->func_id]) << table_->FuncName(*f);
    seen[kind]++;
  }
  for (const char* k : {"goexit", "mstart", "rt0_go", "systemstack", "mcall", "morestack", "sigpanic", "gogo",
                        "asmcgocall", "wrapper", "runtime_main", "gopanic"})
    EXPECT_GT(seen[k], 0) << k;

  auto goexit = FuncNamed(*table_, "runtime.goexit");
  ASSERT_TRUE(goexit);
  EXPECT_TRUE(table_->IsTopFrame(*goexit));
  EXPECT_EQ(table_->Kind(*goexit), GoFuncKind::kGoexit);
  EXPECT_TRUE(table_->FuncFlags(*goexit) & kGoFuncFlagAsm);
  EXPECT_TRUE(table_->IsFunction(*goexit, "runtime.goexit"));
  for (const char* top : {"runtime.mstart", "runtime.rt0_go"}) {
    auto f = FuncNamed(*table_, top);
    ASSERT_TRUE(f) << top;
    EXPECT_TRUE(table_->IsTopFrame(*f)) << top;
  }
  auto fib = FuncNamed(*table_, "main.fib");
  ASSERT_TRUE(fib);
  EXPECT_EQ(table_->FuncFlags(*fib), 0);
  EXPECT_EQ(table_->Kind(*fib), GoFuncKind::kNormal);
  // mcall switches stacks: SPWRITE.
  auto mcall = FuncNamed(*table_, "runtime.mcall");
  ASSERT_TRUE(mcall);
  EXPECT_TRUE(table_->FuncFlags(*mcall) & kGoFuncFlagSPWrite);
  EXPECT_EQ(table_->Kind(*mcall), GoFuncKind::kMcall);
}

// The structures this reader decodes, as declared in the release's runtime
// source: a change in a future release fails here first.
TEST_P(PclntabTest, LayoutMatchesToolchainSource) {
  std::string all;
  for (const char* file : {"runtime/runtime2.go", "runtime/symtab.go", "runtime/symtabinl.go"})
    all += ReadFile(goroot_ + "/src/" + file);
  auto fields = [&](const std::string& type) {
    std::vector<std::string> out;
    size_t at = all.find("type " + type + " struct {");
    if (at == std::string::npos) return out;
    size_t end = all.find("\n}", at);
    std::istringstream in(all.substr(at, end - at));
    std::string line;
    std::getline(in, line);
    std::regex re("^\\s*([A-Za-z_][A-Za-z0-9_]*(?:,\\s*[A-Za-z_][A-Za-z0-9_]*)*)\\s+(\\S+)");
    std::smatch m;
    while (std::getline(in, line)) {
      if (!std::regex_search(line, m, re)) continue;
      std::string decl = std::string(m[1]) + " " + std::string(m[2]);
      for (char& c : decl) c = char(tolower(c));
      out.push_back(decl);
    }
    return out;
  };
  const bool go118 = table_->Version() == GoPclntab::kGo118;
  // Go 1.26 typed the magic (abi.PCLnTabMagic) and stopped writing
  // textStart, leaving the word as padding.
  const bool go126 = GetParam().version >= std::string("1.26");
  std::vector<std::string> header = {go126 ? "magic abi.pclntabmagic" : "magic uint32",
                                     "pad1, pad2 uint8",
                                     "minlc uint8",
                                     "ptrsize uint8",
                                     "nfunc int",
                                     "nfiles uint",
                                     go126 ? "_ uintptr" : "textstart uintptr",
                                     "funcnameoffset uintptr",
                                     "cuoffset uintptr",
                                     "filetaboffset uintptr",
                                     "pctaboffset uintptr",
                                     "pclnoffset uintptr"};
  EXPECT_EQ(fields("pcHeader"), header);
  std::vector<std::string> func = {"entryoff uint32", "nameoff int32", "args int32", "deferreturn uint32",
                                   "pcsp uint32",     "pcfile uint32", "pcln uint32", "npcdata uint32",
                                   "cuoffset uint32"};
  if (!go118) func.push_back("startline int32");
  auto f = fields("_func");
  ASSERT_GE(f.size(), func.size() + 4);
  EXPECT_EQ(std::vector<std::string>(f.begin(), f.begin() + func.size()), func);
  std::vector<std::string> tail(f.begin() + func.size(), f.end());
  for (auto& t : tail) t = t.substr(0, t.find(' ')) + (t.find("uint8") != std::string::npos || t.find("[1]byte") != std::string::npos || t.find("funcid") != std::string::npos || t.find("funcflag") != std::string::npos ? " byte" : " ?");
  EXPECT_EQ(tail, (std::vector<std::string>{"funcid byte", "flag byte", "_ byte", "nfuncdata byte"}));
  auto inl = fields("inlinedCall");
  if (go118) {
    EXPECT_EQ(inl, (std::vector<std::string>{"parent int16", "funcid funcid", "_ byte", "file int32", "line int32",
                                             "func_ int32", "parentpc int32"}));
  } else {
    EXPECT_EQ(inl, (std::vector<std::string>{"funcid abi.funcid", "_ [3]byte", "nameoff int32", "parentpc int32",
                                             "startline int32"}));
  }
  std::string abi = ReadFile(goroot_ + "/src/internal/abi/symtab.go") + ReadFile(goroot_ + "/src/runtime/symtab.go");
  EXPECT_TRUE(std::regex_search(abi, std::regex("_?PCDATA_InlTreeIndex\\s*=\\s*2"))) << "PCDATA_InlTreeIndex moved";
  EXPECT_TRUE(std::regex_search(abi, std::regex("_?FUNCDATA_InlTree\\s*=\\s*3"))) << "FUNCDATA_InlTree moved";
  EXPECT_TRUE(std::regex_search(abi, std::regex(go118 ? "0xfffffff0" : "0xfffffff1|0xFFFFFFF1|Go120PCLnTabMagic")));
}

INSTANTIATE_TEST_SUITE_P(AllGo, PclntabTest, ::testing::ValuesIn(AllParams()), ParamName);

// The runtime's funcNamePiecesForPrint cases (runtime/traceback.go).
TEST(PclntabNames, FuncNameForPrint) {
  EXPECT_EQ(GoFuncNameForPrint("main.main"), "main.main");
  EXPECT_EQ(GoFuncNameForPrint("main.Map[go.shape.int]"), "main.Map[...]");
  EXPECT_EQ(GoFuncNameForPrint("main.(*List[go.shape.int]).Push"), "main.(*List[...]).Push");
  EXPECT_EQ(GoFuncNameForPrint("main.F[go.shape.[]int]"), "main.F[...]");
  EXPECT_EQ(GoFuncNameForPrint("main.G[go.shape.int].M[go.shape.string]"), "main.G[...].M[...]");
  EXPECT_EQ(GoFuncNameForPrint("type..eq.[...]internal/cpu.option"), "type..eq.[...]internal/cpu.option");
  EXPECT_EQ(GoFuncNameForPrint("a]b["), "a]b[");
  EXPECT_EQ(GoFuncNameForPrint("a[b]]c[d"), "a[...]c[d");
  EXPECT_EQ(GoFuncNameForPrint(""), "");
}

// ---------------------------------------------------------------------------
// Damaged input, and speed: on the newest release's executable.

class PclntabRobustness : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    std::string goroot = GoRoot(kNewestGo, &why);
    ASSERT_FALSE(goroot.empty()) << why;
    std::string path = BuildProg(goroot, kNewestGo, "exe", &why);
    ASSERT_FALSE(path.empty()) << why;
    ASSERT_TRUE(elf_.Open(path, &why)) << why;
    ASSERT_TRUE(FindGoPclntabInElf(elf_.elf(), &source_, &why)) << why;
    pclntab_.assign(source_.pclntab, source_.pclntab + source_.pclntab_size);
    gofunc_.assign(source_.gofunc, source_.gofunc + source_.gofunc_size);
  }
  // Exercises every lookup on a table that loaded; must not crash.
  static void Exercise(const GoPclntab& t, std::mt19937_64& rng) {
    std::vector<GoPclntab::Location> locs;
    uint64_t span = t.TextEnd() - t.TextStart() + 64;
    for (int i = 0; i < 300; i++) {
      uint64_t pc = t.TextStart() - 32 + rng() % span;
      auto f = t.FindFunc(pc);
      if (!f) continue;
      (void)t.FuncName(*f);
      (void)t.Kind(*f);
      (void)t.SpDelta(*f, pc);
      (void)t.PcData(*f, uint32_t(rng() % 6), pc);
      t.Symbolize(*f, pc, &locs);
      ASSERT_FALSE(locs.empty());
    }
    for (size_t i = 0; i < t.NumFuncs() && i < 200; i++) {
      auto f = t.FuncAt(rng() % t.NumFuncs());
      if (f) t.Symbolize(*f, f->entry + rng() % 64, &locs);
    }
  }

  ElfFile elf_;
  GoPclntabSource source_;
  std::vector<uint8_t> pclntab_, gofunc_;
};

TEST_F(PclntabRobustness, RejectsGarbage) {
  std::string why;
  EXPECT_FALSE(GoPclntab::Load(nullptr, 0, 0, &why));
  EXPECT_NE(why, "");
  // Every truncation of the header, and of the functab.
  for (size_t n = 0; n < 200; n++) EXPECT_FALSE(GoPclntab::Load(pclntab_.data(), n, 0, &why)) << n;
  // Wrong magic, older formats, big-endian.
  for (uint32_t magic : {0u, 0xfffffffbu, 0xfffffffau, 0xf1ffffffu, 0xfffffff2u, 0x12345678u}) {
    std::vector<uint8_t> copy = pclntab_;
    std::memcpy(copy.data(), &magic, 4);
    EXPECT_FALSE(GoPclntab::Load(copy.data(), copy.size(), 0, &why)) << magic;
    EXPECT_NE(why.find("magic"), std::string::npos) << why;
  }
  // Random bytes, with and without a valid magic and header shape.
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; i++) {
    std::vector<uint8_t> junk(rng() % 4096);
    for (auto& b : junk) b = uint8_t(rng());
    if (i % 2 && junk.size() >= 8) {
      uint32_t magic = i % 4 == 1 ? GoPclntab::kGo120 : GoPclntab::kGo118;
      std::memcpy(junk.data(), &magic, 4);
      junk[4] = junk[5] = 0;
      junk[6] = 1;
      junk[7] = 8;
    }
    auto t = GoPclntab::Load(junk.data(), junk.size(), 0, &why);
    if (t) Exercise(*t, rng);
  }
}

// Truncated and byte-flipped copies of a real table (and of its inline
// trees): either rejected or answered without crashing.
TEST_F(PclntabRobustness, SurvivesDamagedRealTable) {
  std::mt19937_64 rng(7);
  std::string why;
  size_t loaded = 0;
  for (int i = 0; i < 300; i++) {
    std::vector<uint8_t> p = pclntab_, g = gofunc_;
    if (i % 3 == 0) p.resize(rng() % p.size());
    if (i % 3 == 1) g.resize(rng() % g.size());
    int flips = 1 + int(rng() % 64);
    for (int k = 0; k < flips && !p.empty(); k++) p[rng() % p.size()] ^= uint8_t(1 + rng() % 255);
    for (int k = 0; k < flips && !g.empty(); k++) g[rng() % g.size()] ^= uint8_t(1 + rng() % 255);
    GoPclntabSource s = source_;
    s.pclntab = p.data();
    s.pclntab_size = p.size();
    s.gofunc = g.data();
    s.gofunc_size = g.size();
    auto t = GoPclntab::Load(s, &why);
    if (!t) continue;
    loaded++;
    Exercise(*t, rng);
  }
  EXPECT_GT(loaded, 50u);
}

// A PcValueCache changes no answer, also when shared between two tables.
TEST_F(PclntabRobustness, CacheGivesSameAnswers) {
  std::string why;
  auto t = GoPclntab::Load(source_, &why);
  ASSERT_TRUE(t) << why;
  GoPclntabSource moved = source_;
  moved.load_bias = 0x1000;
  auto u = GoPclntab::Load(moved, &why);
  ASSERT_TRUE(u) << why;
  GoPclntab::PcValueCache cache(64);  // small: many evictions
  std::mt19937_64 rng(3);
  for (int round = 0; round < 3; round++)
    for (int i = 0; i < 20000; i++) {
      const GoPclntab& table = (i % 5 == 0) ? *u : *t;
      uint64_t pc = table.TextStart() + rng() % (table.TextEnd() - table.TextStart());
      auto f = table.FindFunc(pc);
      ASSERT_TRUE(f);
      EXPECT_EQ(table.SpDelta(*f, pc), table.SpDelta(*f, pc, &cache));
      EXPECT_EQ(table.PcData(*f, 0, pc), table.PcData(*f, 0, pc, &cache));
      EXPECT_EQ(Describe(table.Symbolize(*f, pc)), Describe(table.Symbolize(*f, pc, &cache)));
    }
}

// Measured, not asserted tightly: 1M lookups of return addresses, as an
// unwinder does them.  Printed for the record.
TEST_F(PclntabRobustness, Speed) {
  std::string why;
  auto t = GoPclntab::Load(source_, &why);
  ASSERT_TRUE(t) << why;
  std::vector<uint64_t> pcs;
  std::mt19937_64 rng(1);
  while (pcs.size() < 4096) {  // pcs inside the code of random functions
    auto f = t->FuncAt(rng() % t->NumFuncs());
    uint64_t end = f ? elf_.CodeEnd(f->entry) : 0;
    if (end > f->entry + 1 && t->SpDelta(*f, end - 1)) pcs.push_back(f->entry + 1 + rng() % (end - f->entry - 1));
  }
  const int kOps = 1000000;
  std::vector<GoPclntab::Location> locs;
  auto time = [&](const char* what, auto&& body) {
    auto start = std::chrono::steady_clock::now();
    uint64_t sink = 0;
    for (int i = 0; i < kOps; i++) sink += body(pcs[i % pcs.size()]);
    double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / kOps;
    std::printf("[ speed    ] %-32s %8.1f ns/op (%zu funcs, sink %llu)\n", what, ns, t->NumFuncs(),
                (unsigned long long)(sink & 1));
    RecordProperty(what, std::to_string(ns));
    return ns;
  };
  time("FindFunc", [&](uint64_t pc) { return t->FindFunc(pc)->entry; });
  time("FindFunc+SpDelta", [&](uint64_t pc) {
    auto f = t->FindFunc(pc);
    return uint64_t(t->SpDelta(*f, pc - 1).value_or(0));
  });
  double sym = time("FindFunc+Symbolize", [&](uint64_t pc) {
    auto f = t->FindFunc(pc);
    t->Symbolize(*f, pc - 1, &locs);
    return uint64_t(locs.size());
  });
  time("FindFunc+SpDelta+Symbolize(vec)", [&](uint64_t pc) {
    auto f = t->FindFunc(pc);
    auto l = t->Symbolize(*f, pc - 1);
    return uint64_t(t->SpDelta(*f, pc - 1).value_or(0)) + l.size();
  });
  // The shape of the real job: 100,000 goroutines x 13 frames, whose pcs
  // come from a few hundred call sites, with a PcValueCache.
  std::vector<uint64_t> sites(pcs.begin(), pcs.begin() + 300);
  GoPclntab::PcValueCache cache;
  auto start = std::chrono::steady_clock::now();
  uint64_t frames = 0;
  for (int g = 0; g < 100000; g++)
    for (int k = 0; k < 13; k++, frames++) {
      uint64_t pc = sites[(g * 7 + k * 31) % sites.size()];
      auto f = t->FindFunc(pc);
      ASSERT_TRUE(t->SpDelta(*f, pc - 1, &cache));
      t->Symbolize(*f, pc - 1, &locs, &cache);
    }
  double per_frame = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / frames;
  std::printf("[ speed    ] %-32s %8.1f ns/frame, %.0f ms for 1.3M frames\n", "cached FindFunc+SpDelta+Symbolize",
              per_frame, per_frame * frames / 1e6);
  RecordProperty("cached_frame_ns", std::to_string(per_frame));
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; i++) ASSERT_TRUE(GoPclntab::Load(source_, &why));
  double load_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / 1000;
  std::printf("[ speed    ] %-32s %8.1f us\n", "Load", load_us);
  // 100,000 goroutines x 13 frames must take seconds, not minutes.
  EXPECT_LT(sym, 20000.0);
}

}  // namespace
}  // namespace cgostack
