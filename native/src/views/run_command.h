// Runs one command for the CLI or a GDB command: parses its words with the
// command's option table, decides what to read (the plan), reads it from the
// session, and renders text or JSON, to the screen or to --output.
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "session.h"
#include "views/command_options.h"

namespace cgostack::views {

struct CommandRequest {
  const CommandSpec* spec = nullptr;
  std::vector<std::string> words;  // the command's words (no target)
  std::string prog, hint;          // for messages: "cgo-goroutines", "help cgo-goroutines"
  std::map<int64_t, int64_t> gdb_threads;  // GDB's thread number per LWP (none in the CLI)
  // Hands every thread's native frames to the session; called once, only
  // when the plan needs stacks.
  std::function<void()> native_frames;
  // Where the screen is: the CLI streams large JSON straight to standard
  // output (nullptr: into CommandResult::screen).
  std::FILE* screen = nullptr;
};

struct CommandResult {
  std::string screen;    // what to show (empty when written to a file or streamed)
  bool partial = false;  // warnings, unreadable goroutines or stacks: the CLI's exit status 2
};

CommandResult RunCommand(Session& session, const CommandRequest& req);

}  // namespace cgostack::views
