// The probe files: the shipped ones parse and cover what the analysis needs, and
// malformed lines are errors that name the line.
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "error.hpp"
#include "heads/probes.hpp"
#include "io/read_file.hpp"
#include "train/corpus.hpp"

using namespace llmsim;

// ctest runs the tests from the source tree (WORKING_DIRECTORY in CMakeLists.txt);
// running the binary from the build folder works too.
// `set`: the probe folder, "english" (the default model's) or "stories" (tinygpt's).
static std::string probe_path(const std::string& set, const std::string& file) {
  for (const std::string prefix : {"web/probes/", "../../web/probes/"})
    try {
      read_whole_file(prefix + set + "/" + file);
      return prefix + set + "/" + file;
    } catch (const Error&) {
    }
  FAIL("cannot find web/probes/" << set << "/" << file << "; run from the repository root");
  return "";
}

TEST_CASE("the shipped syntax probes hold at least 150 pairs covering all five relations") {
  const std::string set = GENERATE("english", "stories");
  INFO(set);
  const auto sentences = load_syntax_probe(probe_path(set, "syntax.txt"));
  std::map<std::string, int> per_relation;
  int pairs = 0;
  for (const SyntaxSentence& s : sentences)
    for (const SyntaxPair& p : s.pairs) {
      ++per_relation[p.relation];
      ++pairs;
      CHECK(p.earlier < p.later);
    }
  CHECK(pairs >= 150);
  for (const std::string& relation : syntax_relations()) {
    INFO(relation);
    CHECK(per_relation[relation] >= 20);
  }
}

TEST_CASE("the shipped semantic probes have several categories and many queries") {
  const std::string set = GENERATE("english", "stories");
  INFO(set);
  const SemanticProbe probe = load_semantic_probe(probe_path(set, "semantic.txt"));
  CHECK(probe.categories.size() >= 4);
  int queries = 0;
  for (const SemanticSentence& s : probe.sentences) {
    std::set<std::string> seen;
    for (const SemanticMark& m : s.marks) {
      if (seen.count(m.category)) ++queries;
      seen.insert(m.category);
    }
  }
  CHECK(queries >= 50);
}

TEST_CASE("the shipped probe folders load as a whole; only English has repeated passages") {
  const std::string set = GENERATE("english", "stories");
  INFO(set);
  const std::string syntax = probe_path(set, "syntax.txt");
  const Probes probes = load_probes(syntax.substr(0, syntax.size() - std::string("syntax.txt").size()));
  CHECK(probes.validation.size() >= 3);
  CHECK(probe_texts(probes).size() ==
        probes.validation.size() + probes.syntax.size() + probes.semantic.sentences.size());
  CHECK(probes.repeated.size() == (set == "english" ? 12u : 0u));
}

TEST_CASE("repeated passages: one per line, comments skipped, a repeated word is an Error") {
  const auto passages = parse_repeated_passages("# note\n\nOne red kite flew.\r\nTwo small boats.\n");
  REQUIRE(passages.size() == 2);
  CHECK(passages[0] == "One red kite flew.");
  CHECK(passages[1] == "Two small boats.");
  CHECK_THROWS_WITH(parse_repeated_passages("ok then\nthe cat saw the dog\n", "r.txt"),
                    Catch::Contains("r.txt line 2: the word \"the\" occurs twice"));
  // Case counts: "The" and "the" are different words (different tokens too).
  CHECK(parse_repeated_passages("The cat saw the dog\n").size() == 1);
}

