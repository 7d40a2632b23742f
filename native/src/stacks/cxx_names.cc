#include "stacks/cxx_names.h"

#include <libiberty/demangle.h>

#include <cstdlib>
#include <memory>

namespace cgostack {

namespace {

std::string Demangle(const std::string& name, int options) {
  if (name.compare(0, 2, "_Z") != 0) return name;  // not an Itanium C++ name
  std::unique_ptr<char, decltype(&std::free)> d(cplus_demangle(name.c_str(), options), &std::free);
  return d ? std::string(d.get()) : name;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string WithoutParameters(const std::string& demangled) {
  // GDB's C++ name parser (cp-name-parser.y) reads no "{lambda(...)#1}",
  // "{unnamed type#1}" or "{default arg#1}": cp_remove_params fails and the
  // frame keeps the whole name.
  if (demangled.find('{') != std::string::npos) return demangled;
  std::string s = demangled;
  // Member function qualifiers after the parameter list.
  for (bool again = true; again;) {
    again = false;
    for (const char* q : {" const", " volatile", " &&", " &"})
      if (EndsWith(s, q)) {
        s.resize(s.size() - std::char_traits<char>::length(q));
        again = true;
      }
  }
  if (s.empty() || s.back() != ')') return demangled;
  int depth = 0;
  for (size_t i = s.size(); i-- > 0;) {
    if (s[i] == ')') ++depth;
    if (s[i] == '(' && --depth == 0) return i > 0 ? s.substr(0, i) : demangled;
  }
  return demangled;  // unbalanced: not a parameter list
}

std::string DwarfFrameName(const std::string& linkage_or_name) {
  if (linkage_or_name.compare(0, 2, "_Z") != 0) return linkage_or_name;
  return WithoutParameters(Demangle(linkage_or_name, DMGL_PARAMS | DMGL_ANSI | DMGL_RET_DROP));
}

std::string SymbolFrameName(const std::string& symbol) { return Demangle(symbol, DMGL_PARAMS | DMGL_ANSI); }

}  // namespace cgostack
