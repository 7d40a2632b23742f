"""cgo-lockgraph: parsed, read and rendered by the backend (native/src/views/)."""

import gdb

from . import base


class CgoLockgraph(base.ViewCommand):
    __doc__ = base.help_text("cgo-lockgraph", "The cross-language wait-for graph.")
    name = "cgo-lockgraph"

    def __init__(self):
        super().__init__(gdb.COMMAND_STATUS)


def register():
    """Called once, by commands.register()."""
    CgoLockgraph()