// The English probes must measure the heads on text the model never saw: no probe
// sentence (nor the held-out test text) may occur in the corpus it was trained on.
// Needs the corpus (./build.sh corpus); skipped when it was not built.
TEST_CASE("no English probe sentence occurs in the training corpus") {
  std::string corpus;
  for (const std::string dir : {"build/corpus/english/", "../../build/corpus/english/"})
    for (const char* file : {"wordnet.txt", "sotu-modern.txt", "sotu-early.txt", "austen.txt"})
      try {
        corpus += read_whole_file(dir + file);
      } catch (const Error&) {
      }
  if (corpus.empty()) {
    WARN("build/corpus/english is absent (./build.sh corpus builds it): not checked");
    return;
  }
  const std::string syntax = probe_path("english", "syntax.txt");
  const Probes probes = load_probes(syntax.substr(0, syntax.size() - std::string("syntax.txt").size()));
  std::vector<std::string> sentences = probe_texts(probes);
  sentences.insert(sentences.end(), probes.repeated.begin(), probes.repeated.end());
  // The held-out text the tests score the shipped model on, too.
  for (const std::string& file : {"tests/data/english-heldout.txt", "../../tests/data/english-heldout.txt"})
    try {
      for (const std::string& t : parse_validation_texts(read_whole_file(file))) sentences.push_back(t);
      break;
    } catch (const Error&) {
    }
  int checked = 0;
  for (const std::string& text : sentences) {
    // Each sentence of a paragraph on its own: a shorter unit is a stricter test.
    size_t begin = 0;
    while (begin < text.size()) {
      size_t end = text.find_first_of(".!?", begin);
      end = end == std::string::npos ? text.size() : end + 1;
      std::string sentence = text.substr(begin, end - begin);
      sentence.erase(0, sentence.find_first_not_of(" \n"));
      begin = end;
      if (sentence.size() < 25) continue;  // "He smiled." may well be in Austen
      ++checked;
      INFO(sentence);
      CHECK(corpus.find(sentence) == std::string::npos);
    }
  }
  CHECK(checked >= 200);
}

TEST_CASE("syntax annotations resolve #K and the nearest earlier occurrence") {
  const auto s = parse_syntax_probe(
      "# a comment\n"
      "\n"
      "The cat saw the dog and the dog saw the cat. | det the dog#2, dobj saw#2 cat#2, "
      "det the#1 dog#1, nsubj dog#2 saw#2\r\n");
  REQUIRE(s.size() == 1);
  CHECK(s[0].line == 3);
  const auto& w = s[0].words;
  REQUIRE(w.size() == 11);
  const auto& p = s[0].pairs;
  REQUIRE(p.size() == 4);
  CHECK(p[0].relation == "det");
  CHECK(p[0].earlier == 6);  // the "the" right before the second "dog"
  CHECK(p[0].later == 7);
  CHECK(p[1].earlier == 8);
  CHECK(p[1].later == 10);
  CHECK(p[2].earlier == 3);
  CHECK(p[2].later == 4);
  CHECK(p[3].earlier == 7);
  CHECK(p[3].later == 8);
  CHECK(w[10].text == "cat");
  CHECK(w[10].begin == 40);
  CHECK(w[10].end == 43);
}

// The Error message for `contents`, or "" if none was thrown.
template <typename Parse>
static std::string error_of(Parse parse, const std::string& contents) {
  try {
    parse(contents);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("malformed syntax probe lines give an Error naming the line") {
  auto parse = [](const std::string& c) { return parse_syntax_probe(c); };
  const std::string ok = "The cat sat. | det The cat\n";
  CHECK(error_of(parse, ok) == "");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"The cat sat. det The cat", "no '|'"},
      {"The cat sat. | dett The cat", "unknown relation"},
      {"The cat sat. | det The", "3 fields"},
      {"The cat sat. | det The dog", "\"dog\" is not a word"},
      {"The cat sat. | det cat The", "does not occur before"},
      {"the cat and the cat | det the cat", "write cat#K"},
      {"the cat and the cat | det the cat#3", "not 3"},
      {"the cat and the cat | det the cat#x", "occurrence number"},
      {"the cat and the cat | det the#2 cat#1", "must come before"},
      {". | det a b", "no words"},
      {"The cat sat. | det The cat,", "3 fields"},
  };
  for (const auto& [line, message] : cases) {
    INFO(line);
    const std::string error = error_of(parse, ok + "\n" + line + "\n");
    CHECK(error.find("line 3") != std::string::npos);
    CHECK(error.find(message) != std::string::npos);
  }
  CHECK(error_of(parse, "# only comments\n").find("no sentences") != std::string::npos);
}

