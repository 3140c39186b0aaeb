#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "rng.hpp"
#include "text/bpe_tokenizer.hpp"
#include "utf8.hpp"

using namespace llmsim;
using Merges = std::vector<std::pair<int, int>>;
using nlohmann::json;

// Text with words, numbers, punctuation and some non-ASCII, so that a tokenizer
// trained on it has merges inside multi-byte characters too.
static const std::string kSample =
    "Once upon a time, there was a little cat named Tom. The cat sat on the mat. "
    "Tom liked the mat. \"Look!\" said Mia. She saw 12 red apples and 3 green pears.\n\n"
    "Caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e, caf\xc3\xa9 au lait. "
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xe6\x97\xa5\xe6\x9c\xac "
    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80 \xf0\x9f\x98\x81. don't won't can't\n\n";

// A scratch file outside the source tree, so a failing test leaves nothing to commit.
static std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() / name).string();
}

static std::string repeated(const std::string& s, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += s;
  return out;
}

static const BpeTokenizer& sample_tokenizer() {
  static const BpeTokenizer t = BpeTokenizer::train(repeated(kSample, 3), 400);
  return t;
}

TEST_CASE("hand-worked training: the classic aaabdaaabac example") {
  // One pre-token, "aaabdaaabac" (a=97, b=98, c=99, d=100).
  // Pairs: aa 4 (overlapping pairs count: aaab has two), ab 2, bd, da, ba, ac 1.
  //   merge 0: (97,97) -> 256 "aa"; left to right, "aaab" -> [aa][a][b].
  //   Word: [256 97 98 100 256 97 98 97 99]. Pairs: (256,97) 2, (97,98) 2, rest 1.
  //   Tie at 2: the smaller pair wins, (97,98) < (256,97).
  //   merge 1: (97,98) -> 257 "ab".  Word: [256 257 100 256 257 97 99].
  //   Pairs: (256,257) 2, all others 1.
  //   merge 2: (256,257) -> 258 "aaab".  Word: [258 100 258 97 99].
  //   Every pair now occurs once: training stops, short of the 300 asked for.
  const BpeTokenizer t = BpeTokenizer::train("aaabdaaabac", 300);
  CHECK(t.merges() == Merges{{97, 97}, {97, 98}, {256, 257}});
  CHECK(t.vocab_size() == 260);
  CHECK(t.bos_id() == 259);
  CHECK(t.token_bytes(258) == "aaab");
  CHECK(t.encode("aaabdaaabac", false).ids == std::vector<int>{258, 100, 258, 97, 99});
}

TEST_CASE("hand-worked training: counts add up over pre-tokens, merges never cross them") {
  // Pre-tokens: "ab", " ab", " abc" (each once).
  // Pairs: (a,b) 3, (' ',a) 2, (b,c) 1.
  //   merge 0: (97,98) -> 256 "ab".  Words: [256], [32 256], [32 256 99].
  //   Pairs: (32,256) 2, (256,99) 1.
  //   merge 1: (32,256) -> 257 " ab". Then only (257,99) once: stop.
  const BpeTokenizer t = BpeTokenizer::train("ab ab abc", 1000);
  CHECK(t.merges() == Merges{{97, 98}, {32, 256}});
  CHECK(t.encode("ab abd", false).ids == std::vector<int>{256, 257, 100});

  // "x. x. x." has pre-tokens "x" "." " x" "." " x" ".". Across boundaries "x."
  // occurs 3 times, more than " x" (2); a merge crossing boundaries would win.
  const BpeTokenizer u = BpeTokenizer::train("x. x. x.", 1000);
  CHECK(u.merges() == Merges{{32, 120}});
}

TEST_CASE("vocabulary size counts bytes and BOS; the limit is honoured") {
  const BpeTokenizer t = BpeTokenizer::train(repeated(kSample, 3), 300);
  CHECK(t.vocab_size() == 300);
  CHECK(t.merges().size() == 43);
  CHECK(t.bos_id() == 299);
  CHECK(BpeTokenizer::train("", 1000).vocab_size() == 257);
  CHECK_THROWS_AS(BpeTokenizer::train("abc", 256), Error);
  CHECK_THROWS_AS(BpeTokenizer::train("abc", kMaxVocabSize + 1), Error);
}

