"""Argument parsing for cgostack commands: argparse that raises instead of
exiting GDB, plus the shared --json / --output options."""

import argparse
import json
import shlex


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def __init__(self, prog, description, epilog=None, help_hint=None):
        # Where errors send the user: `help cgo-goroutines` in GDB,
        # `cgostack goroutines --help` on the command line.
        self.help_hint = help_hint or "help " + prog
        super().__init__(prog=prog, description=description, epilog=epilog, add_help=False,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
        self.add_argument("--json", action="store_true",
                          help="print one JSON object instead of text")
        self.add_argument("--output", metavar="FILE",
                          help="write the result to FILE instead of the screen")

    def error(self, message):
        raise UsageError("%s: %s (see `%s`)" % (self.prog, message, self.help_hint))

    def parse(self, arg):
        try:
            words = shlex.split(arg)
        except ValueError as e:
            raise UsageError("%s: %s" % (self.prog, e))
        return self.parse_args(words)

    def option_names(self):
        names = []
        for action in self._actions:
            names.extend(o for o in action.option_strings if o.startswith("--"))
        return sorted(names)


def emit(args, data, text_formatter, write):
    """Renders `data` as JSON or text and sends it to the screen or --output."""
    # Indented JSON for people reading the screen; compact JSON in files
    # (json.dumps with indent bypasses the C encoder: 4x slower on big reports).
    if args.json:
        out = json.dumps(data, indent=None if args.output else 1) + "\n"
    else:
        out = text_formatter(data)
    if args.output:
        write_output(args.output, out)
    else:
        write(out)


def write_output(path, text):
    """Writes an output file through the backend (report/output_file.h):
    whole or not at all, never over an input such as the core GDB has open
    or a debug file it read.  Prints nothing, as the docs say."""
    from . import backend
    try:
        mod = backend.load()
    except backend.BackendMissing:
        # The CLI's text step without a built module (--dot): the CLI has
        # refused inputs already; still whole or not at all.
        return _write_whole(path, text)
    try:
        import gdb  # noqa: PLC0415 - absent in the CLI's text step
        mod.remember_inputs([o.filename for o in gdb.objfiles() if o.filename])
    except ImportError:
        pass
    mod.write_output(path, text)


def _write_whole(path, text):
    import os
    import tempfile
    d = os.path.dirname(path) or "."
    try:
        fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path) + ".cgostack-")
    except OSError as e:
        raise OSError("cannot write %s: %s" % (path, e.strerror or e)) from None
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as e:
        os.unlink(tmp)
        raise OSError("cannot write %s: %s" % (path, e.strerror or e)) from None


def _umask():
    import os
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
