// A streaming JSON writer for the large reports.  nlohmann::json builds a
// tree of maps first: for 100,000 goroutines with 1.8 million frames that
// took 24 s and gigabytes (measured, docs/performance.md); writing straight
// to a buffer takes well under a second.  Small reports still use nlohmann.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cgostack {

class BackgroundWriter;

class JsonWriter {
 public:
  // Appends to `out`; if `file` is set, hands the buffer to a writer thread
  // whenever it grows past a megabyte (so a huge report never sits in
  // memory whole, and writing it overlaps producing it).
  explicit JsonWriter(std::string* out, std::FILE* file = nullptr);
  ~JsonWriter();

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  // `key` must be a plain identifier (it is written unescaped).
  JsonWriter& Key(std::string_view key);
  // A key that comes from the target (pprof label names): escaped.
  JsonWriter& DataKey(std::string_view key);
  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // An already-serialised JSON value (from nlohmann::json::dump()).
  JsonWriter& Raw(std::string_view json);

  // key + value shorthands
  template <typename T>
  JsonWriter& Field(std::string_view key, const T& v) {
    Key(key);
    return Value(v);
  }
  JsonWriter& Value(std::string_view s) { return String(s); }
  JsonWriter& Value(const std::string& s) { return String(s); }
  JsonWriter& Value(const char* s) { return String(s); }
  JsonWriter& Value(bool v) { return Bool(v); }
  JsonWriter& Value(int32_t v) { return Int(v); }
  JsonWriter& Value(int64_t v) { return Int(v); }
  JsonWriter& Value(uint32_t v) { return Uint(v); }
  JsonWriter& Value(uint64_t v) { return Uint(v); }

  // Writes out everything so far and waits for it.  Throws OutputError if
  // a write failed (as soon as one has: any later chunk throws too).
  void Flush();

 private:
  JsonWriter& Open(char c);
  JsonWriter& Close(char c);
  void Separate();
  template <typename T>
  JsonWriter& Number(T v);
  // Large enough that system calls do not count; a few of them fit in cache.
  static constexpr size_t kChunk = 1u << 20;
  void MaybeFlush() {
    if (file_ && out_->size() > kChunk) Submit();
  }
  void Submit();
  std::string* out_;
  std::FILE* file_;
  std::unique_ptr<BackgroundWriter> writer_;
  std::vector<char> first_{1};  // per nesting level: no element written yet
  bool after_key_ = false;
};

}  // namespace cgostack
