#include "views/frame_lines.h"

#include <algorithm>

#include "stacks/go_unwind.h"
#include "views/escape.h"

namespace cgostack::views {

namespace {

// What each stack switch means, for the line that marks it.
std::string_view BoundaryText(std::string_view kind) {
  if (kind == "cgocall") return "C code called from Go (runtime.cgocall -> asmcgocall, system stack above)";
  if (kind == "callback") return "Go called back from C (crosscall2 -> runtime.cgocallback, C below)";
  if (kind == "mcall")
    return "scheduler on the system stack (runtime.mcall) above; the goroutine locked to this thread below";
  if (kind == "systemstack") return "runtime.systemstack: system stack above, the goroutine's stack below";
  if (kind == "sigpanic") return "a fault turned into a call of runtime.sigpanic above; the faulting code below";
  return kind.empty() ? "stack switch" : kind;
}

// Whether b repeats a (deep recursion), to show as one line "(N times)":
// the same pc, so distinct frames that share a name (C frames without
// symbols are all "??") never fold; and every boundary is shown (two nested
// Go signal handlers are two boundaries).
bool SameFrame(const StackFrame& a, const StackFrame& b) {
  if (a.lang != b.lang || a.lang == FrameLang::kBoundary) return false;
  return a.pc == b.pc && a.function == b.function && a.file == b.file && a.line == b.line &&
         a.inlined == b.inlined;
}

void Pad(std::string& out, size_t used, size_t width) {
  if (used < width) out.append(width - used, ' ');
}

}  // namespace

std::string BoundaryLine(const StackFrame& f) {
  // A boundary's function is its kind, its file the signal, its line the
  // number of handler frames folded into it (stacks/stitch.h).
  std::string out = kIndent;
  out += "---- ";
  if (f.function == "signal") {
    out += "in the Go signal handler for ";
    if (f.file.empty()) out += "a signal";
    else AppendEscaped(out, f.file);
    if (f.line) {
      out += " (" + std::to_string(f.line) + " handler frames hidden; --signal-frames shows them)";
    }
    out += "; the interrupted code below";
  } else if (f.function == kElidedBoundary) {
    out += "..." + std::to_string(f.line) + " frames elided... (--frames all shows them)";
  } else {
    AppendEscaped(out, BoundaryText(f.function));
  }
  out += " ----";
  return out;
}

void AppendWhere(std::string& out, const StackFrame& f) {
  if (!f.file.empty()) {
    AppendEscaped(out, f.file);
    out += ':';
    out += std::to_string(f.line);
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "pc 0x%llx", static_cast<unsigned long long>(f.pc));
  out += buf;
}

FrameBlock RenderFrames(const std::vector<StackFrame>& all, std::optional<size_t> limit, bool runtime_frames) {
  FrameBlock block;
  std::vector<const StackFrame*> vis;
  vis.reserve(all.size());
  for (const auto& f : all)
    if (runtime_frames || f.lang != FrameLang::kGo || !f.hidden_by_default) vis.push_back(&f);
  size_t hidden = all.size() - vis.size();
  block.runtime_hidden = hidden > 0;

  struct Run {
    size_t first, count;
  };
  std::vector<Run> runs;
  for (size_t i = 0; i < vis.size(); ++i) {
    if (!runs.empty() && SameFrame(*vis[runs.back().first], *vis[i])) ++runs.back().count;
    else runs.push_back({i, 1});
  }
  size_t shown = limit ? std::min(*limit, runs.size()) : runs.size();
  std::vector<std::string> names(shown);
  size_t width = 0;
  for (size_t r = 0; r < shown; ++r) {
    const StackFrame& f = *vis[runs[r].first];
    if (f.lang == FrameLang::kBoundary) continue;
    names[r] = f.function.empty() ? "??" : Escaped(f.function);
    width = std::max(width, DisplayWidth(names[r]));
  }
  width = std::min(width, kFuncWidthMax);
  for (size_t r = 0; r < shown; ++r) {
    const StackFrame& f = *vis[runs[r].first];
    if (f.lang == FrameLang::kBoundary) {
      block.lines.push_back(BoundaryLine(f));
      continue;
    }
    std::string line = kIndent;
    // The common Go frame shows its name as it is, even an empty one.
    bool common = !f.file.empty() && !f.inlined && runs[r].count == 1 && f.lang == FrameLang::kGo;
    std::string_view name = common && f.function.empty() ? std::string_view() : std::string_view(names[r]);
    line += name;
    Pad(line, DisplayWidth(name), width);
    line += "  ";
    AppendWhere(line, f);
    if (!common) {
      if (f.inlined) line += " (inlined)";
      if (f.lang == FrameLang::kC) {
        if (f.object.empty()) {
          line += " [C]";
        } else {
          size_t slash = f.object.rfind('/');
          line += " [C ";
          AppendEscaped(line, slash == std::string_view::npos ? f.object : f.object.substr(slash + 1));
          line += ']';
        }
      }
      if (runs[r].count > 1) line += " (" + std::to_string(runs[r].count) + " times)";
    }
    block.lines.push_back(std::move(line));
  }
  size_t cut = 0;
  for (size_t r = shown; r < runs.size(); ++r) cut += runs[r].count;
  if (cut) block.lines.push_back(std::string(kIndent) + "..." + std::to_string(cut) + " more frame" + (cut == 1 ? "" : "s") + " (--frames)");
  if (hidden && vis.empty())
    block.lines.push_back(std::string(kIndent) + "(" + std::to_string(hidden) + " runtime frame" + (hidden == 1 ? "" : "s") +
                          " hidden; --runtime-frames shows them)");
  return block;
}

}  // namespace cgostack::views
