// GPT-2's pre-tokenizer and tokenizer on cases worked out by hand. The comparison with
// the reference implementation on real text is tests/js/gpt2-tokenizer.test.js.
#include <catch2/catch.hpp>

#include <algorithm>

#include "error.hpp"
#include "rng.hpp"
#include "text/gpt2_pretokenizer.hpp"
#include "text/gpt2_tokenizer.hpp"

using namespace llmsim;
using nlohmann::json;
using V = std::vector<std::string>;

static V pieces(const std::string& text) {
  V out;
  for (const TokenSpan& s : gpt2_pretokenize(text))
    out.push_back(text.substr(size_t(s.begin), size_t(s.end - s.begin)));
  return out;
}

TEST_CASE("GPT-2 pre-tokens: words, contractions and whitespace as its pattern cuts them", "[gpt2-tokenizer]") {
  // "  \n\n  " before "end" is one run of 6 that \s+(?!\S) takes but for its last space,
  // which " ?\p{L}+" then takes with the word.
  CHECK(pieces("Hello world's  \n\n  end") == V{"Hello", " world", "'s", "  \n\n ", " end"});
  CHECK(pieces("x  y") == V{"x", " ", " y"});
  CHECK(pieces("x y") == V{"x", " y"});
  CHECK(pieces("\n\nHi") == V{"\n", "\n", "Hi"});   // the run gives back its last character
  CHECK(pieces("a\tb") == V{"a", "\t", "b"});       // a run of one before a non-space: \s+
  CHECK(pieces("end  ") == V{"end", "  "});         // at the end of the text the run stays whole
  CHECK(pieces("a \r\n") == V{"a", " \r\n"});
  CHECK(pieces("  ") == V{"  "});
  CHECK(pieces("") == V{});
}

TEST_CASE("GPT-2 pre-tokens: contractions are lowercase ASCII only", "[gpt2-tokenizer]") {
  CHECK(pieces("don't we're I'll") == V{"don", "'t", " we", "'re", " I", "'ll"});
  CHECK(pieces("DON'T") == V{"DON", "'", "T"});                          // 'T is not one
  CHECK(pieces("it\xe2\x80\x99s") == V{"it", "\xe2\x80\x99", "s"});       // nor is ’s
  CHECK(pieces("x 's") == V{"x", " '", "s"});     // the space goes with the other-run "'"
  CHECK(pieces("''s") == V{"''", "s"});           // the first ' is not followed by s
}

TEST_CASE("GPT-2 pre-tokens: numbers, others and a space joining them", "[gpt2-tokenizer]") {
  CHECK(pieces("I have 12 apples!!") == V{"I", " have", " 12", " apples", "!!"});
  CHECK(pieces("x2") == V{"x", "2"});
  CHECK(pieces("a ... b") == V{"a", " ...", " b"});
  CHECK(pieces("<|endoftext|>") == V{"<|", "endoftext", "|>"});
  CHECK(pieces("x\xc2\xb3") == V{"x", "\xc2\xb3"});  // ³ is \p{N} (No), not a letter
}

TEST_CASE("GPT-2 pre-tokens: classes beyond ASCII are JavaScript's", "[gpt2-tokenizer]") {
  CHECK(gpt2_char_class('A') == Gpt2CharClass::Letter);
  CHECK(gpt2_char_class(0x00A0) == Gpt2CharClass::Space);   // NBSP is JS \s
  CHECK(gpt2_char_class(0x3000) == Gpt2CharClass::Space);   // ideographic space
  CHECK(gpt2_char_class(0xFEFF) == Gpt2CharClass::Space);   // BOM is JS \s
  CHECK(gpt2_char_class(0x0085) == Gpt2CharClass::Other);   // NEL is not
  CHECK(gpt2_char_class(0x0661) == Gpt2CharClass::Number);  // Arabic-Indic one
  CHECK(gpt2_char_class(0x65E5) == Gpt2CharClass::Letter);  // 日
  CHECK(gpt2_char_class(0x0301) == Gpt2CharClass::Other);   // a combining mark is not \p{L}
  CHECK(gpt2_char_class(0x1F642) == Gpt2CharClass::Other);  // 🙂
  CHECK(gpt2_char_class(0x10FFFF) == Gpt2CharClass::Other);
  CHECK(pieces("a\xc2\xa0" "b") == V{"a", "\xc2\xa0", "b"});
  CHECK(pieces("\xe6\x97\xa5\xe6\x9c\xac \xe8\xaa\x9e") == V{"\xe6\x97\xa5\xe6\x9c\xac", " \xe8\xaa\x9e"});
  CHECK(pieces("e\xcc\x81t") == V{"e", "\xcc\x81", "t"});
  CHECK(pieces("\xf0\x9f\x99\x82\xf0\x9f\x99\x82 ok") == V{"\xf0\x9f\x99\x82\xf0\x9f\x99\x82", " ok"});
}

