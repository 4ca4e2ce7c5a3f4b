// The tools' pure logic: UTF-8 repair, output caps, numbering, replacement, path joining,
// brace expansion, glob segments and the regex dialect translation.
#include "runtime/tools/text.hpp"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "runtime/tools/pattern.hpp"
#include "runtime/tools/tool_output.hpp"

namespace text = cove::tools::text;
namespace pattern = cove::tools::pattern;
using cove::tools::absolute_path;

TEST(Utf8, KeepsValidAndReplacesInvalid) {
  EXPECT_EQ(text::valid_utf8("plain ascii\n"), "plain ascii\n");
  EXPECT_EQ(text::valid_utf8("h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(text::valid_utf8("a\xFF"
                             "b"),
            "a" + fffd + "b");
  EXPECT_EQ(text::valid_utf8("\xC0\xAF"), fffd + fffd);                        // overlong '/'
  EXPECT_EQ(text::valid_utf8("\xED\xA0\x80"), fffd + fffd + fffd);             // a surrogate
  EXPECT_EQ(text::valid_utf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // > U+10FFFF
  EXPECT_EQ(text::valid_utf8("cut \xE2\x82"), "cut " + fffd + fffd);           // truncated sequence
  // The result always serializes as JSON (nlohmann throws on invalid UTF-8).
  EXPECT_NO_THROW(nlohmann::json(text::valid_utf8("\x80\x81\xFE")).dump());
}

TEST(HeadAndTail, KeepsEverythingUnderTheCap) {
  text::HeadAndTail out(100);
  out.append("hello ");
  out.append("world");
  EXPECT_FALSE(out.truncated());
  EXPECT_EQ(out.str(), "hello world");
}

TEST(HeadAndTail, KeepsHeadAndTailWithANote) {
  text::HeadAndTail out(20);
  std::string all;
  for (int i = 0; i < 1000; ++i) {
    std::string piece = std::to_string(i) + ",";
    all += piece;
    out.append(piece);
  }
  ASSERT_TRUE(out.truncated());
  EXPECT_EQ(out.total(), all.size());
  std::string s = out.str();
  EXPECT_EQ(s.substr(0, 10), all.substr(0, 10));
  EXPECT_EQ(s.substr(s.size() - 10), all.substr(all.size() - 10));
  EXPECT_NE(s.find("[... " + std::to_string(all.size() - 20) + " bytes truncated ...]"),
            std::string::npos)
      << s;
}

TEST(HeadAndTail, OneBigAppend) {
  text::HeadAndTail out(10);
  out.append(std::string(5, 'h') + std::string(100, 'x') + std::string(5, 't'));
  EXPECT_EQ(out.str(), "hhhhh\n[... 100 bytes truncated ...]\nttttt");
}

TEST(Numbering, LikeCatN) {
  std::string out;
  text::append_numbered(out, 1, "first");
  text::append_numbered(out, 1234567, "");
  EXPECT_EQ(out, "     1\tfirst\n1234567\t\n");
}

TEST(Replace, CountsAndReplaces) {
  EXPECT_EQ(text::count_occurrences("aaaa", "aa"), 2u);
  EXPECT_EQ(text::count_occurrences("abc", "x"), 0u);
  EXPECT_EQ(text::replace("a.b.c", ".", "::", false), "a::b.c");
  EXPECT_EQ(text::replace("a.b.c", ".", "::", true), "a::b::c");
  EXPECT_EQ(text::replace("xx", "x", "xx", true), "xxxx");  // no re-scanning of the result
}

TEST(Sizes, Human) {
  EXPECT_EQ(text::human_size(12), "12 bytes");
  EXPECT_EQ(text::human_size(256 * 1024), "256 KiB");
  EXPECT_EQ(text::human_size(1536 * 1024), "1.5 MiB");
}

TEST(Paths, AbsoluteAndClean) {
  EXPECT_EQ(absolute_path("/workspace", "a/b.txt"), "/workspace/a/b.txt");
  EXPECT_EQ(absolute_path("/workspace", "/etc/passwd"), "/etc/passwd");
  EXPECT_EQ(absolute_path("/workspace/repo", "../../../../etc/shadow"), "/etc/shadow");
  EXPECT_EQ(absolute_path("/workspace", "./a//b/./c/.."), "/workspace/a/b");
  EXPECT_EQ(absolute_path("/", ".."), "/");
  EXPECT_EQ(absolute_path("/x", ""), "/x");
}

TEST(Braces, Expand) {
  using V = std::vector<std::string>;
  EXPECT_EQ(pattern::expand_braces("*.{h,cpp}"), (V{"*.h", "*.cpp"}));
  EXPECT_EQ(pattern::expand_braces("{a,b}/{c,d}"), (V{"a/c", "a/d", "b/c", "b/d"}));
  EXPECT_EQ(pattern::expand_braces("x{a,{b,c}}y"), (V{"xay", "xby", "xcy"}));
  EXPECT_EQ(pattern::expand_braces("{solo}"), (V{"{solo}"}));      // no comma: literal
  EXPECT_EQ(pattern::expand_braces("open{a,b"), (V{"open{a,b"}));  // unmatched: literal
  EXPECT_EQ(pattern::expand_braces("\\{a,b}"), (V{"\\{a,b}"}));    // escaped
  EXPECT_EQ(pattern::expand_braces("[{,}]x"), (V{"[{,}]x"}));      // inside a class
  EXPECT_EQ(pattern::expand_braces("{,.bak}"), (V{"", ".bak"}));
  EXPECT_THROW(pattern::expand_braces("{a,b}{a,b}{a,b}{a,b}", 8), pattern::BraceLimit);
}

TEST(GlobSegments, SplitAndMatch) {
  EXPECT_EQ(pattern::split_segments("./src//**/*.c"),
            (std::vector<std::string>{"src", "**", "*.c"}));
  EXPECT_FALSE(pattern::has_glob_syntax("main.c"));
  EXPECT_TRUE(pattern::has_glob_syntax("*.c"));
  EXPECT_TRUE(pattern::has_glob_syntax("file?.txt"));
  EXPECT_TRUE(pattern::has_glob_syntax("[ab].txt"));
  EXPECT_FALSE(pattern::has_glob_syntax("a[b"));
  EXPECT_TRUE(pattern::match_segment("*.c", "main.c"));
  EXPECT_TRUE(pattern::match_segment("*", ".hidden"));  // doublestar: '*' matches dot files
  EXPECT_FALSE(pattern::match_segment("*.c", "main.cc"));
  EXPECT_TRUE(pattern::match_segment("[mn]ain.?", "main.c"));
  EXPECT_TRUE(pattern::match_segment("\\*", "*"));
  EXPECT_FALSE(pattern::match_segment("\\*", "x"));
}

namespace {
// Whether the translated `re` finds a match in `line`.
bool matches(const std::string& re, const std::string& line) {
  RE2 r(pattern::to_re2(re), RE2::Quiet);
  if (!r.ok()) throw std::runtime_error("RE2 rejected " + re + ": " + r.error());
  return RE2::PartialMatch(line, r);
}
}  // namespace

TEST(RegexDialect, PcreHabitsAndGnuWordEdgesWork) {
  EXPECT_TRUE(matches("v\\d+\\.\\d+", "version v12.3"));
  EXPECT_FALSE(matches("v\\d+", "version vx"));
  EXPECT_TRUE(matches("\\D\\d", "a1"));
  EXPECT_TRUE(matches("(?i)hello", "HeLLo there"));
  EXPECT_FALSE(matches("hello", "HELLO"));
  EXPECT_TRUE(matches("(?:foo|bar)baz", "xbarbaz"));
  EXPECT_TRUE(matches("[\\w-]+@x", "my-name_1@x"));
  EXPECT_TRUE(matches("[\\d.]+", "1.5"));
  EXPECT_FALSE(matches("^[\\d]+$", "12a"));
  EXPECT_TRUE(matches("a[\\s]b", "a b"));
  EXPECT_TRUE(matches("[\\]]", "]"));
  EXPECT_TRUE(matches("[\\^x]", "^"));
  EXPECT_TRUE(matches("[a\\-z]", "-"));
  EXPECT_FALSE(matches("[a\\-z]", "m"));  // an escaped '-' is not a range
  EXPECT_TRUE(matches("[[:upper:]]{2}", "xAB"));
  EXPECT_TRUE(matches("\\bword\\b", "a word here"));  // GNU extensions pass through
  EXPECT_TRUE(matches("a\\tb", "a\tb"));
  EXPECT_TRUE(matches("\\.", "."));
  EXPECT_FALSE(matches("\\.", "x"));
  EXPECT_TRUE(matches("\\<word\\>", "a word here"));  // GNU grep's word edges
  EXPECT_FALSE(matches("\\<word\\>", "swordfish"));
  EXPECT_EQ(pattern::to_re2("[\\<]\\<"), "[\\<]\\b");         // inside a class: left alone
  EXPECT_THROW(matches("(a)\\1", "aa"), std::runtime_error);  // no backreferences
}

TEST(ToolOutput, TextBlocksAreNeverEmpty) {
  auto out = cove::tools::ToolOutput::text("");
  ASSERT_EQ(out.content.size(), 1u);
  EXPECT_EQ(out.content[0]["type"], "text");
  EXPECT_EQ(out.content[0]["text"], "(no output)");
  EXPECT_FALSE(out.is_error);
  EXPECT_TRUE(cove::tools::ToolOutput::text("x", true).is_error);
}
