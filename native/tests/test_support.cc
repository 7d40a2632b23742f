#include "test_support.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <sys/wait.h>

namespace cgostack::testing {

std::string RunCommand(const std::string& command, int* rc) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    *rc = -1;
    return out;
  }
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string BuildFixture(const std::string& fixture, const std::string& go_version) {
  std::string cmd = std::string("python3 ") + CGOSTACK_SOURCE_DIR + "/fixtures/harness.py build --go " +
                    go_version + " --fixture " + fixture;
  int rc = 0;
  std::string out = RunCommand(cmd, &rc);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (rc != 0 || out.empty()) {
    ADD_FAILURE() << "cannot build fixture " << fixture << " with Go " << go_version << ": " << cmd;
    return "";
  }
  return out;
}

}  // namespace cgostack::testing
