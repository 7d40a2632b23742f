// The backend's views on synthetic goroutines: filters, grouping, the text
// of the list, grouped and full views, terminal escaping, the option
// tables, and 100,000 goroutines.  (The same views on real cores, against
// the formatters they replaced: tests/e2e/test_golden_views.py.)
#include <algorithm>  // std::find (GCC 14 no longer brings it in through <vector>)
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "views/command_options.h"
#include "views/escape.h"
#include "views/goroutine_selection.h"
#include "views/goroutines_text.h"
#include "views/lockgraph_text.h"

namespace cgostack::views {
namespace {

StackFrame Go(std::string_view fn, std::string_view file, int line, uint64_t pc, bool runtime = false,
              bool inlined = false) {
  StackFrame f;
  f.function = fn;
  f.file = file;
  f.line = line;
  f.pc = pc;
  f.hidden_by_default = runtime;
  f.inlined = inlined;
  return f;
}

StackFrame C(std::string_view fn, uint64_t pc, std::string_view object = "/lib/libc.so.6") {
  StackFrame f;
  f.lang = FrameLang::kC;
  f.function = fn;
  f.pc = pc;
  f.object = object;
  return f;
}

StackFrame Boundary(std::string_view kind, std::string_view signal = "") {
  StackFrame f;
  f.lang = FrameLang::kBoundary;
  f.function = kind;
  f.file = signal;
  return f;
}

const std::vector<StackFrame> kPark = {Go("runtime.gopark", "/go/src/runtime/proc.go", 435, 0x43a1ce, true),
                                       Go("runtime.goparkunlock", "/go/src/runtime/proc.go", 441, 0x43a1ce, true, true)};
const StackFrame kLock = Go("sync.(*Mutex).Lock", "/go/src/sync/mutex.go", 90, 0x46f00d, false, true);
const StackFrame kWorker = Go("main.worker", "/src/main.go", 30, 0x49a2f3);

std::vector<StackFrame> Cat(std::vector<StackFrame> a, const std::vector<StackFrame>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct Builder {
  GoroutineSet set;
  Goroutine& Add(uint64_t goid, std::string status, std::string reason, const std::vector<StackFrame>& frames) {
    Goroutine g;
    g.goid = goid;
    g.address = 0xc000000000 + goid * 0x1a0;
    g.status = std::move(status);
    g.wait_reason = std::move(reason);
    g.created_by = "main.main";
    g.created_by_file = "/src/main.go";
    g.created_by_line = 25;
    g.parent_goid = 1;
    g.start = "main.worker";
    set.goroutines.push_back(g);
    set.stack_of.push_back(static_cast<uint32_t>(set.stacks.size()));
    set.stacks.push_back(frames);
    return set.goroutines.back();
  }
};

GoroutineSet Sample() {
  Builder b;
  Goroutine& g1 = b.Add(1, "waiting", "chan receive",
                        Cat(kPark, {Go("runtime.chanrecv1", "/go/src/runtime/chan.go", 489, 0x40a1b0, true),
                                    Go("main.main", "/src/main.go", 40, 0x49a412)}));
  g1.created_by = g1.created_by_file = "";
  g1.created_by_line = 0;
  g1.parent_goid.reset();
  g1.start = "main.main";
  Goroutine& g2 = b.Add(2, "waiting", "force gc (idle)",
                        Cat(kPark, {Go("runtime.forcegchelper", "/go/src/runtime/proc.go", 348, 0x43a01a, true)}));
  g2.system = true;
  g2.created_by = "runtime.init.7";
  Goroutine& g17 = b.Add(17, "syscall", "",
                         {Go("runtime.cgocall", "/go/src/runtime/cgocall.go", 167, 0x404f0b, true),
                          Go("main._Cfunc_lock_it", "_cgo_gotypes.go", 61, 0x49a111), kWorker});
  g17.m = 3;
  g17.lwp = 26296;
  g17.locked_to_thread = true;
  g17.locked_m = 3;
  g17.locked_lwp = 26296;
  g17.labels = {{"job", "sync"}, {"a", "1"}};
  b.Add(18, "waiting", "sync.Mutex.Lock", Cat(kPark, {kLock, kWorker})).wait_since_ns = 1000;
  Goroutine& g19 = b.Add(19, "waiting", "sync.Mutex.Lock", Cat(kPark, {kLock, kWorker}));
  g19.locked_to_thread = true;
  g19.locked_m = 4;
  g19.locked_lwp = 26297;
  b.Add(20, "waiting", "sync.RWMutex.RLock", {}).frames_error = "cannot read stack at 0xc000400000: not in the core";
  b.Add(21, "?", "", {}).error = "cannot read g at 0xc000123000";
  b.set.go_version = "go1.27.3";
  b.set.warnings = {"core file is truncated"};
  b.set.gdb_threads = {{26296, 5}, {26297, 6}};
  return b.set;
}

std::vector<uint64_t> Goids(const GoroutineSet& set, const std::vector<size_t>& idx) {
  std::vector<uint64_t> out;
  for (size_t i : idx) out.push_back(set.goroutines[i].goid);
  return out;
}

TEST(ViewsFilterTest, DefaultHidesSystemAndCountsIt) {
  GoroutineSet set = Sample();
  Selection sel = Select(set, {});
  EXPECT_EQ(Goids(set, sel.shown), (std::vector<uint64_t>{1, 17, 18, 19, 20, 21}));
  EXPECT_EQ(sel.total, 7u);
  EXPECT_EQ(sel.hidden_system, 1u);
  EXPECT_EQ(sel.filtered_out, 0u);
}

TEST(ViewsFilterTest, StateIsStatusOrReasonSubstring) {
  GoroutineSet set = Sample();
  GoroutineFilter f;
  f.states = {"mutex"};
  EXPECT_EQ(Goids(set, Select(set, f).shown), (std::vector<uint64_t>{18, 19, 20}));
  f.states = {"wait"};  // not a status, in no reason
  EXPECT_TRUE(Select(set, f).shown.empty());
  f.states = {"syscall", "chan"};
  Selection sel = Select(set, f);
  EXPECT_EQ(Goids(set, sel.shown), (std::vector<uint64_t>{1, 17}));
  EXPECT_EQ(sel.filtered_out, 5u);
}

TEST(ViewsFilterTest, FunctionsAllOfThemStartFunctionToo) {
  GoroutineSet set = Sample();
  GoroutineFilter f;
  f.functions = {"_Cfunc", "main.worker"};
  EXPECT_EQ(Goids(set, Select(set, f).shown), (std::vector<uint64_t>{17}));
  f.functions = {"main.worker"};
  Selection sel = Select(set, f);
  EXPECT_NE(std::find(sel.shown.begin(), sel.shown.end(), 5u), sel.shown.end());  // goroutine 20: its start function
}

TEST(ViewsFilterTest, GoidsShowSystemAndReportMissing) {
  GoroutineSet set = Sample();
  GoroutineFilter f;
  f.goids = {99, 2, 17};
  Selection sel = Select(set, f);
  EXPECT_EQ(Goids(set, sel.shown), (std::vector<uint64_t>{2, 17}));
  EXPECT_EQ(sel.not_found, (std::vector<uint64_t>{99}));
}

TEST(ViewsGroupTest, IdenticalStacksFoldLargestFirst) {
  GoroutineSet set = Sample();
  Selection sel = Select(set, {});
  std::vector<Group> groups = GroupGoroutines(set, sel.shown);
  ASSERT_EQ(groups.size(), 5u);
  EXPECT_EQ(Goids(set, groups[0].members), (std::vector<uint64_t>{18, 19}));
  EXPECT_EQ(groups[0].locked_to_thread, 1u);
  std::string text = RenderGoroutineGroups(set, sel, groups, kListFrames, false);
  EXPECT_NE(text.find("2 goroutines [sync.Mutex.Lock, 1 locked to thread]: 18-19\n"), std::string::npos) << text;
  EXPECT_NE(text.find("1 goroutine  [chan receive]: 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("6 of 7 goroutines shown in 5 groups (1 system goroutine hidden; --system shows it; runtime frames hidden; "
                      "--runtime-frames shows them)\n"),
            std::string::npos)
      << text;
}

TEST(ViewsListTest, HeadersFramesAndSummary) {
  GoroutineSet set = Sample();
  std::string text = RenderGoroutineList(set, Select(set, {}), kListFrames, false);
  EXPECT_NE(text.find("goroutine 17 [syscall, locked to thread] on M3 (LWP 26296, thread 5) {a=1, job=sync}:\n"
                      "    main._Cfunc_lock_it  _cgo_gotypes.go:61\n"
                      "    main.worker          /src/main.go:30\n"
                      "    created by main.main in goroutine 1 at /src/main.go:25\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("goroutine 19 [sync.Mutex.Lock, locked to thread] locked to M4 (LWP 26297, thread 6):\n"
                      "    sync.(*Mutex).Lock  /go/src/sync/mutex.go:90 (inlined)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("goroutine 21 [?]:\n    error: cannot read g at 0xc000123000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    stack error: cannot read stack at 0xc000400000: not in the core\n"), std::string::npos);
  EXPECT_NE(text.find("\nwarning: core file is truncated\n"), std::string::npos);
}

TEST(ViewsListTest, RecursionIsOneLineAndCountsOnceAgainstTheLimit) {
  Builder b;
  std::vector<StackFrame> frames(5, Go("main.fib", "/src/main.go", 7, 0x1000));
  frames.push_back(kWorker);
  b.Add(1, "running", "", frames);
  Selection sel = Select(b.set, {});
  std::string text = RenderGoroutineList(b.set, sel, 1, false);
  EXPECT_NE(text.find("    main.fib  /src/main.go:7 (5 times)\n    ...1 more frame (--frames)\n"), std::string::npos) << text;
}

TEST(ViewsListTest, OnlyTheSamePcFoldsAndEveryBoundaryShows) {
  Builder b;
  b.Add(1, "syscall", "",
        {C("", 0x7000), C("", 0x7100), C("", 0x7100), Boundary("signal", "SIGQUIT"), Boundary("signal", "SIGURG"),
         Boundary("cgocall"), kWorker});
  std::string text = RenderGoroutineList(b.set, Select(b.set, {}), kListFrames, false);
  EXPECT_NE(text.find("    ??           pc 0x7000 [C libc.so.6]\n"
                      "    ??           pc 0x7100 [C libc.so.6] (2 times)\n"
                      "    ---- in the Go signal handler for SIGQUIT; the interrupted code below ----\n"
                      "    ---- in the Go signal handler for SIGURG; the interrupted code below ----\n"
                      "    ---- C code called from Go"),
            std::string::npos)
      << text;
}

TEST(ViewsFullTest, EveryFieldAndFrameWithPc) {
  GoroutineSet set = Sample();
  std::string text = RenderGoroutineFull(set, 2, std::nullopt);  // goroutine 17
  EXPECT_NE(text.find("  M                 M3 (LWP 26296, GDB thread 5)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  stack             3 frames, innermost first\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    #0  0x404f0b  runtime.cgocall      /go/src/runtime/cgocall.go:167  [runtime]\n"),
            std::string::npos)
      << text;
}

TEST(ViewsEscapeTest, ControlBytesAndInvalidUtf8) {
  EXPECT_EQ(Escaped("main.f\x1b]0;pwned\x07"), "main.f\\e]0;pwned\\x07");
  EXPECT_EQ(Escaped("a\r\nb\tc\x7f"), "a\\x0d\\x0ab\\x09c\\x7f");
  EXPECT_EQ(Escaped("\xc2\x9b" "31m"), "\\xc2\\x9b31m");  // C1 CSI
  EXPECT_EQ(Escaped("bad\xff\xc3("), "bad\\xff\\xc3(");
  EXPECT_EQ(Escaped("caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80");
  EXPECT_EQ(Escaped("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate is not UTF-8
  EXPECT_EQ(DisplayWidth("caf\xc3\xa9"), 4u);
}

TEST(ViewsEscapeTest, ForgedLinesStayOnOneLine) {
  Builder b;
  b.Add(7, "waiting", "chan receive",
        {Go("main.evil\ngoroutine 999 [running]:", "/src/\x1b[2Jx.go", 3, 0x1000), kWorker});
  b.set.goroutines[0].labels = {{"k\x1b", "v\r"}};
  std::string text = RenderGoroutineList(b.set, Select(b.set, {}), kListFrames, false);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(text.find("\ngoroutine 999"), std::string::npos);
  EXPECT_NE(text.find("main.evil\\x0agoroutine 999 [running]:  /src/\\e[2Jx.go:3"), std::string::npos) << text;
  EXPECT_NE(text.find("{k\\e=v\\x0d}"), std::string::npos) << text;
}

TEST(ViewsLockGraphTest, DotLabelsAreEscaped) {
  LockGraph g;
  GraphNode n;
  n.id = "g1";
  n.kind = "goroutine";
  n.label = "goroutine 1 (main.\x1b]2;x\x07\"q\")";
  g.nodes.push_back(n);
  std::string dot = RenderLockGraphDot(g);
  EXPECT_EQ(dot.find('\x1b'), std::string::npos);
  EXPECT_NE(dot.find("label=\"goroutine 1 (main.\\\\e]2;x\\\\x07\\\"q\\\")\""), std::string::npos) << dot;
}

TEST(ViewsOptionsTest, OneTableServesParserAndHelp) {
  const CommandSpec* spec = FindCommand("cgo-goroutines");
  ASSERT_NE(spec, nullptr);
  ParsedOptions p = ParseOptions(*spec, {"1", "--state", "a", "--state=b", "--group", "17,42"}, "cgo-goroutines",
                                 "help cgo-goroutines");
  EXPECT_EQ(p.positional, (std::vector<std::string>{"1", "17,42"}));
  EXPECT_EQ(p.All("--state"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(p.Has("--group"));
  try {
    ParseOptions(*spec, {"--bogus"}, "cgo-goroutines", "help cgo-goroutines");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "cgo-goroutines: unrecognized option --bogus (see `help cgo-goroutines`)");
  }
  for (const auto& o : spec->options) {
    EXPECT_NE(GdbHelp(*spec).find(std::string("  ") + o.name), std::string::npos) << o.name;
    EXPECT_NE(CliHelp(*spec).find(std::string("  ") + o.name), std::string::npos) << o.name;
    EXPECT_NE(MarkdownOptions().find(std::string("`") + o.name), std::string::npos) << o.name;
  }
  // The CLI's target options are in its help and in the docs' tables.
  for (const char* o : {"--pid PID", "--sysroot DIR", "--solib-search-path DIRS"}) {
    EXPECT_NE(CliHelp(*spec).find(std::string("  ") + o), std::string::npos) << o;
    EXPECT_NE(MarkdownOptions().find(std::string("| `") + o + "` | CLI only: "), std::string::npos) << o;
  }
  EXPECT_EQ(CliHelp(*spec).rfind("Usage: cgostack goroutines", 0), 0u);
  EXPECT_EQ(SplitCommandLine("--function 'a b' \"c\\\"d\" e\\ f", "x"),
            (std::vector<std::string>{"--function", "a b", "c\"d", "e f"}));
  EXPECT_THROW(SplitCommandLine("'open", "x"), UsageError);
}

TEST(ViewsOptionsTest, CommandsDocHasTheGeneratedTables) {
  std::ifstream f(std::string(CGOSTACK_SOURCE_DIR) + "/docs/commands.md");
  std::stringstream text;
  text << f.rdbuf();
  std::string doc = text.str();
  const std::string begin = "<!-- options:begin -->\n", end = "<!-- options:end -->\n";
  size_t a = doc.find(begin), b = doc.find(end);
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  EXPECT_EQ(doc.substr(a + begin.size(), b - a - begin.size()), MarkdownOptions())
      << "docs/commands.md is stale: run scripts/gen_command_docs.py";
}

TEST(ViewsScaleTest, HundredThousandGoroutines) {
  Builder b;
  for (uint64_t i = 1; i <= 100000; ++i) {
    b.Add(i, "waiting", i % 3 ? "chan receive" : "sync.Mutex.Lock", i % 3 ? Cat(kPark, {kWorker}) : Cat(kPark, {kLock, kWorker}));
    // As a real set has it: one entry per distinct stack.
    b.set.stack_of.back() = i % 3 ? 0 : 1;
  }
  b.set.stacks.resize(2);
  b.set.stacks[0] = Cat(kPark, {kWorker});
  b.set.stacks[1] = Cat(kPark, {kLock, kWorker});
  auto start = std::chrono::steady_clock::now();
  Selection sel = Select(b.set, {});
  std::string list = RenderGoroutineList(b.set, sel, kListFrames, false);
  std::vector<Group> groups = GroupGoroutines(b.set, sel.shown);
  std::string grouped = RenderGoroutineGroups(b.set, sel, groups, kListFrames, false);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(groups.size(), 2u);
  EXPECT_NE(grouped.find("66667 goroutines [chan receive]: 1-2, 4-5, 7-8, 10-11, 13-14, 16-17, 19-20, 22-23 ... and 66651 more"),
            std::string::npos)
      << grouped.substr(0, 300);
  EXPECT_NE(list.find("100000 goroutines shown (runtime frames hidden; --runtime-frames shows them; --group folds identical stacks)"),
            std::string::npos);
  EXPECT_LT(seconds, 5.0);  // a generous bound for a loaded machine (bench/ measures)
}

}  // namespace
}  // namespace cgostack::views
