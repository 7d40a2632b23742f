"""The text formatters of cgostack_gdb as they were before the renderer
moved into the C++ backend (issue 12), kept only as the oracle of
test_golden_views.py.  Change a file here only in the commit that changes
the output on purpose (a listed fix), so the golden test shows the
change."""
