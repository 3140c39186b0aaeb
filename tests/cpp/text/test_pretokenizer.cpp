#include <catch2/catch.hpp>

#include "text/pretokenizer.hpp"

using namespace llmsim;

static std::vector<std::string> pieces(const std::string& text) {
  std::vector<std::string> out;
  for (const TokenSpan& s : pretokenize(text))
    out.push_back(text.substr(size_t(s.begin), size_t(s.end - s.begin)));
  return out;
}

TEST_CASE("pre-tokens are words with their leading space, numbers and punctuation runs") {
  using V = std::vector<std::string>;
  CHECK(pieces("The cat sat on the mat.") == V{"The", " cat", " sat", " on", " the", " mat", "."});
  CHECK(pieces("I have 12 apples!!") == V{"I", " have", " 12", " apples", "!!"});
  CHECK(pieces("x2") == V{"x", "2"});
  CHECK(pieces("\"Hello,\" said Tom.") == V{"\"", "Hello", ",\"", " said", " Tom", "."});
  CHECK(pieces("a ... b") == V{"a", " ...", " b"});
}

TEST_CASE("contractions stand alone, as in GPT-2") {
  using V = std::vector<std::string>;
  CHECK(pieces("don't") == V{"don", "'t"});
  CHECK(pieces("we're they've I'll I'm he'd it's") ==
        V{"we", "'re", " they", "'ve", " I", "'ll", " I", "'m", " he", "'d", " it", "'s"});
  CHECK(pieces("'x") == V{"'", "x"});  // not a contraction
}

TEST_CASE("whitespace runs stay whole, giving their last space to a following word") {
  using V = std::vector<std::string>;
  CHECK(pieces("end.\n\nOnce") == V{"end", ".", "\n\n", "Once"});
  CHECK(pieces("a   b") == V{"a", "  ", " b"});
  CHECK(pieces("a \n b") == V{"a", " \n", " b"});
  CHECK(pieces("trailing  ") == V{"trailing", "  "});
  CHECK(pieces("  ") == V{"  "});
  CHECK(pieces(" ") == V{" "});
  CHECK(pieces("\tx") == V{"\t", "x"});  // only a space joins the next word
}

TEST_CASE("non-ASCII bytes are letters, so no boundary falls inside a character") {
  using V = std::vector<std::string>;
  CHECK(pieces("caf\xc3\xa9 na\xc3\xafve") == V{"caf\xc3\xa9", " na\xc3\xafve"});
  CHECK(pieces("hi \xf0\x9f\x98\x80!") == V{"hi", " \xf0\x9f\x98\x80", "!"});
  CHECK(pieces(std::string("a\0b", 3)) == V{"a", std::string("\0", 1), "b"});
}

TEST_CASE("pre-tokens cover any text exactly, in order") {
  CHECK(pretokenize("").empty());
  uint64_t state = 7;
  for (int trial = 0; trial < 500; ++trial) {
    std::string text;
    const int n = int(state % 40);
    for (int i = 0; i < n; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      text += char(state >> 56);
    }
    int at = 0;
    for (const TokenSpan& s : pretokenize(text)) {
      REQUIRE(s.begin == at);
      REQUIRE(s.end > s.begin);
      at = s.end;
    }
    REQUIRE(at == int(text.size()));
  }
}
