// Field readers and metadata: messages name the field; metadata limits carry their code.
#include <gtest/gtest.h>

#include "runtime/domain/metadata.hpp"
#include "tests/domain/refusal.hpp"

namespace cove::domain {
namespace {

TEST(Fields, MessagesNameTheFieldByItsPath) {
  json body = {{"name", 5}, {"empty", ""}};
  EXPECT_EQ(refusal([&] { require_string(body, "name", "resources[0]"); }),
            "resources[0].name must be a string, got a number");
  EXPECT_EQ(refusal([&] { require_string(body, "missing", ""); }), "missing is required");
  EXPECT_EQ(refusal([&] { require_string(body, "empty", "a"); }), "a.empty must not be empty");
  EXPECT_EQ(refusal([&] { require_object(json::array(), ""); }),
            "request body must be an object, got an array");
  EXPECT_EQ(refusal([&] {
              string_list(json::array({"a", 1}), "hosts");
            }),
            "hosts[1] must be a string");
  try {
    optional_bool(json{{"b", "yes"}}, "b", "x");
    FAIL();
  } catch (const FieldError& e) {
    EXPECT_EQ(e.path, "x.b");
    EXPECT_STREQ(e.what(), "x.b must be a boolean, got a string");
  }
}

TEST(Fields, AbsentAndNullAreTheSameForOptionalFields) {
  EXPECT_FALSE(optional_string(json{{"s", nullptr}}, "s", ""));
  EXPECT_FALSE(optional_string(json::object(), "s", ""));
  EXPECT_EQ(optional_string(json{{"s", "v"}}, "s", ""), "v");
}

TEST(Metadata, LimitsCarryTheInvalidMetadataCode) {
  try {
    parse_metadata({{"k", 1}}, "metadata");
    FAIL();
  } catch (const FieldError& e) {
    EXPECT_STREQ(e.what(), "metadata.k must be a string, got a number");
    EXPECT_EQ(e.code, "invalid_metadata");
  }
  json many = json::object();
  for (int i = 0; i < 17; ++i)
    many["k" + std::to_string(i)] = "v";
  EXPECT_EQ(refusal([&] { parse_metadata(many, "metadata"); }),
            "metadata may have at most 16 pairs");
  EXPECT_EQ(refusal([&] {
              parse_metadata({{"", "v"}}, "metadata");
            }),
            "metadata keys must be 1-64 characters");
}

TEST(Metadata, PatchUpsertsDeletesAndClears) {
  Metadata current = {{"a", "1"}, {"b", "2"}};
  EXPECT_EQ(patch_metadata(current, {{"a", nullptr}, {"c", "3"}}, "metadata"),
            (Metadata{{"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(patch_metadata(current, {{"a", ""}}, "metadata", true), (Metadata{{"b", "2"}}));
  EXPECT_EQ(patch_metadata(current, {{"a", ""}}, "metadata", false).at("a"), "");
  EXPECT_TRUE(patch_metadata(current, nullptr, "metadata").empty());
}

}  // namespace
}  // namespace cove::domain
