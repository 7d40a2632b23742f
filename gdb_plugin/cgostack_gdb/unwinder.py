"""A GDB frame unwinder for Go frames, so that GDB's own `bt` (and `frame`,
`up`, `info locals` in C frames) crosses the places where the Go runtime
switches stacks: from C frames of a cgo call into the goroutine that made
it, from a Go callback back into the C code that called it, out of the Go
signal handler into the interrupted code, and from the scheduler into a
goroutine locked to the thread.  The rules are the backend's
(native/src/stacks/stack_switch.cc); this file only speaks GDB.

GDB stops a backtrace whose frames go "inward" (a caller's frame address
below its callee's, as when returning from the system stack to a goroutine
stack, which lives lower in memory).  Frames this unwinder produces get
frame ids whose stack address never goes below the previous frame's: the
real address where possible, else the previous one with the real address
as the id's `special` part, so frames stay distinct.  A frame on a
goroutine stack lying above its thread's system stack (qemu-user's guest
heap) takes the system stack's low end instead of its own address, so
that the C frames of a callback, which GDB places by their real addresses
on the system stack, still go outward (_ordered_sp).  Frames after a
signal frame start afresh: GDB does not order frames across one.

The outermost Go frame (runtime.goexit, runtime.mstart) is left to GDB's
DWARF unwinder on link-register machines, where the Go linker's CFI marks
its return address undefined: GDB then ends the stack there quietly,
which a Python unwinder cannot do (any caller it gives is shown).

The Go signal handler's caller is left to GDB: runtime.sigtramp's return
address is the signal trampoline (x86-64: sa_restorer, glibc's
__restore_rt or runtime.sigreturn__sigaction without cgo; aarch64: the
vDSO's __kernel_rt_sigreturn, or qemu-user's copy of it), which GDB's own
<arch>-linux sigtramp unwinder recognises by its code, shows as `<signal
handler called>` and unwinds from the kernel's signal frame.  So this
unwinder gives sigtramp's caller as that trampoline (its pc, and as SP
sigtramp's caller SP, as the kernel left it: the ucontext on x86-64, the
siginfo before it on aarch64) and never claims the trampoline frame.
One exception: GDB's x86-64 sniffer takes a trampoline only by the name
glibc and Go 1.20+ give it (__restore_rt, or a name with "sigaction" in it);
a pure-Go program of Go 1.19 returns through runtime.sigreturn, which GDB
unwinds as an ordinary function into the signal frame's words.  There the
unwinder claims the trampoline frame itself and gives it the interrupted
registers (own_trampoline(): native_frames.py skips it as it skips GDB's
`<signal handler called>`; `bt` shows it as runtime.sigreturn).

Register names and roles (pc, sp, frame pointer, link register) are the
target machine's, from the backend's table (registers.py)."""

import gdb
from gdb.unwinder import Unwinder

from . import registers, target


_u64 = None


def _u64_type():
    # A program without cgo has no C types in its debug info ("unsigned
    # long" is unknown there): ask the architecture, else Go's uintptr.
    global _u64
    if _u64 is None:
        try:
            _u64 = gdb.selected_inferior().architecture().integer_type(64, False)
        except (AttributeError, gdb.error, ValueError):
            try:
                _u64 = gdb.lookup_type("unsigned long")
            except gdb.error:
                _u64 = gdb.lookup_type("uintptr")
    return _u64


def _address(v):
    # GDB 13 takes frame-id parts only as gdb.Value.
    return gdb.Value(v & 0xFFFFFFFFFFFFFFFF).cast(_u64_type())


class _FrameId:
    def __init__(self, sp, pc, special=None):
        self.sp = _address(sp)
        self.pc = _address(pc)
        if special is not None:
            self.special = _address(special)