TEST_CASE("the semantic probe strips brackets and records categories and pools") {
  const SemanticProbe p = parse_semantic_probe(
      "A [red:colour] hat, a [blue:colour] cup and a [cat:animal].\n"
      "The [dog:animal] saw the [red:colour] [cat:animal].\n");
  REQUIRE(p.sentences.size() == 2);
  CHECK(p.sentences[0].text == "A red hat, a blue cup and a cat.");
  CHECK(p.sentences[1].text == "The dog saw the red cat.");
  REQUIRE(p.sentences[1].marks.size() == 3);
  CHECK(p.sentences[1].marks[0].word == 1);
  CHECK(p.sentences[1].marks[0].category == "animal");
  CHECK(p.sentences[1].marks[2].word == 5);
  CHECK(p.categories == std::vector<std::string>{"animal", "colour"});
  CHECK(p.pool[0] == std::vector<std::string>{"cat", "dog"});
  CHECK(p.pool[1] == std::vector<std::string>{"red", "blue"});
}

TEST_CASE("malformed semantic probe lines give an Error naming the line") {
  auto parse = [](const std::string& c) { return parse_semantic_probe(c); };
  const std::string ok = "A [red:colour] hat and a [cat:animal].\n";
  CHECK(error_of(parse, ok) == "");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"A [red:colour hat", "not closed"},
      {"A red] hat [cat:animal]", "without '['"},
      {"A [red] hat", "[word:category]"},
      {"A [red hat:colour] x", "one word of letters"},
      {"A [red:] hat", "category must be one word"},
      {"A x[red:colour] hat", "glued"},
      {"A [red:colour]x hat", "glued"},
      {"A red hat", "no [word:category]"},
  };
  for (const auto& [line, message] : cases) {
    INFO(line);
    const std::string error = error_of(parse, "# c\n" + ok + line + "\n");
    CHECK(error.find("line 3") != std::string::npos);
    CHECK(error.find(message) != std::string::npos);
  }
  CHECK(error_of(parse, "The [cat:animal] and the [dog:animal].\n").find("two categories") !=
        std::string::npos);
}

TEST_CASE("a word maps to the token holding its last byte; BOS never matches") {
  const std::vector<TokenSpan> spans = {{0, 0}, {0, 2}, {2, 5}, {5, 9}};
  CHECK(token_of_word(spans, {"ab", 0, 2}) == 1);
  CHECK(token_of_word(spans, {"cdefg", 2, 7}) == 3);
  CHECK_THROWS_AS(token_of_word(spans, {"z", 9, 10}), Error);
}

TEST_CASE("validation texts are paragraphs separated by blank lines") {
  const auto texts = parse_validation_texts("# header\nOne day.\nThe end.\n\n  \nAnother.\n");
  CHECK(texts == std::vector<std::string>{"One day.\nThe end.", "Another."});
  CHECK_THROWS_AS(parse_validation_texts("# nothing\n"), Error);
}

TEST_CASE("every probe word is a word of the shipped model's corpus, in its category") {
  // The model only knows the corpus's few hundred words; a probe word it never saw
  // would measure the tokenizer, not the heads. 1 MB of corpus holds every word.
  const std::string corpus = generate_corpus(1, 1000000, 0).train;
  std::set<std::string> known;
  for (const ProbeWord& w : probe_words(corpus)) known.insert(w.text);
  const auto syntax = load_syntax_probe(probe_path("stories", "syntax.txt"));
  const SemanticProbe semantic = load_semantic_probe(probe_path("stories", "semantic.txt"));
  for (const SyntaxSentence& s : syntax)
    for (const ProbeWord& w : s.words) {
      INFO("syntax line " << s.line << ": " << w.text);
      CHECK(known.count(w.text));
    }
  for (const SemanticSentence& s : semantic.sentences)
    for (const ProbeWord& w : s.words) {
      INFO("semantic line " << s.line << ": " << w.text);
      CHECK(known.count(w.text));
    }
  // A marked word (or its singular) is in the corpus's list for its category.
  std::map<std::string, std::set<std::string>> categories;
  for (const auto& [name, words] : corpus_categories())
    categories[name] = std::set<std::string>(words.begin(), words.end());
  for (const SemanticSentence& s : semantic.sentences)
    for (const SemanticMark& m : s.marks) {
      const std::string word = s.words[m.word].text;
      INFO("semantic line " << s.line << ": [" << word << ":" << m.category << "]");
      REQUIRE(categories.count(m.category));
      const auto& list = categories[m.category];
      CHECK((list.count(word) || list.count(word.substr(0, word.size() - 1))));
    }
}
