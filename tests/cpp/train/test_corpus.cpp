#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "train/corpus.hpp"

using namespace llmsim;

static std::vector<std::string> split_documents(const std::string& text) {
  std::vector<std::string> docs;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find("\n\n", start);
    if (end == std::string::npos) end = text.size();
    docs.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  return docs;
}

static std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> words;
  std::string w;
  for (char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\'') {
      w += c;
    } else if (!w.empty()) {
      words.push_back(w);
      w.clear();
    }
  }
  if (!w.empty()) words.push_back(w);
  return words;
}

static std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return s;
}

// Generated once: 400 KB is enough for every word to appear.
static const CorpusSplit& corpus() {
  static const CorpusSplit c = generate_corpus(1, 400000, 40000);
  return c;
}

TEST_CASE("the corpus is deterministic, and seeds and splits differ") {
  const CorpusSplit a = generate_corpus(5, 30000, 5000);
  const CorpusSplit b = generate_corpus(5, 30000, 5000);
  CHECK(a.train == b.train);
  CHECK(a.validation == b.validation);
  const CorpusSplit c = generate_corpus(6, 30000, 5000);
  CHECK(c.train.substr(0, 2000) != a.train.substr(0, 2000));
  CHECK(a.validation.substr(0, 2000) != a.train.substr(0, 2000));
  CHECK(generate_document(3) == generate_document(3));
  CHECK(generate_document(3) != generate_document(4));
}

TEST_CASE("the corpus bytes are pinned, so native and WASM builds train on the same text") {
  // FNV-1a of a fixed corpus; GCC 12, Clang 14 and emcc 3.1.6 (WASM) all give it.
  // If the grammar changes on purpose, update the value. If it changes otherwise,
  // generation became platform-dependent (e.g. two random draws in one unsequenced
  // expression such as a() + b(): see cat() in corpus.cpp).
  auto fnv1a = [](const std::string& text) {
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
    return h;
  };
  const std::string text = generate_corpus(1, 50000, 0).train;
  CHECK(text.size() == 50115);
  CHECK(fnv1a(text) == 0xb711d7a1bb1ac044ULL);  // the grammar without the game
  const std::string game = generate_corpus(1, 50000, 0, {/*word_game=*/true}).train;
  CHECK(game.size() == 50101);
  CHECK(fnv1a(game) == 0xb1f799ae4e1985ffULL);  // the shipped model's corpus
}

TEST_CASE("requested sizes are honoured to within one document") {
  for (size_t bytes : {size_t(1), size_t(1000), size_t(100000)}) {
    const CorpusSplit c = generate_corpus(2, bytes, bytes / 2 + 1);
    CHECK(c.train.size() >= bytes);
    CHECK(c.train.size() < bytes + 2048);
    CHECK(c.validation.size() >= bytes / 2 + 1);
    CHECK(c.validation.size() < bytes / 2 + 1 + 2048);
  }
  const CorpusSplit empty = generate_corpus(2, 0, 0);
  CHECK(empty.train.empty());
  CHECK(empty.validation.empty());
}

TEST_CASE("the text is printable ASCII, documents are separated by one blank line") {
  const std::string& text = corpus().train;
  for (char c : text) REQUIRE(((c >= 0x20 && c <= 0x7e) || c == '\n'));
  for (const std::string& doc : split_documents(text)) {
    INFO(doc);
    REQUIRE(doc.size() > 20);
    REQUIRE(doc.find('\n') == std::string::npos);
    REQUIRE(doc.front() != ' ');
    REQUIRE(std::string(".!?\"").find(doc.back()) != std::string::npos);
  }
}

TEST_CASE("surface grammar: articles, capitals, spacing") {
  const std::string& text = corpus().train;
  CHECK(text.find("  ") == std::string::npos);
  CHECK(text.find(" ,") == std::string::npos);
  CHECK(text.find(" .") == std::string::npos);
  const std::vector<std::string> words = words_of(text);
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    const std::string article = lower(words[i]);
    if (article != "a" && article != "an") continue;
    const bool vowel = std::string("aeiouAEIOU").find(words[i + 1][0]) != std::string::npos;
    INFO(words[i] << " " << words[i + 1]);
    REQUIRE(vowel == (article == "an"));
  }
  // A sentence after ". " starts with a capital letter or an opening quote.
  for (size_t p = text.find(". "); p != std::string::npos; p = text.find(". ", p + 1)) {
    const char next = text[p + 2];
    INFO(text.substr(p > 40 ? p - 40 : 0, 80));
    REQUIRE(((next >= 'A' && next <= 'Z') || next == '"'));
  }
}

