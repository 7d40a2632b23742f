"""GDB command layer of cgostack.  No Go runtime knowledge lives here: the C++
backend (_cgostack) reads the target; this package finds the target in GDB,
parses options and formats the backend's JSON."""
