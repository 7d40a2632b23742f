#include "report/json_writer.h"

#include <charconv>
#include <cstring>

#include "report/background_writer.h"
#include "error.h"

namespace cgostack {

JsonWriter::JsonWriter(std::string* out, std::FILE* file) : out_(out), file_(file) {
  if (file_) writer_ = std::make_unique<BackgroundWriter>(file_);
}

JsonWriter::~JsonWriter() {
  // Unwinding from an error, or a caller that did not Flush(): write what
  // there is, but never throw from here.
  if (file_ && !out_->empty() && writer_->Submit(out_) == 0) writer_->Drain();
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.back()) out_->push_back(',');
  first_.back() = 0;
}

JsonWriter& JsonWriter::Open(char c) {
  Separate();
  out_->push_back(c);
  first_.push_back(1);
  return *this;
}

JsonWriter& JsonWriter::Close(char c) {
  first_.pop_back();
  out_->push_back(c);
  MaybeFlush();
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  // Keys are identifiers written in this code base: no escaping needed.
  Separate();
  out_->push_back('"');
  out_->append(key);
  out_->append("\":", 2);
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::DataKey(std::string_view key) {
  String(key);
  out_->push_back(':');
  after_key_ = true;
  return *this;
}

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t Utf8Length(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  return n;
}

}  // namespace

JsonWriter& JsonWriter::String(std::string_view s) {
  Separate();
  out_->push_back('"');
  size_t i = 0, run = 0;  // s[run, i) is plain ASCII, appended in one go
  auto flush = [&] {
    if (i > run) out_->append(s.data() + run, i - run);
  };
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    flush();
    if (c == '"' || c == '\\') {
      out_->push_back('\\');
      out_->push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x20) {
      static const char hex[] = "0123456789abcdef";
      out_->append("\\u00");
      out_->push_back(hex[c >> 4]);
      out_->push_back(hex[c & 15]);
      ++i;
    } else if (size_t n = Utf8Length(s, i)) {
      out_->append(s.data() + i, n);
      i += n;
    } else {
      // A damaged target can hold any bytes; keep the output valid JSON.
      out_->append("\\ufffd");
      ++i;
    }
    run = i;
  }
  flush();
  out_->push_back('"');
  return *this;
}

template <typename T>
JsonWriter& JsonWriter::Number(T v) {
  Separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) { return Number(v); }
JsonWriter& JsonWriter::Uint(uint64_t v) { return Number(v); }

JsonWriter& JsonWriter::Bool(bool v) {
  Separate();
  out_->append(v ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::Null() {
  Separate();
  out_->append("null");
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  Separate();
  out_->append(json);
  return *this;
}

void JsonWriter::Submit() {
  if (!file_ || out_->empty()) return;
  if (int err = writer_->Submit(out_)) throw OutputError(std::strerror(err), err);
}

void JsonWriter::Flush() {
  if (!file_) return;
  Submit();
  if (int err = writer_->Drain()) throw OutputError(std::strerror(err), err);
}

}  // namespace cgostack