TEST_CASE("every category word appears, and no word is in two categories") {
  std::set<std::string> seen;
  for (const std::string& w : words_of(corpus().train)) seen.insert(lower(w));
  std::map<std::string, std::string> category_of;
  for (const auto& [category, words] : corpus_categories()) {
    CHECK(words.size() >= 10);
    for (const std::string& w : words) {
      INFO(category << ": " << w);
      CHECK(seen.count(lower(w)) == 1);
      const auto inserted = category_of.emplace(lower(w), category);
      CHECK(inserted.second);
    }
  }
  CHECK(corpus_categories().size() >= 10);
}

TEST_CASE("about a fifth of the documents repeat an earlier span verbatim") {
  const std::vector<std::string> docs = split_documents(corpus().train);
  size_t magic = 0, sentence = 0, any = 0;
  for (const std::string& doc : docs) {
    // Magic words: "...: w1 w2 w3." said again later with "again: w1 w2 w3."
    const size_t again = doc.find(" again: ");
    if (again != std::string::npos) {
      const std::string words = doc.substr(again + 8, doc.find('.', again) - again - 8);
      if (doc.find(": " + words + ".") < again) ++magic;
    }
    // A whole sentence of three or more words said twice.
    std::set<std::string> sentences;
    size_t start = 0;
    bool twice = false;
    for (size_t end = doc.find(". "); end != std::string::npos; end = doc.find(". ", start)) {
      const std::string s = doc.substr(start, end - start);
      if (words_of(s).size() >= 3 && !sentences.insert(s).second) twice = true;
      start = end + 2;
    }
    sentence += twice;
    any += twice || again != std::string::npos;
  }
  const double n = double(docs.size());
  CHECK(magic / n > 0.07);
  CHECK(sentence / n > 0.07);
  CHECK(any / n > 0.15);
  CHECK(any / n < 0.4);
}

TEST_CASE("the word game says snap exactly when a word of the same kind was said before") {
  // The kind of each word, from the probes' category table (not the generator's lists).
  std::map<std::string, std::string> kind_of;
  for (const auto& [category, words] : corpus_categories())
    for (const std::string& w : words) kind_of[w] = category;
  size_t games = 0, turns = 0, snaps = 0;
  const std::vector<std::string> docs =
      split_documents(generate_corpus(1, 400000, 0, {/*word_game=*/true}).train);
  for (const std::string& doc : docs) {
    if (doc.find(" played snap with words.") == std::string::npos) continue;
    ++games;
    std::set<std::string> kinds_said, words_said;
    // Each turn: "... said WORD." or "... said WORD, snap!"
    for (size_t p = doc.find(" said "); p != std::string::npos; p = doc.find(" said ", p + 1)) {
      const size_t end = doc.find_first_of(".,", p + 6);
      const std::string word = doc.substr(p + 6, end - p - 6);
      const bool snap = doc.compare(end, 7, ", snap!") == 0;
      INFO(doc << "\nword: " << word);
      REQUIRE(kind_of.count(word) == 1);
      REQUIRE(words_said.insert(word).second);  // never the same word twice
      CHECK(snap == (kinds_said.count(kind_of[word]) == 1));
      kinds_said.insert(kind_of[word]);
      ++turns;
      snaps += snap;
    }
  }
  // About one document in six (weight 4 of 25), with both outcomes common.
  CHECK(games / double(docs.size()) > 0.12);
  CHECK(games / double(docs.size()) < 0.20);
  CHECK(snaps / double(turns) > 0.3);
  CHECK(snaps / double(turns) < 0.7);
  // Without the option, no game.
  CHECK(corpus().train.find(" played snap with words.") == std::string::npos);
}

TEST_CASE("set phrases are common, for predictable continuations") {
  const std::vector<std::string> docs = split_documents(corpus().train);
  size_t once = 0;
  for (const std::string& doc : docs) once += doc.rfind("Once upon a time, ", 0) == 0;
  CHECK(once / double(docs.size()) > 0.15);
  // "sat on the" is most often followed by "mat".
  std::map<std::string, int> after;
  const std::string& text = corpus().train;
  for (size_t p = text.find("sat on the "); p != std::string::npos; p = text.find("sat on the ", p + 1))
    ++after[words_of(text.substr(p + 11, 12))[0]];
  int best = 0;
  std::string best_word;
  for (const auto& [w, count] : after)
    if (count > best) best = count, best_word = w;
  CHECK(best_word == "mat");
  CHECK(text.find("The cat sat on the mat.") != std::string::npos);
}

TEST_CASE("example prompts use only the corpus's words") {
  std::set<std::string> seen;
  for (const std::string& w : words_of(corpus().train)) seen.insert(lower(w));
  CHECK(example_prompts().size() >= 5);
  for (const ExamplePrompt& p : example_prompts()) {
    CHECK(!p.shows.empty());
    for (const std::string& w : words_of(p.text)) {
      INFO(p.text << ": " << w);
      CHECK(seen.count(lower(w)) == 1);
    }
  }
}
