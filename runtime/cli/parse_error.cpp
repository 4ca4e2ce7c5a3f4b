#include "runtime/cli/parse_error.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>

#include "runtime/cli/suggest.hpp"

namespace cove::cli {

namespace {

std::vector<std::string> subcommand_names(const CLI::App& cmd) {
  std::vector<std::string> names;
  for (const auto* sub : cmd.get_subcommands([](const CLI::App*) { return true; }))
    if (!sub->get_name().empty()) names.push_back(sub->get_name());
  return names;
}

// The long options of a command and of the commands above it ("--model", ...).
std::vector<std::string> option_names(const CLI::App& cmd) {
  std::vector<std::string> names;
  for (const CLI::App* c = &cmd; c; c = c->get_parent())
    for (const auto* opt : c->get_options())
      for (const auto& l : opt->get_lnames())
        names.push_back("--" + l);
  return names;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& known) {
  std::string near = nearest(word, known);
  return near.empty() ? "" : "; did you mean '" + near + "'?";
}

std::string unknown_command(const std::string& path, const CLI::App& cmd, const std::string& word) {
  if (word == "help") return path + ": for help, run " + path + " --help (or COMMAND --help)";
  auto names = subcommand_names(cmd);
  // Other tools' names for the same command (`cove forge repo list` is `cove repo ls` here).
  std::string alias = word == "list" ? "ls" : word == "ls" ? "list" : "";
  bool known_alias = std::find(names.begin(), names.end(), alias) != names.end();
  std::string line = path + ": unknown command '" + word + "'" +
                     (known_alias ? "; did you mean '" + alias + "'?" : did_you_mean(word, names));
  if (line.back() != '?') {
    line += " (commands:";
    for (const auto& n : names)
      line += " " + n;
    line += ")";
  }
  return line;
}

// Extra words of a command: listed in order when it takes a task (free text the user meant
// as one argument), else only counted (an argument may be a secret).
std::string extra_words(const std::string& path, const CLI::App& cmd,
                        const std::vector<std::string>& extras) {
  const CLI::Option* task = nullptr;
  for (const auto* opt : cmd.get_options())
    if (opt->get_positional() && opt->get_name() == "task") task = opt;
  if (!task)
    return path + ": " + std::to_string(extras.size()) +
           " unexpected argument(s) (not repeated here: arguments may be secrets); see " + path +
           " --help";
  std::string given = task->results().empty() ? "" : task->results().front();
  std::string line = path + ": unexpected words after the task '" + given + "':";
  std::string whole = given;
  for (const auto& w : extras) {
    line += " '" + w + "'";
    whole += " " + w;
  }
  return line + "; the task is one argument: quote it, " + path + " \"" + whole + "\"";
}

}  // namespace

std::string explain_parse_error(const CLI::App& app, const CLI::ParseError& error,
                                const std::vector<std::string>& leftover) {
  // From the top: a command that wanted a subcommand and kept a word it did not know was given
  // an unknown command, even when CLI11 went on to find a later word it knew ("sandox run").
  std::string path = app.get_name();
  const CLI::App* cmd = &app;
  for (;;) {
    auto extras = cmd->remaining();
    if (!subcommand_names(*cmd).empty() && !extras.empty() && extras.front()[0] != '-')
      return unknown_command(path, *cmd, extras.front());
    auto selected = cmd->get_subcommands();
    if (selected.empty()) break;
    cmd = selected.front();
    path += " " + cmd->get_name();
  }
  // CLI11 keeps some extras in remaining() and hands back the others unconsumed.
  std::vector<std::string> extras = cmd->remaining();
  if (extras.empty()) extras = leftover;
  for (const auto& w : extras)
    if (w.size() > 1 && w[0] == '-') {
      std::string name = w.substr(0, w.find('='));  // never the value of --opt=value
      return path + ": unknown option '" + name + "'" + did_you_mean(name, option_names(*cmd));
    }
  if (!subcommand_names(*cmd).empty()) {
    if (!extras.empty()) return unknown_command(path, *cmd, extras.front());
    std::string line = path + ": which command?";
    for (const auto& n : subcommand_names(*cmd))
      line += " " + n;
    return line + " (" + path + " --help)";
  }
  if (!extras.empty()) return extra_words(path, *cmd, extras);
  return path + ": " + error.what();
}

}  // namespace cove::cli
