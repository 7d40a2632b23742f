// The runtime's globals in an executable with neither DWARF nor a symbol
// table (-ldflags='-s -w', or `strip` as distributions do).  Data symbols
// live only in .symtab and DWARF, but .gopclntab still names every function:
// each global is found through the runtime functions that use it (the
// globals their machine code addresses, decoded by Capstone for the
// target's machine: arch/code_refs.h), and a
// candidate is accepted only when the target's memory looks like that
// global (allgs holds distinct gs with valid statuses, allp[i].id == i,
// buildVersion equals the version in .go.buildinfo, ...).  No candidate,
// or more than one, gives no answer: never a guess.  Which function and
// which check, per global, is in global_finder.cc and
// docs/go-runtime-facts.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "goruntime/dwarf_index.h"
#include "goruntime/gopclntab.h"
#include "goruntime/machine_code.h"
#include "target/memory.h"

namespace cgostack {

class GlobalFinder {
 public:
  // layouts: the release's layout table (field offsets, sizes); go_version:
  // from .go.buildinfo ("go1.27.3"), "" if unknown.
  // arch: the target's machine, whose code the runtime functions are.
  GlobalFinder(const Arch& arch, const MemorySource& memory, const GoPclntab& pclntab, DwarfIndex& layouts,
               std::string go_version);

  // Run-time address of a runtime global ("runtime.allgs"), nullopt when
  // the code and memory do not single it out.  Cached.
  std::optional<uint64_t> Find(const std::string& name);

 private:
  std::optional<uint64_t> Locate(const std::string& name);
  const std::vector<CodeRef>& Refs(const std::string& function);
  // Distinct data addresses the `functions` refer to; with `also_minus_8`, each
  // address minus 8 too (code that touches a slice's or string's length
  // field refers to the variable + 8).
  std::vector<uint64_t> DataTargets(const std::vector<std::string>& functions, bool also_minus_8 = false);
  // The address the first store after a call of `callee` in
  // `function` stores to (`x = callee()`).
  std::optional<uint64_t> StoreAfterCall(const std::string& function, const std::string& callee);
  // The single candidate `ok` accepts, else nullopt.
  template <typename Check>
  std::optional<uint64_t> Single(const std::vector<uint64_t>& candidates, Check ok);

  bool IsAllgs(uint64_t addr);
  bool IsAllp(uint64_t addr);
  bool IsAllm(uint64_t addr);
  bool IsStringSlice(uint64_t addr, char must_contain);
  bool StringAt(uint64_t addr, std::string* out, size_t max = 256);
  bool ReadSlice(uint64_t addr, uint64_t max_len, uint64_t* ptr, uint64_t* len);

  const Arch& arch_;
  const MemorySource& memory_;
  const GoPclntab& pclntab_;
  DwarfIndex& layouts_;
  std::string go_version_;
  std::unordered_map<std::string, GoPclntab::Func> functions_;  // filled on first use
  std::map<std::string, std::vector<CodeRef>> refs_;
  std::map<std::string, std::optional<uint64_t>> found_;
};

}  // namespace cgostack