TEST_CASE("training is deterministic") {
  const std::string corpus = repeated(kSample, 5);
  CHECK(BpeTokenizer::train(corpus, 350).to_json() == BpeTokenizer::train(corpus, 350).to_json());
}

TEST_CASE("frequent words become single tokens with their leading space") {
  const BpeTokenizer& t = sample_tokenizer();
  for (const char* word : {" cat", " mat", " the", "Once", " upon", " time"}) {
    INFO(word);
    const int id = t.find_token(word);
    REQUIRE(id >= 256);
    CHECK(t.encode(word, false).ids == std::vector<int>{id});
  }
  CHECK(t.find_token("no such token") == -1);
}

TEST_CASE("BOS comes first, with an empty span, and decodes to nothing") {
  const BpeTokenizer& t = sample_tokenizer();
  const Encoding e = t.encode("The cat");
  REQUIRE(e.ids.size() >= 2);
  CHECK(e.ids[0] == t.bos_id());
  CHECK((e.spans[0].begin == 0 && e.spans[0].end == 0));
  CHECK(t.decode(e.ids) == "The cat");
  CHECK(t.encode("").ids == std::vector<int>{t.bos_id()});
  CHECK(t.encode("", false).ids.empty());
  CHECK(t.token_display(t.bos_id()) == "<bos>");
  // The text "<bos>" is ordinary bytes, never the BOS token.
  for (int id : t.encode("<bos>", false).ids) CHECK(id != t.bos_id());
}

// Spans start at 0, follow each other without gaps, end at the text's end, and
// each holds exactly its token's bytes.
static void check_spans(const BpeTokenizer& t, const std::string& text, const Encoding& e) {
  REQUIRE(e.ids.size() == e.spans.size());
  int at = 0;
  for (size_t k = 1; k < e.ids.size(); ++k) {
    const TokenSpan s = e.spans[k];
    REQUIRE(s.begin == at);
    REQUIRE(s.end > s.begin);
    REQUIRE(text.substr(size_t(s.begin), size_t(s.end - s.begin)) == t.token_bytes(e.ids[k]));
    at = s.end;
  }
  REQUIRE(at == int(text.size()));
}

TEST_CASE("any byte string round-trips, with spans that cover it exactly") {
  const BpeTokenizer& t = sample_tokenizer();
  const std::vector<std::string> texts = {
      "",
      "The cat sat on the mat.",
      kSample,
      "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",                          // thumbs up, skin tone
      "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7",  // ZWJ family
      "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd7\xa2\xd7\x95\xd7\x9c\xd7\x9d",        // Hebrew (RTL)
      "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 123",                             // Arabic, digits
      "e\xcc\x81 a\xcc\x8a\xcc\x81\xcc\x81",                                      // combining marks
      "\x01\x02\x1b[31m\x7f\t\r\n\v\f",                                           // control chars
      std::string("nul\0in\0the\0middle\0", 19),
      std::string(5, '\0'),
      "\xff\xfe\xfd",                                                             // never valid
      "caf\xc3",                                                                  // cut character
      "\xed\xa0\x80\xc0\xaf\xf4\x90\x80\x80",                                     // surrogate, overlong, >U+10FFFF
      "\xe2\x82",
      std::string(1000, ' ') + "x" + std::string(300, '\n'),
      std::string(5000, 'a'),
      "don't you'll 'twas ''' '",
      "a\r\nb\r\n\r\nc",
  };
  for (const std::string& text : texts) {
    INFO("text of " << text.size() << " bytes");
    const Encoding e = t.encode(text);
    CHECK(t.decode(e.ids) == text);
    check_spans(t, text, e);
  }
}

TEST_CASE("random byte strings round-trip") {
  const BpeTokenizer& t = sample_tokenizer();
  Rng rng(42);
  // Bytes drawn mostly from the sample text (so merges apply), sometimes any byte.
  for (int trial = 0; trial < 2000; ++trial) {
    std::string text;
    const int n = int(rng.next_u64() % 64);
    for (int i = 0; i < n; ++i) {
      const uint64_t r = rng.next_u64();
      text += (r & 3) ? kSample[(r >> 8) % kSample.size()] : char(r >> 32);
    }
    const Encoding e = t.encode(text);
    REQUIRE(t.decode(e.ids) == text);
    check_spans(t, text, e);
  }
}

