#include <catch2/catch.hpp>

#include "error.hpp"
#include "utf8.hpp"

using namespace llmsim;

TEST_CASE("UTF-16 offsets count one unit per BMP character and two above it") {
  // a (1 byte) + e-acute (2) + grinning face U+1F600 (4, a surrogate pair) + b (1)
  const std::string text = "a\xc3\xa9\xf0\x9f\x98\x80" "b";
  CHECK(utf16_offsets(text) == std::vector<int>{0, 1, 1, 2, 2, 2, 2, 4, 5});
  CHECK(utf16_offsets("") == std::vector<int>{0});
}

TEST_CASE("ill-formed bytes count like TextDecoder's replacement characters") {
  // E2 82 starts a 3-byte character cut short: one maximal subpart, one U+FFFD.
  CHECK(utf16_offsets("\xe2\x82" "a") == std::vector<int>{0, 0, 1, 2});
  CHECK(utf16_offsets("\xff\xfe") == std::vector<int>{0, 1, 2});
  // An encoded surrogate (ED A0 80) is not valid UTF-8: ED, A0, 80 each become U+FFFD.
  CHECK(utf16_offsets("\xed\xa0\x80") == std::vector<int>{0, 1, 2, 3});
  // Overlong "/" (C0 AF): two replacement characters.
  CHECK(utf16_offsets("\xc0\xaf") == std::vector<int>{0, 1, 2});
  CHECK_FALSE(utf8_sequence_at("\xf4\x90\x80\x80", 0).valid);  // above U+10FFFF
  CHECK(utf8_sequence_at("\xf4\x8f\xbf\xbf", 0).valid);        // U+10FFFF
}

TEST_CASE("byte spans convert to UTF-16 spans, and bad spans are errors") {
  const std::string text = "\xe4\xb8\x80 cat";  // U+4E00, then " cat"
  const auto spans = spans_to_utf16(text, {{0, 3}, {3, 7}, {0, 0}, {1, 3}});
  REQUIRE(spans.size() == 4);
  CHECK((spans[0].begin == 0 && spans[0].end == 1));
  CHECK((spans[1].begin == 1 && spans[1].end == 5));
  CHECK((spans[2].begin == 0 && spans[2].end == 0));
  CHECK((spans[3].begin == 0 && spans[3].end == 1));  // starts mid-character: rounds down
  CHECK_THROWS_AS(spans_to_utf16(text, {{0, 8}}), Error);
  CHECK_THROWS_AS(spans_to_utf16(text, {{2, 1}}), Error);
  CHECK_THROWS_AS(spans_to_utf16(text, {{-1, 1}}), Error);
}

TEST_CASE("utf8_cut cuts on a character boundary and marks the cut") {
  CHECK(utf8_cut("short", 40) == "short");
  CHECK(utf8_cut("abcdef", 3) == "abc...");
  // "a" + "é" (2 bytes) + "€" (3) + "😀" (4): every cut lands before the character
  // that would not fit whole.
  const std::string text = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  CHECK(utf8_cut(text, 1) == "a...");
  CHECK(utf8_cut(text, 2) == "a...");
  CHECK(utf8_cut(text, 3) == "a\xc3\xa9...");
  CHECK(utf8_cut(text, 5) == "a\xc3\xa9...");
  CHECK(utf8_cut(text, 6) == "a\xc3\xa9\xe2\x82\xac...");
  CHECK(utf8_cut(text, 9) == "a\xc3\xa9\xe2\x82\xac...");
  CHECK(utf8_cut(text, 10) == text);
  // Ill-formed bytes are kept as they are (json_text writes them as U+FFFD).
  CHECK(utf8_cut("\xff\xfe\xfd", 2) == "\xff\xfe...");
}
