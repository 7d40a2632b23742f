"""cgo-info: parsed, read and rendered by the backend (native/src/views/)."""

import gdb

from . import base


class CgoInfo(base.ViewCommand):
    __doc__ = base.help_text("cgo-info", "Summarise a Go process.")
    name = "cgo-info"

    def __init__(self):
        super().__init__(gdb.COMMAND_STATUS)


def register():
    """Called once, by commands.register()."""
    CgoInfo()
