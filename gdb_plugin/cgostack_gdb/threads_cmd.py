"""cgo-threads: parsed, read and rendered by the backend (native/src/views/)."""

import gdb

from . import base


class CgoThreads(base.ViewCommand):
    __doc__ = base.help_text("cgo-threads", "List every OS thread.")
    name = "cgo-threads"

    def __init__(self):
        super().__init__(gdb.COMMAND_STATUS)


def register():
    """Called once, by commands.register()."""
    CgoThreads()
