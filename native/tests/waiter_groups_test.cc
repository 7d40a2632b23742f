// Thousands of waiters on one lock must read as a few lines: grouped by lock,
// code location and evidence, goroutine ids as ranges, a thread waiter
// counted under the goroutine whose cgo call runs on it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "locks/waiter_groups.h"

namespace cgostack {
namespace {

TEST(WaiterGroupsTest, IdRanges) {
  EXPECT_EQ(IdRanges({}), "");
  EXPECT_EQ(IdRanges({7}), "7");
  EXPECT_EQ(IdRanges({21, 22, 23, 25, 30, 31}), "21-23, 25, 30-31");
}

GraphNode Goroutine(uint64_t goid, std::string_view where) {  // where: a literal (nodes view it)
  GraphNode n;
  n.id = "g" + std::to_string(goid);
  n.kind = "goroutine";
  n.where = where;
  return n;
}

TEST(WaiterGroupsTest, GroupsByLockLocationAndEvidence) {
  LockGraph g;
  const std::string lock = "lock:0x5c6980", evidence = "futex wait on 0x5c6980 in pthread_mutex_lock";
  // goroutines 10..19 in cgo calls on threads 100..109, all at the same C
  // frame; goroutine 30 waits for the same lock from elsewhere; thread 200
  // (no goroutine) waits too.
  for (uint64_t i = 0; i < 10; ++i) {
    g.nodes.push_back(Goroutine(10 + i, "descend (cthreads.c:57)"));
    // Edges view their strings: the graph keeps them (LockGraph::Keep).
    std::string_view t = g.Keep("t" + std::to_string(100 + i));
    g.edges.push_back({g.Keep("g" + std::to_string(10 + i)), t, "runs", true, ""});
    g.edges.push_back({t, lock, "waits_for", true, evidence});
  }
  g.nodes.push_back(Goroutine(30, "other (x.c:3)"));
  g.edges.push_back({"g30", "t300", "runs", true, ""});
  g.edges.push_back({"t300", lock, "waits_for", true, evidence});
  g.edges.push_back({"t200", lock, "waits_for", true, evidence});
  g.edges.push_back({"g40", "lock:0x1", "waits_for", true, "chan receive"});
  std::vector<WaiterGroup> groups = GroupWaiters(g);
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[0].lock, lock);
  EXPECT_EQ(groups[0].where, "descend (cthreads.c:57)");
  EXPECT_EQ(groups[0].count, 10u);
  EXPECT_EQ(IdRanges(groups[0].goids), "10-19");
  EXPECT_EQ(groups[1].count + groups[2].count, 2u);
  EXPECT_EQ(groups[3].lock, "lock:0x1");
  EXPECT_EQ(IdRanges(groups[3].goids), "40");

  std::string out;
  {
    JsonWriter w(&out);
    w.BeginObject();
    WriteWaiterGroups(groups, w);
    w.EndObject();
  }
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["waiter_groups"][0]["goroutines"], "10-19");
  EXPECT_EQ(j["waiter_groups"][0]["count"], 10);
}

}  // namespace
}  // namespace cgostack
