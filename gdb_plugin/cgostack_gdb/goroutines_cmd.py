"""cgo-goroutines and cgo-goroutine: parsed, read and rendered by the
backend (native/src/views/); GDB contributes its thread numbers and, when
the view needs stacks, every thread's native frames."""

import gdb

from . import base


class CgoGoroutines(base.ViewCommand):
    __doc__ = base.help_text("cgo-goroutines", "List goroutines.")
    name = "cgo-goroutines"

    def __init__(self):
        super().__init__(gdb.COMMAND_STACK)


class CgoGoroutine(base.ViewCommand):
    __doc__ = base.help_text("cgo-goroutine", "Show one goroutine in full.")
    name = "cgo-goroutine"

    def __init__(self):
        super().__init__(gdb.COMMAND_STACK)


def register():
    """Called once, by commands.register()."""
    CgoGoroutines()
    CgoGoroutine()
