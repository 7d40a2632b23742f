// Runtime layouts per Go release, for executables built without DWARF
// (-ldflags=-w): what DwarfIndex would have read from the binary's own DWARF,
// measured on each toolchain's DWARF by scripts/gen_layouts.py and committed
// as go_layouts_1_NN.cc (one per release).  Used only when the binary carries no DWARF; the
// binary's own DWARF always wins (docs/go-runtime-facts.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "goruntime/dwarf_index.h"

namespace cgostack {

struct GoLayoutTable {
  std::string release;     // "1.27"
  std::string goarch;      // "amd64", "arm64" (tables generated before arm64 had none: amd64)
  std::string go_version;  // the toolchain measured, "go1.27.3"
  std::map<std::string, uint64_t> type_sizes;
  // "runtime.g" -> "sched.sp" -> field; globals of anonymous struct type
  // under their own name ("runtime.debug").
  std::map<std::string, std::map<std::string, DwarfField>> fields;
  struct Global {
    uint64_t size = 0;
    uint64_t count = 0;  // elements, for arrays (runtime.waitReasonStrings)
  };
  std::map<std::string, Global> globals;
  std::map<std::string, int64_t> constants;
};

// The table for a Go release ("1.27") on a GOARCH, or nullptr if none was
// generated.  Per GOARCH: a few runtime structs differ (Go 1.27's p.xRegs,
// the cache-line padding of runtime.semTable: 64 bytes on amd64, 128 on arm64).
const GoLayoutTable* GoLayoutsFor(const std::string& release, const std::string& goarch = "amd64");
// Releases with a table for `goarch`, oldest first.
std::vector<std::string> GoLayoutReleases(const std::string& goarch = "amd64");
// "go1.27.3" -> "1.27"; "" if not a release version.
std::string GoRelease(const std::string& go_version);

// The structs, globals and constant prefixes the tables record: everything
// the walkers look up (generous: whole structs, not single fields).
extern const std::vector<std::string> kLayoutStructs;
extern const std::vector<std::string> kLayoutGlobals;
extern const std::vector<std::string> kLayoutConstantPrefixes;

}  // namespace cgostack
