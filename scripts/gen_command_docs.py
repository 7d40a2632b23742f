#!/usr/bin/env python3
"""Regenerates the options tables of docs/commands.md (between the
`<!-- options:begin -->` and `<!-- options:end -->` markers) from the
backend's option tables (native/src/views/command_options.cc), the same
tables the CLI's and GDB's parsers and help texts use.  Run after
scripts/build.sh; views_test.cc fails while the doc is stale."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN, END = "<!-- options:begin -->\n", "<!-- options:end -->\n"


def main():
    sys.path.insert(0, os.path.join(os.environ.get("CGOSTACK_BUILD_DIR", os.path.join(ROOT, "build")), "python"))
    import _cgostack
    path = os.path.join(ROOT, "docs", "commands.md")
    with open(path) as f:
        text = f.read()
    head, rest = text.split(BEGIN, 1) if BEGIN in text else (text.rstrip("\n") + "\n\n## Options of every command\n\n", END)
    _, tail = rest.split(END, 1)
    with open(path, "w") as f:
        f.write(head + BEGIN + _cgostack.markdown_options() + END + tail)


if __name__ == "__main__":
    main()
