// The streaming JSON writer must always produce valid JSON, whatever bytes a
// damaged target holds, and must round-trip through nlohmann's parser.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "json_writer.h"

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

TEST(JsonWriterTest, StreamsToAFileInChunks) {
  std::string buf;
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    JsonWriter w(&buf, f);
    w.BeginArray();
    for (int i = 0; i < 200000; ++i) w.String("0123456789abcdef0123456789abcdef");
    w.EndArray();
    w.Flush();
  }
  EXPECT_TRUE(buf.empty()) << "everything went to the file";
  long size = std::ftell(f);
  std::rewind(f);
  std::string text(static_cast<size_t>(size), '\0');
  ASSERT_EQ(std::fread(text.data(), 1, text.size(), f), text.size());
  std::fclose(f);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j.size(), 200000u);
}

}  // namespace
}  // namespace cgostack
