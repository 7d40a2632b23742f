#include "views/output.h"

#include "error.h"
#include "report/output_file.h"
#include "target/regular_file.h"

namespace cgostack::views {

void WriteOutputWith(const std::string& path, const std::vector<std::string>& inputs,
                     const std::function<void(std::FILE*)>& write) {
  // Every file the target layer opened is an input already; the session's
  // own list (executable, core) is added in case one was read another way.
  for (const auto& in : inputs)
    if (!in.empty()) RememberInputFile(in);
  OutputFile file(path);  // refuses an input; a temporary file, renamed by Commit
  write(file.stream());
  file.Commit();
}

void WriteOutput(const std::string& path, std::string_view bytes, const std::vector<std::string>& inputs) {
  for (const auto& in : inputs)
    if (!in.empty()) RememberInputFile(in);
  WriteOutputFile(path, bytes);  // a failed write names the file and errno
}

}  // namespace cgostack::views
