/* Source of the ELF/DWARF fuzz target's seeds (scripts/fuzz.sh compiles it
 * with gcc at DWARF 4 and 5, compressed and not, then renames "runtime_" to
 * "runtime." in the file).  It is a few kilobytes instead of a Go binary's
 * megabytes, yet its DWARF has the names and shapes the Go walkers look up:
 * runtime.g with nested sched/stack structs, runtime.m, globals, an array. */
#include <stdint.h>

struct runtime_gobuf { uintptr_t sp, pc, g, ctxt, ret, lr, bp; };
struct runtime_stack { uintptr_t lo, hi; };
struct runtime_m;
struct runtime_g {
  struct runtime_stack stack;
  uintptr_t stackguard0, stackguard1;
  struct runtime_m *m;
  struct runtime_gobuf sched;
  uintptr_t syscallsp, syscallpc;
  uint32_t atomicstatus;
  uint64_t goid;
  uint8_t waitreason;
  int64_t waitsince;
  struct runtime_m *lockedm;
  uintptr_t gopc, startpc;
  uint64_t parentGoid;
  void *labels;
};
struct runtime_m { int64_t id; struct runtime_g *g0, *curg; uint64_t procid; struct runtime_m *alllink; void *p; };
struct runtime_string { const char *str; int64_t len; };
struct runtime_slice { void *array; int64_t len, cap; };

struct runtime_g runtime_g0;
struct runtime_m runtime_m0;
struct runtime_slice runtime_allgs;
struct runtime_m *runtime_allm = &runtime_m0;
struct runtime_string runtime_buildVersion = {"go1.27", 6};
struct runtime_string runtime_waitReasonStrings[3];
struct { int32_t cgocheck, asyncpreemptoff; } runtime_debug;

int main(void) { return (int)runtime_g0.goid + (int)runtime_debug.cgocheck; }
