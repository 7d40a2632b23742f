#include "goruntime/go_layouts.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <regex>

#include "error.h"

namespace cgostack {

extern const char kGoLayoutsJson[];  // go_layouts_data.cc (generated)

const std::vector<std::string> kLayoutStructs = {
    "runtime.g",     "runtime.m",      "runtime.p",     "runtime.gobuf",
    "runtime.stack", "runtime.sudog",  "runtime.hchan", "runtime.waitq",
    "runtime.mutex", "runtime.schedt", "runtime/pprof.labelMap", "sync.Mutex",
    "sync.RWMutex",  "sync.WaitGroup", "runtime.semaRoot", "runtime.semTable",
    "runtime.sigTabT", "runtime.maybeTraceablePtr", "internal/sync.Mutex",
    "runtime.moduledata",  // text, gofunc: stripped binaries (module_data.h)
};
const std::vector<std::string> kLayoutGlobals = {
    "runtime.allgs",      "runtime.allm",    "runtime.allp",          "runtime.buildVersion",
    "runtime.gomaxprocs", "runtime.ncpu",    "runtime.numCPUStartup", "runtime.iscgo",
    "runtime.envs",       "runtime.debug",   "runtime.waitReasonStrings", "runtime.gStatusStrings",
    "runtime.sched",      "runtime.allglen",  "runtime.semtable",      "runtime.sigtable",
    "runtime.mainInitDoneChan", "runtime.main_init_done",
};
const std::vector<std::string> kLayoutConstantPrefixes = {"runtime._G", "runtime._P", "runtime._Sig",
                                                          "runtime.sigPreempt"};

namespace {

std::map<std::string, GoLayoutTable> Load() {
  std::map<std::string, GoLayoutTable> out;
  auto doc = nlohmann::json::parse(kGoLayoutsJson);
  for (const auto& r : doc["releases"]) {
    GoLayoutTable t;
    t.release = r["release"];
    t.go_version = r["go_version"];
    for (const auto& [k, v] : r["type_sizes"].items()) t.type_sizes[k] = v;
    for (const auto& [type, fields] : r["fields"].items())
      for (const auto& [path, f] : fields.items()) {
        DwarfField df;
        df.offset = f[0];
        df.size = f[1];
        df.type_name = f[2];
        t.fields[type][path] = df;
      }
    for (const auto& [k, v] : r["globals"].items()) t.globals[k] = {v["size"], v["count"]};
    for (const auto& [k, v] : r["constants"].items()) t.constants[k] = v;
    out[t.release] = std::move(t);
  }
  return out;
}

const std::map<std::string, GoLayoutTable>& Tables() {
  static const std::map<std::string, GoLayoutTable> tables = Load();
  return tables;
}

}  // namespace

const GoLayoutTable* GoLayoutsFor(const std::string& release) {
  auto it = Tables().find(release);
  return it == Tables().end() ? nullptr : &it->second;
}

std::vector<std::string> GoLayoutReleases() {
  std::vector<std::string> out;
  for (const auto& [k, v] : Tables()) out.push_back(k);
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return std::stoi(a.substr(2)) < std::stoi(b.substr(2));
  });
  return out;
}

std::string GoRelease(const std::string& go_version) {
  static const std::regex re(R"(^go(1\.[0-9]+)(\.[0-9]+)?([^0-9].*)?$)");
  std::smatch m;
  return std::regex_match(go_version, m, re) ? m[1].str() : std::string();
}

}  // namespace cgostack