TEST_CASE("GPT-2 pre-tokens: invalid UTF-8 is an other, never crashes, covers the text", "[gpt2-tokenizer]") {
  CHECK(pieces("ab\xff\xfe" "cd") == V{"ab", "\xff\xfe", "cd"});
  CHECK(pieces("caf\xc3") == V{"caf", "\xc3"});         // cut off at the end
  CHECK(pieces("x \xe2\x82") == V{"x", " \xe2\x82"});   // a maximal subpart, with its space
  CHECK(pieces("\xed\xa0\x80") == V{"\xed\xa0\x80"});    // an encoded surrogate
  Rng rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string text(size_t(rng.next_u64() % 40), '\0');
    for (char& c : text) c = char(rng.next_u64() & 0xff);
    std::string joined;
    int at = 0;
    for (const TokenSpan& s : gpt2_pretokenize(text)) {
      REQUIRE(s.begin == at);
      REQUIRE(s.end > s.begin);
      at = s.end;
    }
    CHECK(at == int(text.size()));
  }
}

// ---------------------------------------------------------------------------
// A vocabulary small enough to work out by hand: the 256 bytes as ids 0..255, then
// merges, then <|endoftext|>.

static json byte_vocab() {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[gpt2_token_string(std::string(1, char(b)))] = b;
  return vocab;
}

// vocab.json + merges.txt for the bytes plus these merges (in rank order), each merged
// token getting the next id, and <|endoftext|> last.
static Gpt2Tokenizer tokenizer_with(const std::vector<std::pair<std::string, std::string>>& merges) {
  json vocab = byte_vocab();
  std::string merges_txt = "#version: 0.2\n";
  for (const auto& [a, b] : merges) {
    const std::string merged = gpt2_token_string(a + b);
    if (!vocab.contains(merged)) vocab[merged] = int(vocab.size());
    merges_txt += gpt2_token_string(a) + " " + gpt2_token_string(b) + "\n";
  }
  vocab["<|endoftext|>"] = int(vocab.size());
  return Gpt2Tokenizer::from_vocab_and_merges(vocab.dump(), merges_txt);
}