TEST_CASE("token display is printable valid UTF-8") {
  const BpeTokenizer& t = sample_tokenizer();
  CHECK(t.token_display('a') == "a");
  CHECK(t.token_display(' ') == " ");
  CHECK(t.token_display('\n') == "\\n");
  CHECK(t.token_display(0) == "<0x00>");
  CHECK(t.token_display(0xE2) == "<0xE2>");
  CHECK(t.token_display(0x7F) == "<0x7F>");
  const BpeTokenizer u = BpeTokenizer::from_merges({{'\n', '\n'}, {0xC3, 0xA9}, {'f', 0xC3}});
  CHECK(u.token_display(256) == "\\n\\n");
  CHECK(u.token_display(257) == "\xc3\xa9");    // a whole character stays itself
  CHECK(u.token_display(258) == "f<0xC3>");     // part of one does not
  for (int id = 0; id < t.vocab_size(); ++id) {
    const std::string shown = t.token_display(id);
    INFO("token " << id);
    REQUIRE(!shown.empty());
    for (size_t i = 0; i < shown.size();) {
      const Utf8Sequence seq = utf8_sequence_at(shown, i);
      REQUIRE(seq.valid);
      REQUIRE(static_cast<unsigned char>(shown[i]) >= 0x20);
      REQUIRE(shown[i] != 0x7f);
      i += size_t(seq.length);
    }
  }
}

TEST_CASE("decode and token lookups reject ids outside the vocabulary") {
  const BpeTokenizer& t = sample_tokenizer();
  CHECK_THROWS_AS(t.decode({1, -1}), Error);
  CHECK_THROWS_AS(t.decode({t.vocab_size()}), Error);
  CHECK_THROWS_AS(t.token_bytes(t.vocab_size()), Error);
  CHECK_THROWS_AS(t.token_display(-5), Error);
}

TEST_CASE("JSON round-trips, in memory and through a file") {
  const BpeTokenizer& t = sample_tokenizer();
  const json j = t.to_json();
  CHECK(j["type"] == "byte-bpe");
  CHECK(j["version"] == 1);
  CHECK(j["bos"] == "<bos>");
  CHECK(j["merges"].size() == t.merges().size());
  CHECK(BpeTokenizer::from_json(j).to_json() == j);

  const std::string path = temp_path("llmsim_test_bpe_roundtrip.json");
  t.save(path);
  const BpeTokenizer loaded = BpeTokenizer::load(path);
  std::remove(path.c_str());
  CHECK(loaded.to_json() == j);
  CHECK(loaded.encode(kSample).ids == t.encode(kSample).ids);
}

TEST_CASE("from_json rejects malformed data with a clear error") {
  const json good = {{"type", "byte-bpe"}, {"version", 1}, {"bos", "<bos>"},
                     {"merges", {{97, 98}, {256, 99}}}};
  REQUIRE(BpeTokenizer::from_json(good).vocab_size() == 259);
  auto with = [&](const char* key, json value) {
    json j = good;
    j[key] = value;
    return j;
  };
  auto without = [&](const char* key) {
    json j = good;
    j.erase(key);
    return j;
  };
  auto rejects = [](const json& j, const std::string& fragment) {
    INFO(j.dump());
    CHECK_THROWS_AS(BpeTokenizer::from_json(j), Error);
    CHECK_THROWS_WITH(BpeTokenizer::from_json(j), Catch::Contains(fragment));
  };
  rejects(json::array(), "must be an object");
  rejects(json(nullptr), "must be an object");
  rejects(without("type"), "missing \"type\"");
  rejects(without("merges"), "missing \"merges\"");
  rejects(without("bos"), "missing \"bos\"");
  rejects(with("type", "wordpiece"), "\"type\"");
  rejects(with("version", 2), "\"version\" must be 1");
  rejects(with("version", "1"), "\"version\" must be 1");
  rejects(with("bos", 7), "\"bos\" must be a string");
  rejects(with("merges", "97 98"), "\"merges\" must be an array");
  rejects(with("merges", {{97, 98, 99}}), "must be a pair");
  rejects(with("merges", {97, 98}), "must be a pair");
  rejects(with("merges", json::array({json::array({"a", "b"})})), "must be an integer");
  rejects(with("merges", {{97.0, 98}}), "must be an integer");
  rejects(with("merges", {{97, nullptr}}), "must be an integer");
  rejects(with("merges", {{-1, 98}}), "must join two earlier tokens");
  rejects(with("merges", {{97, 256}}), "must join two earlier tokens");             // itself
  rejects(with("merges", {{97, 257}, {97, 98}}), "must join two earlier tokens");   // later id
  rejects(with("merges", {{97, 98}, {97, 1000000}}), "must join two earlier tokens");
  rejects(with("merges", {{97, json(18446744073709551615ULL)}}), "must join two earlier tokens");
  rejects(with("merges", {{97, 98}, {97, 98}}), "repeats merge 0");
  // Doubling a token 9 times reaches 512 bytes: past the token length limit.
  json doubling = json::array({{97, 97}});
  for (int id = 256; id < 264; ++id) doubling.push_back({id, id});
  rejects(with("merges", doubling), "limit");
  rejects(with("merges", json(std::vector<json>(size_t(kMaxVocabSize), {97, 98}))), "larger than");
}

