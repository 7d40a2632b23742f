#include "test_support.h"

#include <fstream>
#include <sstream>
#include <utility>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>

namespace cgostack::testing {

const std::vector<std::string>& GoReleases(bool ci_only) {
  static const auto lists = [] {
    std::pair<std::vector<std::string>, std::vector<std::string>> all_ci;
    std::ifstream in(CGOSTACK_SOURCE_DIR "/go-releases.txt");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string release, suite, flag;
      if (!(words >> release) || release[0] == '#') continue;
      words >> suite >> flag;
      all_ci.first.push_back(release);
      if (flag == "ci") all_ci.second.push_back(release);
    }
    if (all_ci.second.empty()) all_ci.second = {"go-releases.txt unreadable"};
    if (all_ci.first.empty()) all_ci.first = all_ci.second;
    return all_ci;
  }();
  return ci_only ? lists.second : lists.first;
}

const std::vector<std::string>& GoMatrix() {
  static const std::vector<std::string> matrix = [] {
    std::vector<std::string> out;
    const char* env = std::getenv("CGOSTACK_GO_MATRIX");
    std::istringstream words(env ? env : "");
    for (std::string w; words >> w;) out.push_back(w);
    return out.empty() ? GoReleases(true) : out;
  }();
  return matrix;
}

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

std::string BuildFixture(const std::string& fixture, const std::string& go_version, const std::string& arch) {
  std::string cmd = std::string("python3 ") + CGOSTACK_SOURCE_DIR + "/fixtures/harness.py build --go " +
                    go_version + " --fixture " + fixture + (arch.empty() ? "" : " --arch " + arch);
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
