#include "walkers.h"

#include "error.h"
#include "goroutines_report.h"
#include "info_report.h"
#include "json_writer.h"
#include "threads_report.h"

namespace cgostack::fuzz {

void RunWalkers(GoRuntime& rt) {
  try {
    InfoReportJson(rt);
  } catch (const Error&) {
  }
  try {
    std::string out;
    JsonWriter w(&out);
    GoroutineQuery q;
    q.stack_table = true;
    WriteGoroutinesReport(rt, q, w);
  } catch (const Error&) {
  }
  try {
    std::string out;
    JsonWriter w(&out);
    WriteThreadsReport(rt, w);
  } catch (const Error&) {
  }
}

}  // namespace cgostack::fuzz