class GoFrameUnwinder(Unwinder):
    def __init__(self):
        super().__init__("cgostack-go")
        # (lwp, pc, sp) of frames this unwinder produced a caller for ->
        # (lowest stack address the caller's id may have, whether its pc is
        # exact: the context a signal interrupted, not a return address).
        self._callers = {}
        # (lwp, pc, sp) of signal trampoline frames: GDB's to unwind.
        self._trampolines = set()
        # (lwp, pc, sp) of trampoline frames GDB would not take (see the
        # module's doc) -> the interrupted registers: ours to unwind.
        self._own_trampolines = {}
        self._gdb_takes = {}  # restorer pc -> whether GDB's sniffer takes it
        self._types = {}
        self.errors = 0

    def forget(self):
        self._callers.clear()
        self._trampolines.clear()
        self._own_trampolines.clear()
        self._gdb_takes.clear()

    def __call__(self, pending_frame):
        try:
            return self._unwind(pending_frame)
        except Exception:  # noqa: BLE001 - an unwinder must never break GDB's backtrace
            self.errors += 1
            return None

    def _value(self, pending_frame, name, v):
        t = self._types.get(name)
        if t is None:
            t = self._types[name] = pending_frame.read_register(name).type
        return _address(v).cast(t)

    def _unwind(self, pending_frame):
        session = target.unwinder_session()
        if session is None:
            return None
        names = registers.of(session)
        pc = registers.read(pending_frame, names.pc)
        # Most frames GDB asks about are C: leave them before anything else
        # is read (the answer below depends on whether pc is a return
        # address only at a Go function's boundary).
        if not session.is_go_pc(pc, True) and not session.is_go_pc(pc, False):
            return None
        sp = registers.read(pending_frame, names.sp)
        thread = gdb.selected_thread()
        if thread is None:
            return None
        lwp = thread.ptid[1]
        if pending_frame.level() == 0 or (
                (lwp, pc, sp) not in self._callers and pending_frame.level() <= _inline_depth(pc)):
            # The thread's own registers: where a running goroutine is (its
            # stack or the system stack) decides which frames are its, and
            # so how deep in callbacks it is (goroutines.cc StartOfRunning).
            # Stopped in a function inlined at pc, GDB's inline-frame
            # unwinder makes the level-0 frame(s) and asks unwinders only
            # for the physical frame under them, which has the thread's
            # registers all the same (testprogcgo CgoCallbackX15: a
            # breakpoint on main.go_callback_amd64, inlined into its cgo
            # export wrapper; without this the session never had the
            # thread's registers and bt lost the callback's cgo call
            # frame, runtime.systemstack_switch).  A caller this unwinder
            # gave is never that frame.
            fp = registers.read(pending_frame, names.fp)
            if target.note_thread_registers(lwp, pc, sp, fp, registers.read_lr(pending_frame, names)):
                # The process ran since the session was made: start over.
                self.forget()
                session = target.unwinder_session()
                if session is None:
                    return None
                names = registers.of(session)
        own = self._own_trampolines.get((lwp, pc, sp))
        if own is not None:
            info = pending_frame.create_unwind_info(_FrameId(sp, pc))
            for name in names.unwound:
                if name in own:
                    info.add_saved_register(name, self._value(pending_frame, name, own[name]))
            return info
        if (lwp, pc, sp) in self._trampolines:
            return None  # GDB's sigtramp unwinder: "<signal handler called>"
        floor, exact = self._callers.get((lwp, pc, sp), (0, False))
        return_address = pending_frame.level() > 0 and not exact
        if not session.is_go_pc(pc, return_address):
            return None
        fp = registers.read(pending_frame, names.fp)
        # Where pc is not a return address the function may not have saved
        # its return address yet: on a link-register machine it is in LR.
        lr = 0 if return_address else registers.read_lr(pending_frame, names)
        step = session.go_frame_step(lwp, pc, sp, fp, return_address, lr)
        if step is None:
            return None
        if step["top_frame"] and names.lr is not None and _has_cfi(pc):
            # runtime.goexit, mstart: on a link-register machine the Go
            # linker's CFI marks the return address undefined there, so
            # GDB's DWARF unwinder ends the stack at this frame (GDB 13's
            # Python API cannot mark a frame outermost: any caller given
            # here would be shown, even one at pc 0).
            return None
        cfa = step["cfa"] or sp
        id_sp = max(_ordered_sp(step, max(cfa, sp)), floor)
        frame_id = _FrameId(id_sp, step["entry"], special=cfa if id_sp != cfa else None)
        info = pending_frame.create_unwind_info(frame_id)
        regs = step["registers"]
        if step["outermost"]:
            # A caller at pc 0 ends GDB's backtrace quietly on x86-64 (a
            # frame without a saved pc ends it with an error); its SP keeps
            # ids outward.  On aarch64 GDB's stub unwinder takes the pc-0
            # frame and repeats it: "previous frame identical" (a known gap
            # for outermost frames that are not TOPFRAME, such as
            # runtime.morestack on g0; docs/platforms.md).
            regs = {names.pc: 0, names.sp: id_sp + 8}
        elif step["switch"] == "signal":
            regs = self._trampoline(lwp, step, id_sp, names) or regs
        if names.lr is not None and names.lr not in regs and names.pc in regs:
            # A link-register machine returns with the return address in
            # LR: that is LR's value in the caller when it resumes (GDB's
            # unwinders of C callers read it; "not saved" ends bt).
            regs = dict(regs)
            regs[names.lr] = regs[names.pc]
        for name in names.unwound:
            if name in regs:
                info.add_saved_register(name, self._value(pending_frame, name, regs[name]))
        if names.pc in regs:
            self._callers[(lwp, regs[names.pc], regs[names.sp])] = (id_sp,
                                                                    step["switch"] in ("signal", "sigpanic"))
        return info

    def _trampoline(self, lwp, step, id_sp, names):
        """runtime.sigtramp's caller as the kernel made it: the signal
        trampoline the handler returns to (its return address, in the slot
        step["return_address_slot"]) with SP at sigtramp's caller SP
        (step["cfa"]), where the kernel put the signal frame and where
        GDB's sigtramp unwinder reads the interrupted registers from.  The
        interrupted frame is remembered as exact (its pc is not a return
        address).  None if the word cannot be read."""
        frame_sp, slot = step["cfa"], step.get("return_address_slot")
        if not slot:
            return None
        try:
            word = bytes(gdb.selected_inferior().read_memory(slot, 8))
        except (gdb.error, gdb.MemoryError, ValueError):
            return None
        restorer = int.from_bytes(word, "little")
        if not restorer:
            return None
        interrupted = step["registers"]
        if names.pc in interrupted and names.sp in interrupted:
            # GDB does not order frames across a signal frame it unwinds
            # itself (the handler may run on another stack): no floor for
            # the interrupted frame's id then, as one carried over from the
            # signal stack could sit above the interrupted thread's own
            # stack, where GDB's ids of its C frames would look inward.  A
            # trampoline this unwinder takes is a normal frame to GDB: the
            # floor holds across it.
            gdb_takes = self._gdb_takes_trampoline(restorer, names)
            self._callers[(lwp, interrupted[names.pc], interrupted[names.sp])] = (0 if gdb_takes else id_sp, True)
            if not gdb_takes:
                self._own_trampolines[(lwp, restorer, frame_sp)] = interrupted
                return {names.pc: restorer, names.sp: frame_sp}
        self._trampolines.add((lwp, restorer, frame_sp))
        return {names.pc: restorer, names.sp: frame_sp}

    def _gdb_takes_trampoline(self, restorer, names):
        """Whether GDB's own sigtramp unwinder takes the trampoline at
        `restorer`: always on aarch64 (by its code); on x86-64 (GDB's
        amd64_linux_sigtramp_p) when it has no symbol, is __restore_rt, or
        its name has "sigaction" in it (Go 1.20's runtime.sigreturn__sigaction
        was named so for GDB; Go 1.19's runtime.sigreturn was not)."""
        if names.machine != "x86-64":
            return True
        takes = self._gdb_takes.get(restorer)
        if takes is None:
            try:
                text = gdb.execute("info symbol %#x" % restorer, to_string=True)
            except gdb.error:
                text = ""
            name = text.split(" in section ")[0].split(" + ")[0].strip() if " in section " in text else ""
            takes = self._gdb_takes[restorer] = (not name or "sigaction" in name or name == "__restore_rt")
        return takes

    def own_trampoline(self, lwp, pc, sp):
        """Whether the frame at (pc, sp) is a signal trampoline this
        unwinder unwound in GDB's place (a normal frame to GDB)."""
        return (lwp, pc, sp) in self._own_trampolines

    def interrupted(self, lwp, pc, sp):
        """Whether the frame at (pc, sp) is the context a signal interrupted:
        its pc is the faulting instruction, not a return address (GDB looks
        up pc-1 for it, as it cannot tell: a Python unwinder makes only
        normal frames)."""
        return self._callers.get((lwp, pc, sp), (0, False))[1]


