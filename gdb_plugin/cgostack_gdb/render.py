"""The standalone CLI's text step: `python3 -m cgostack_gdb.render
{info|goroutines|threads|lockgraph} [OPTIONS]` reads the backend's report (JSON) on
stdin and shows it as the GDB command with the same options would, through
the same filters and formatters (views.py).  No gdb import.

The CLI (native/cli) runs this with the report it produced; for
goroutines that is the compact form (rows and a stack table, without
stacks when the plan says so).  Exit status: 0 shown, 1 failure, 64 usage
error; errors are one `cgostack:` line on stderr."""

import json
import sys

from . import goroutine_filter, options, views

EXIT_FAILURE = 1
EXIT_USAGE = 64


def _run(command, argv, stdin, write):
    # Messages read "cgostack: goroutines: ...", as the CLI's own.
    prog = command
    hint = "cgostack %s --help" % command
    if command == "info":
        args = views.info_parser(prog, hint).parse_args(argv)
        views.show_info(args, json.load(stdin), write)
    elif command == "goroutines":
        args = views.parse_goroutines(views.goroutines_parser(prog, hint), argv)
        plan = views.plan_goroutines(args)
        data = json.load(stdin)
        if plan.kind != "rows":
            data = views.decode_report(data)
        views.show_goroutines(args, plan, data, write)
    elif command == "threads":
        args = views.threads_parser(prog, hint).parse_args(argv)
        views.show_threads(args, json.load(stdin), write)
    elif command == "lockgraph":
        args = views.lockgraph_parser(prog, hint).parse_args(argv)
        views.show_lockgraph(args, json.load(stdin), write)
    else:
        raise options.UsageError("unknown command %r" % command)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        sys.stderr.write("cgostack: render: give a command (info, goroutines, threads, lockgraph)\n")
        return EXIT_USAGE
    try:
        with views.collector_paused():
            _run(argv[0], argv[1:], sys.stdin, sys.stdout.write)
    except options.UsageError as e:
        sys.stderr.write("cgostack: %s\n" % e)
        return EXIT_USAGE
    except goroutine_filter.NotFound as e:
        sys.stderr.write("cgostack: %s\n" % e)
        return EXIT_FAILURE
    except (ValueError, KeyError, TypeError) as e:  # a report this formatter cannot read
        sys.stderr.write("cgostack: cannot format the report: %s: %s\n" % (type(e).__name__, e))
        return EXIT_FAILURE
    except OSError as e:  # --output not writable, or a closed pipe
        sys.stderr.write("cgostack: %s\n" % e)
        return EXIT_FAILURE
    return 0


if __name__ == "__main__":
    sys.exit(main())
