// What the Go runtime and the C library leave in memory about why a process
// is dying: the value a goroutine panics with (g._panic), the message of a
// runtime throw/fatal (runtime.printBacklog), and glibc's abort message
// (__abort_msg, set by assert() and the library's own fatal checks).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "goruntime/go_runtime.h"

namespace cgostack {

struct PanicValue {
  std::string type;                 // the dynamic type's name: "*fmt.wrapError", "string"
  std::optional<std::string> text;  // its text, when the value is a string or holds one first
};

// The innermost panic of the goroutine at `gp` (g._panic.arg); nullopt when
// it is not panicking or the memory is unreadable.
std::optional<PanicValue> ReadPanicValue(GoRuntime& rt, uint64_t gp);

// The name of the runtime type descriptor at `type` (runtime._type /
// internal/abi.Type: its str nameOff into firstmoduledata.types).
std::optional<std::string> RuntimeTypeName(GoRuntime& rt, uint64_t type);

// The last "fatal error: ..." line in runtime.printBacklog, the circular
// buffer of what the runtime printed before it started to panic (throw and
// fatal print their message before fatalthrow sets runtime.panicking).
std::optional<std::string> ReadFatalError(GoRuntime& rt);

// glibc's __abort_msg (a dynamic symbol of libc.so.6, or of the executable
// when libc is linked in statically) in a core: "check.c:6: check: Assertion
// `x' failed.\n"; nullopt when unset or the library is not found.
std::optional<std::string> ReadAbortMessage(Target& target);

}  // namespace cgostack
