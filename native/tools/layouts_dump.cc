// cgostack_layouts EXE: prints, as JSON, the runtime layouts the walkers use
// (go_layouts.h: kLayoutStructs, kLayoutGlobals, kLayoutConstantPrefixes) as
// EXE's DWARF describes them.  scripts/gen_layouts.py runs it on a program
// built by each installed Go toolchain and collects the results into
// native/src/goruntime/go_layouts_1_NN.cc (one per release), the fallback for binaries without DWARF.
#include <iostream>

#include <nlohmann/json.hpp>

#include "arch/arch.h"
#include "goruntime/build_info.h"
#include "goruntime/dwarf_index.h"
#include "error.h"
#include "goruntime/go_layouts.h"

using namespace cgostack;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: cgostack_layouts EXE\n";
    return 2;
  }
  try {
    auto exe = ElfImage::Open(argv[1]);
    auto bi = ReadBuildInfo(*exe);
    if (!bi) throw Error(std::string(argv[1]) + " has no Go build info");
    DwarfIndex dw(exe);
    nlohmann::json out;
    out["release"] = GoRelease(bi->go_version);
    out["go_version"] = bi->go_version;
    const Arch* arch = ArchForMachine(exe->machine());
    if (!arch) throw Error(std::string(argv[1]) + ": a machine cgostack does not read");
    out["goarch"] = arch->go_arch;
    nlohmann::json sizes = nlohmann::json::object(), fields = nlohmann::json::object();
    auto put = [&](const std::string& name, const std::vector<std::pair<std::string, DwarfField>>& fs) {
      if (fs.empty()) return;
      nlohmann::json& f = fields[name];
      for (const auto& [path, field] : fs) f[path] = {field.offset, field.size, field.type_name};
    };
    for (const auto& type : kLayoutStructs) {
      if (auto size = dw.TypeSize(type)) sizes[type] = *size;
      put(type, dw.AllFields(type));
    }
    nlohmann::json globals = nlohmann::json::object();
    for (const auto& name : kLayoutGlobals) {
      auto g = dw.Global(name);
      if (!g) continue;
      globals[name] = {{"size", g->size}, {"count", dw.ArrayCount(g->type).value_or(0)}};
      put(name, dw.AllGlobalFields(name));
    }
    nlohmann::json constants = nlohmann::json::object();
    for (const auto& prefix : kLayoutConstantPrefixes)
      for (const auto& [name, value] : dw.ConstantsWithPrefix(prefix)) constants[name] = value;
    out["type_sizes"] = sizes;
    out["fields"] = fields;
    out["globals"] = globals;
    out["constants"] = constants;
    std::cout << out.dump() << "\n";
  } catch (const Error& e) {
    std::cerr << "cgostack_layouts: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