TEST_CASE("a hostile, deeply nested tokenizer.json is an error, not a stack overflow") {
  // The message used to quote the bad value with dump(), which recurses once per
  // level: 200,000 levels overflowed the stack (SIGSEGV). Now it names the type.
  const int depth = 200000;
  for (const char* field : {"merges", "type", "bos", "version"}) {
    std::string text = std::string(R"({"type": "byte-bpe", "version": 1, "bos": "<bos>", ")") + field + "\": ";
    if (std::string(field) == "merges") text += "[";
    text += std::string(depth, '[') + std::string(depth, ']');
    if (std::string(field) == "merges") text += "]";
    const json j = json::parse(text + "}");  // parsing does not recurse; destruction neither
    CHECK_THROWS_WITH(BpeTokenizer::from_json(j), Catch::Contains("an array"));
  }
}

TEST_CASE("error messages quote strings cut on a character boundary") {
  json j = {{"version", 1}, {"bos", "<bos>"}, {"merges", json::array()}};
  std::string two_byte;
  for (int i = 0; i < 30; ++i) two_byte += "\xc3\xa9";  // é, 2 bytes each
  j["type"] = "a" + two_byte;                            // byte 40 falls inside an é
  try {
    BpeTokenizer::from_json(j);
    FAIL("accepted a wrong type");
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Catch::Contains("\"a" + two_byte.substr(0, 38) + "...\""));
  }
}

TEST_CASE("from_json never fails other than with llmsim::Error") {
  Rng rng(7);
  for (int trial = 0; trial < 500; ++trial) {
    json merges = json::array();
    const int n = int(rng.next_u64() % 12);
    for (int r = 0; r < n; ++r)
      merges.push_back({int(rng.next_u64() % 300) - 20, int(rng.next_u64() % 300) - 20});
    const json j = {{"type", "byte-bpe"}, {"version", 1}, {"bos", "<bos>"}, {"merges", merges}};
    try {
      const BpeTokenizer t = BpeTokenizer::from_json(j);
      const std::string text = "abc \xff\x00 xyz";
      REQUIRE(t.decode(t.encode(text).ids) == text);
    } catch (const Error&) {
      // a clear rejection is fine
    }
  }
}

TEST_CASE("load names the file it could not read") {
  CHECK_THROWS_WITH(BpeTokenizer::load("no/such/tokenizer.json"),
                    Catch::Contains("no/such/tokenizer.json"));
  const std::string path = temp_path("llmsim_test_bpe_bad.json");
  std::ofstream(path) << "{\"type\": \"byte-bpe\", ";
  CHECK_THROWS_WITH(BpeTokenizer::load(path), Catch::Contains(path) && Catch::Contains("JSON"));
  std::ofstream(path) << "{\"type\": \"byte-bpe\", \"version\": 1, \"bos\": \"\", \"merges\": [[1, 999]]}";
  CHECK_THROWS_WITH(BpeTokenizer::load(path), Catch::Contains(path) && Catch::Contains("merge 0"));
  std::remove(path.c_str());
}
