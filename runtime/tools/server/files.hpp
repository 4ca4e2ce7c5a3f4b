// The file tools as the tools' server runs them, inside the sandbox as the sandbox user:
// read, write, edit, glob and grep on the process's own root. Nothing here is privileged;
// the sandbox's permissions, read-only mounts, seccomp filter and cgroup limits all apply.
#pragma once

#include <string>

#include "base/unique_fd.hpp"
#include "runtime/tools/tool_output.hpp"

namespace cove::tools {

class Files {
 public:
  // cwd: absolute path that relative paths start from. Throws std::runtime_error when "/"
  // cannot be opened.
  explicit Files(std::string cwd, ToolLimits limits = {});

  ToolOutput read(const json& input);   // file_path, view_range?
  ToolOutput write(const json& input);  // file_path, content
  ToolOutput edit(const json& input);   // file_path, old_string, new_string, replace_all?
  ToolOutput glob(const json& input);   // pattern, path?
  ToolOutput grep(const json& input);   // pattern, path?

  // By tool name; an unknown name is an error result.
  ToolOutput call(const std::string& tool, const json& input);

 private:
  UniqueFd root_;
  std::string cwd_;
  ToolLimits limits_;
};

}  // namespace cove::tools
