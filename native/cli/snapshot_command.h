// The CLI's commands on a live process that are not views of one target:
// `snapshot` (a core of a held-briefly process) and `watch` (several
// snapshots compared).  See snapshot/take_snapshot.h and snapshot/watch.h.
#pragma once

#include <string>
#include <vector>

namespace cgostack::cli {

// Returns the exit status, or -1 when `name` is not one of these commands.
int RunSnapshotCommand(const std::string& name, const std::vector<std::string>& words);
// One line per command for `cgostack --help`.
const char* SnapshotCommandsHelp();

}  // namespace cgostack::cli