static const Gpt2Tokenizer& hello_tokenizer() {
  // 256 he, 257 ll, 258 hell, 259 hello, 260 " w", 261 <|endoftext|>
  static const Gpt2Tokenizer t = tokenizer_with({{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {" ", "w"}});
  return t;
}

TEST_CASE("GPT-2 byte spelling: a space is \u0120, a newline \u010A, printable Latin-1 itself", "[gpt2-tokenizer]") {
  CHECK(gpt2_token_string(" the") == "\xc4\xa0the");
  CHECK(gpt2_token_string("\n") == "\xc4\x8a");
  CHECK(gpt2_token_string("!~") == "!~");
  CHECK(gpt2_token_string("\xe9") == "\xc3\xa9");  // byte 0xE9 is é
  CHECK(gpt2_token_string(std::string(1, '\0')) == "\xc4\x80");
}

TEST_CASE("GPT-2 tokenizer: merges by rank, BOS first, spans into the text", "[gpt2-tokenizer]") {
  const Gpt2Tokenizer& t = hello_tokenizer();
  CHECK(t.vocab_size() == 262);
  CHECK(t.bos_id() == 261);
  Encoding e = t.encode("hello world");
  CHECK(e.ids == std::vector<int>{261, 259, 260, 'o', 'r', 'l', 'd'});
  REQUIRE(e.spans.size() == 7);
  CHECK((e.spans[0].begin == 0 && e.spans[0].end == 0));
  CHECK((e.spans[1].begin == 0 && e.spans[1].end == 5));
  CHECK((e.spans[2].begin == 5 && e.spans[2].end == 7));
  CHECK(t.encode("hello", false).ids == std::vector<int>{259});
  // the second "hello" of the text comes from encode()'s cache: the same tokens
  CHECK(t.encode("hello.hello", false).ids == std::vector<int>{259, '.', 259});
  CHECK(t.encode("hellohello", false).ids == std::vector<int>{259, 259});
  CHECK(t.encode("", true).ids == std::vector<int>{261});
  CHECK(t.encode("", false).ids.empty());
}

TEST_CASE("GPT-2 tokenizer: the lower rank wins, every occurrence left to right", "[gpt2-tokenizer]") {
  CHECK(tokenizer_with({{"a", "b"}, {"b", "c"}}).encode("abc", false).ids == std::vector<int>{256, 'c'});
  CHECK(tokenizer_with({{"b", "c"}, {"a", "b"}}).encode("abc", false).ids == std::vector<int>{'a', 256});
  // "aaa": the first pair merges, the overlapping second cannot
  CHECK(tokenizer_with({{"a", "a"}}).encode("aaaaa", false).ids == std::vector<int>{256, 256, 'a'});
}

TEST_CASE("GPT-2 tokenizer: <|endoftext|> in the text is plain text", "[gpt2-tokenizer]") {
  const Gpt2Tokenizer& t = hello_tokenizer();
  const std::string text = "a<|endoftext|>b";
  const Encoding e = t.encode(text, false);
  CHECK(std::find(e.ids.begin(), e.ids.end(), t.bos_id()) == e.ids.end());
  CHECK(e.ids.size() == text.size());  // no merges apply: one token a byte
  CHECK(t.decode(e.ids) == text);
  CHECK(t.find_token("<|endoftext|>") == -1);
}

TEST_CASE("GPT-2 tokenizer: decode, token_bytes, token_display, find_token", "[gpt2-tokenizer]") {
  const Gpt2Tokenizer& t = hello_tokenizer();
  CHECK(t.decode({261, 259, 260}) == "hello w");
  CHECK(t.token_bytes(260) == " w");
  CHECK(t.token_bytes(261) == "");
  CHECK(t.token_display(261) == "<|endoftext|>");
  CHECK(t.token_display(260) == " w");
  CHECK(t.token_display('\n') == "\\n");
  CHECK(t.token_display(0xE2) == "<0xE2>");
  CHECK(t.find_token("hello") == 259);
  CHECK(t.find_token("nope") == -1);
  CHECK_THROWS_WITH(t.decode({262}), Catch::Contains("outside the vocabulary (0..261)"));
  CHECK_THROWS_AS(t.token_display(-1), Error);
}

TEST_CASE("GPT-2 tokenizer: any bytes encode and decode back", "[gpt2-tokenizer]") {
  const Gpt2Tokenizer& t = hello_tokenizer();
  Rng rng(11);
  for (int round = 0; round < 200; ++round) {
    std::string text(size_t(rng.next_u64() % 64), '\0');
    for (char& c : text) c = char(rng.next_u64() % 4 == 0 ? "hel o"[rng.next_u64() % 5] : rng.next_u64() & 0xff);
    const Encoding e = t.encode(text);
    REQUIRE(t.decode(e.ids) == text);
    int at = 0;
    for (size_t k = 1; k < e.spans.size(); ++k) {
      REQUIRE(e.spans[k].begin == at);
      REQUIRE(t.token_bytes(e.ids[k]) == text.substr(size_t(at), size_t(e.spans[k].end - at)));
      at = e.spans[k].end;
    }
    CHECK(at == int(text.size()));
  }
}

TEST_CASE("GPT-2 tokenizer: a Hugging Face tokenizer.json gives the same tokens", "[gpt2-tokenizer]") {
  json vocab = byte_vocab();
  vocab[gpt2_token_string("he")] = 256;
  vocab[gpt2_token_string(" h")] = 257;
  vocab["<|endoftext|>"] = 258;
  const std::string sp = gpt2_token_string(" ");
  const json as_strings = {{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", {sp + " h", "h e"}}}}};
  const json as_pairs = {{"version", "1.0"}, {"model", {{"vocab", vocab}, {"merges", json::array({json::array({sp, "h"}), json::array({"h", "e"})})}}}};
  const Gpt2Tokenizer a = Gpt2Tokenizer::from_hf_json(as_strings);
  const Gpt2Tokenizer b = Gpt2Tokenizer::from_hf_json(as_pairs);
  const std::string merges_txt = "#version: 0.2\n" + sp + " h\nh e\n";
  const Gpt2Tokenizer c = Gpt2Tokenizer::from_vocab_and_merges(vocab.dump(), merges_txt);
  // "he"; then " h" (rank 0) merges before "he" (rank 1) could form
  const std::vector<int> expected{258, 256, 257, 'e'};
  CHECK(a.encode("he he").ids == expected);
  CHECK(b.encode("he he").ids == expected);
  CHECK(c.encode("he he").ids == expected);
}

TEST_CASE("tokenizer_json_kind tells the project's tokenizer.json from Hugging Face's", "[gpt2-tokenizer]") {
  CHECK(tokenizer_json_kind(json{{"type", "byte-bpe"}, {"version", 1}, {"bos", "<bos>"}, {"merges", json::array()}}) ==
        TokenizerJsonKind::ProjectByteBpe);
  CHECK(tokenizer_json_kind(json{{"version", "1.0"}, {"model", {{"type", "BPE"}}}}) == TokenizerJsonKind::HuggingFace);
  // a project file with a note called "model" is still the project's
  CHECK(tokenizer_json_kind(json{{"type", "byte-bpe"}, {"model", json::object()}}) == TokenizerJsonKind::ProjectByteBpe);
  CHECK(tokenizer_json_kind(json{{"type", "BPE"}, {"model", json::object()}}) == TokenizerJsonKind::Unknown);
  CHECK(tokenizer_json_kind(json{{"model", "gpt2"}}) == TokenizerJsonKind::Unknown);
  CHECK(tokenizer_json_kind(json::array()) == TokenizerJsonKind::Unknown);
  CHECK_THROWS_WITH(Gpt2Tokenizer::from_hf_json(json{{"type", "byte-bpe"}}, "t.json"),
                    Catch::Contains("t.json") && Catch::Contains("the simulator's own tokenizer"));
}

TEST_CASE("GPT-2 tokenizer: malformed files are errors naming the file and the problem", "[gpt2-tokenizer]") {
  const std::string good_merges = "#version: 0.2\nh e\n";
  json vocab = byte_vocab();
  vocab["he"] = 256;
  vocab["<|endoftext|>"] = 257;
  auto fails = [&](const json& v, const std::string& merges, const std::vector<std::string>& fragments) {
    INFO(merges);
    try {
      Gpt2Tokenizer::from_vocab_and_merges(v.dump(), merges, "vocab.json", "merges.txt");
      FAIL("no error");
    } catch (const Error& e) {
      for (const std::string& f : fragments) CHECK_THAT(e.what(), Catch::Contains(f));
    }
  };
  CHECK_NOTHROW(Gpt2Tokenizer::from_vocab_and_merges(vocab.dump(), good_merges));
  CHECK_THROWS_WITH(Gpt2Tokenizer::from_vocab_and_merges("{\"a\": ", good_merges, "v.json", "m.txt"),
                    Catch::Contains("v.json") && Catch::Contains("not valid JSON"));
  fails(json::array(), good_merges, {"vocab.json", "must be an object"});
  json v = vocab;
  v["he"] = 5;
  fails(v, good_merges, {"vocab.json", "has id 5", "too"});
  v = vocab;
  v["he"] = 258;
  fails(v, good_merges, {"vocab.json", "ids must be integers 0..257"});
  v = vocab;
  v["he"] = 1.5;
  fails(v, good_merges, {"vocab.json", "ids must be integers"});
  v = vocab;
  v.erase("<|endoftext|>");
  fails(v, good_merges, {"vocab.json", "no \"<|endoftext|>\""});
  v = vocab;
  v.erase(gpt2_token_string(" "));
  v["xy"] = 32;  // ids stay 0..n-1, but the byte 32 (a space) has no token
  fails(v, good_merges, {"vocab.json", "no token for the byte 32"});
  v = vocab;
  v.erase("he");
  v["h e"] = 256;  // a raw space is not GPT-2's spelling
  fails(v, good_merges, {"vocab.json", "\"h e\"", "byte spelling"});
  fails(vocab, "#version: 0.2\nh e\nhe\n", {"merges.txt", "line 3", "\"he\""});
  fails(vocab, "#version: 0.2\nh  e\n", {"merges.txt", "line 2"});
  fails(vocab, "#version: 0.2\nh q7\n", {"merges.txt", "merge 0", "not in the vocabulary"});
  fails(vocab, "#version: 0.2\nh h\n", {"merges.txt", "makes \"hh\"", "not in the vocabulary vocab.json"});
  fails(vocab, "#version: 0.2\nh e\nh e\n", {"merges.txt", "merge 1", "repeats merge 0"});
  json big = json::object();
  for (int i = 0; i < 65537; ++i) big["t" + std::to_string(i)] = i;
  fails(big, good_merges, {"vocab.json", "65537 tokens", "1 to 65536"});
  CHECK_THROWS_WITH(Gpt2Tokenizer::load_vocab_and_merges("no/such/vocab.json", "no/such/merges.txt"),
                    Catch::Contains("no/such/vocab.json"));
  const json wordpiece = {{"model", {{"type", "WordPiece"}, {"vocab", vocab}}}};
  CHECK_THROWS_WITH(Gpt2Tokenizer::from_hf_json(wordpiece, "tok.json"),
                    Catch::Contains("tok.json") && Catch::Contains("only \"BPE\""));
  const json no_merges = {{"model", {{"type", "BPE"}, {"vocab", vocab}}}};
  CHECK_THROWS_WITH(Gpt2Tokenizer::from_hf_json(no_merges, "tok.json"), Catch::Contains("no \"merges\""));
  const json bad_merge = {{"model", {{"vocab", vocab}, {"merges", json::array({json::array({"h", "e", "x"})})}}}};
  CHECK_THROWS_WITH(Gpt2Tokenizer::from_hf_json(bad_merge, "tok.json"), Catch::Contains("merge 0"));
}