def _ordered_sp(step, sp):
    """The stack address a frame's id may have: its own, except on a
    goroutine stack lying above its thread's system stack (heap memory:
    under qemu-user the guest's heap is above the threads' stacks), where
    it is the system stack's low end.  The ids of a thread's frames must
    not go inward; GDB's ids of C frames are their real addresses on the
    system stack, which a callback from C reaches after the goroutine's
    frames, and which lie above that low end.  Where goroutine stacks are
    below the threads' stacks (x86-64, arm64 kernels) this is the frame's
    own address."""
    low = step["system_stack_lo"]
    if step["on_goroutine_stack"] and low:
        return min(sp, low)
    return sp


def _inline_depth(pc):
    """How many inlined calls enclose pc (GDB's blocks of inlined
    subroutines carry their function, as the function's own block does)."""
    try:
        b = gdb.block_for_pc(pc)
    except (RuntimeError, gdb.error):
        return 0
    functions = 0
    while b is not None and not b.is_global and not b.is_static:
        if b.function is not None:
            functions += 1
        b = b.superblock
    return max(functions - 1, 0)


def _has_cfi(pc):
    """Whether GDB has the executable's DWARF for pc (Go's linker writes
    .debug_frame with .debug_line and drops both with -w), so that its
    DWARF unwinder, not a prologue analyser, unwinds the frame."""
    try:
        return gdb.find_pc_line(pc).symtab is not None
    except gdb.error:
        return False


_unwinder = None


def install(objfile):
    """Registers the unwinder for `objfile`, one that holds Go code (the
    executable, or a c-shared Go library): GDB asks it only for frames
    whose pc is in that objfile."""
    global _unwinder
    if _unwinder is None:
        _unwinder = GoFrameUnwinder()
    gdb.unwinder.register_unwinder(objfile, _unwinder, replace=True)
    return _unwinder


def current():
    """The unwinder (made on first use; registered by install())."""
    global _unwinder
    if _unwinder is None:
        _unwinder = GoFrameUnwinder()
    return _unwinder


def forget():
    if _unwinder is not None:
        _unwinder.forget()
