// Small formatting helpers for messages.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace cgostack {

inline std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace cgostack
