// report/output_file.h and target/regular_file.h: outputs are whole or
// absent and never overwrite an input; inputs are regular files only.
#include "report/output_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "error.h"
#include "target/regular_file.h"

namespace cgostack {
namespace {

class OutputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cgostack-output-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  int Entries() {
    int n = 0;
    std::string cmd = "ls -A " + dir_ + " | wc -l";
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      if (std::fscanf(p, "%d", &n) != 1) n = -1;
      ::pclose(p);
    }
    return n;
  }
  std::string dir_;
};

TEST_F(OutputFileTest, WritesWholeFileAndLeavesNoTemporary) {
  std::string path = dir_ + "/out.json";
  WriteOutputFile(path, "{\"a\": 1}\n");
  EXPECT_EQ(Read(path), "{\"a\": 1}\n");
  EXPECT_EQ(Entries(), 1);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  mode_t mask = ::umask(022);
  ::umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
}

TEST_F(OutputFileTest, FailureKeepsTheOldFileAndRemovesTheTemporary) {
  std::string path = dir_ + "/out.json";
  WriteOutputFile(path, "old\n");
  {
    OutputFile out(path);
    std::fputs("half of a new", out.stream());
    // No Commit: an error on the way (the destructor runs).
  }
  EXPECT_EQ(Read(path), "old\n");
  EXPECT_EQ(Entries(), 1);
}

TEST_F(OutputFileTest, MissingDirectoryIsOneLineNamingTheFile) {
  std::string path = dir_ + "/no/such/dir/out.json";
  try {
    WriteOutputFile(path, "x");
    FAIL() << "no error";
  } catch (const OutputError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write " + path + ": No such file or directory");
  }
}

TEST_F(OutputFileTest, DeviceIsWrittenInPlaceAndAFullOneSaysSo) {
  WriteOutputFile("/dev/null", "x");  // not renamed over
  struct stat st;
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  try {
    WriteOutputFile("/dev/full", std::string(1 << 16, 'x'));
    FAIL() << "no error";
  } catch (const OutputError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write /dev/full: No space left on device");
  }
}

TEST_F(OutputFileTest, RefusesAnInputThroughAnyName) {
  std::string input = dir_ + "/core";
  WriteOutputFile(input, "precious");
  ::close(OpenRegularFile(input));  // now an input of this process
  std::string link = dir_ + "/link", hard = dir_ + "/hard";
  ASSERT_EQ(::symlink(input.c_str(), link.c_str()), 0);
  ASSERT_EQ(::link(input.c_str(), hard.c_str()), 0);
  for (const std::string& path : {input, link, hard}) {
    try {
      WriteOutputFile(path, "destroyed");
      FAIL() << path;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("will not write " + path), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(Read(input), "precious");
}

TEST_F(OutputFileTest, SymlinkStaysASymlink) {
  std::string target = dir_ + "/target.json", link = dir_ + "/link.json";
  WriteOutputFile(target, "old");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  WriteOutputFile(link, "new");
  struct stat st;
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(Read(target), "new");
}

TEST_F(OutputFileTest, OnlyRegularFilesAreOpenedForReading) {
  std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string why;
  EXPECT_EQ(TryOpenRegularFile(fifo, &why), -1);  // returns at once: O_NONBLOCK
  EXPECT_EQ(why, fifo + " is a FIFO, not a regular file");
  EXPECT_EQ(TryOpenRegularFile(dir_, &why), -1);
  EXPECT_EQ(why, dir_ + " is a directory, not a file");
  EXPECT_EQ(TryOpenRegularFile("/dev/null", &why), -1);
  EXPECT_EQ(why, "/dev/null is a character device, not a regular file");
  EXPECT_EQ(TryOpenRegularFile(dir_ + "/missing", &why), -1);
  EXPECT_EQ(why, "cannot open " + dir_ + "/missing: No such file or directory");
}

}  // namespace
}  // namespace cgostack
