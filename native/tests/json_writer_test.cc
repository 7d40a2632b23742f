// The streaming JSON writer must always produce valid JSON, whatever bytes a
// damaged target holds, and must round-trip through nlohmann's parser.
#include <gtest/gtest.h>

#include <cerrno>

#include <nlohmann/json.hpp>

#include "error.h"
#include "report/json_writer.h"

namespace cgostack {
namespace {

TEST(JsonWriterTest, NestedValuesRoundTrip) {
  std::string out;
  {
    JsonWriter w(&out);
    w.BeginObject();
    w.Field("n", int64_t{-5}).Field("u", uint64_t{18446744073709551615ull}).Field("b", true);
    w.Key("null").Null();
    w.Key("list").BeginArray().Int(1).String("two").BeginObject().EndObject().EndArray();
    w.DataKey("label \"key\"").String("v");
    w.EndObject();
  }
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["n"], -5);
  EXPECT_EQ(j["u"].get<uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(j["b"], true);
  EXPECT_TRUE(j["null"].is_null());
  EXPECT_EQ(j["list"][1], "two");
  EXPECT_EQ(j["label \"key\""], "v");
}

TEST(JsonWriterTest, EscapesControlsAndReplacesInvalidUtf8) {
  std::string out;
  {
    JsonWriter w(&out);
    w.BeginArray();
    w.String(std::string("tab\tquote\"back\\slash\x01", 21));
    w.String("caf\xc3\xa9");         // valid UTF-8 passes through
    w.String("bad\xff\xfe" "end");   // invalid bytes become U+FFFD
    w.String("cut\xe2\x82");         // truncated sequence
    w.EndArray();
  }
  auto j = nlohmann::json::parse(out);  // throws on invalid JSON/UTF-8
  EXPECT_EQ(j[0], std::string("tab\tquote\"back\\slash\x01", 21));
  EXPECT_EQ(j[1], "caf\xc3\xa9");
  EXPECT_EQ(j[2], "bad\xef\xbf\xbd\xef\xbf\xbd" "end");
  EXPECT_EQ(j[3], "cut\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(JsonWriterTest, StreamsToAFileInChunksInOrder) {
  // About 20 MB: many chunks go through the writer thread while the next is
  // being filled; the file must hold them whole and in order.
  std::string buf;
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  constexpr int kN = 300000;
  {
    JsonWriter w(&buf, f);
    w.BeginArray();
    for (int i = 0; i < kN; ++i) w.BeginObject().Field("i", int64_t{i}).Field("s", "0123456789abcdef0123456789abcdef").EndObject();
    w.EndArray();
    w.Flush();
    EXPECT_TRUE(buf.empty()) << "everything went to the file";
  }
  long size = std::ftell(f);
  ASSERT_GT(size, 10L << 20);
  std::rewind(f);
  std::string text(static_cast<size_t>(size), '\0');
  ASSERT_EQ(std::fread(text.data(), 1, text.size(), f), text.size());
  std::fclose(f);
  auto j = nlohmann::json::parse(text);
  ASSERT_EQ(j.size(), static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i) ASSERT_EQ(j[i]["i"], i);
}

TEST(JsonWriterTest, AFailedWriteStopsTheReportWithItsErrno) {
  std::FILE* f = std::fopen("/dev/full", "w");
  if (!f) GTEST_SKIP() << "no /dev/full";
  std::string buf;
  int written = 0;
  try {
    JsonWriter w(&buf, f);
    w.BeginArray();
    for (; written < 1000000; ++written) w.BeginArray().Int(written).EndArray();
    w.EndArray();
    w.Flush();
    ADD_FAILURE() << "no error from /dev/full";
  } catch (const OutputError& e) {
    EXPECT_EQ(e.err(), ENOSPC) << e.what();
  }
  // Stopped after a chunk or two, not at the end of the report.
  EXPECT_LT(written, 1000000);
  std::fclose(f);
}

}  // namespace
}  // namespace cgostack
