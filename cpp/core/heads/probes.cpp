#include "heads/probes.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "error.hpp"
#include "io/read_file.hpp"

namespace llmsim {

const std::vector<std::string>& syntax_relations() {
  static const std::vector<std::string> relations = {"det", "amod", "nsubj", "dobj", "pobj"};
  return relations;
}

static bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '\'';
}

std::vector<ProbeWord> probe_words(const std::string& sentence) {
  std::vector<ProbeWord> words;
  const int n = int(sentence.size());
  for (int i = 0; i < n;) {
    if (!is_word_char(sentence[i])) {
      ++i;
      continue;
    }
    const int begin = i;
    while (i < n && is_word_char(sentence[i])) ++i;
    words.push_back({sentence.substr(begin, i - begin), begin, i});
  }
  return words;
}

static std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

static std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) parts.push_back(part);
  if (!s.empty() && s.back() == sep) parts.push_back("");
  return parts;
}

static bool is_comment_or_blank(const std::string& line) {
  const std::string t = trim(line);
  return t.empty() || t[0] == '#';
}

// Lines of a file, CR/LF tolerant.
static std::vector<std::string> lines_of(const std::string& contents) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(contents);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

namespace {

// A word reference "cat" or "cat#2" in a syntax annotation.
struct WordRef {
  std::string text;
  int occurrence = 0;  // 1-based; 0 = not given
};

struct LineError {
  const std::string& name;
  int line;
  [[noreturn]] void operator()(const std::string& message) const {
    throw Error(name + " line " + std::to_string(line) + ": " + message);
  }
};

WordRef parse_word_ref(const std::string& token, const LineError& fail) {
  const auto hash = token.find('#');
  if (hash == std::string::npos) return {token, 0};
  const std::string number = token.substr(hash + 1);
  if (number.empty() || number.size() > 3 ||
      !std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(number) == 0)
    fail("\"" + token + "\": after '#' comes the occurrence number, 1 or more");
  return {token.substr(0, hash), std::stoi(number)};
}

std::vector<int> occurrences(const std::vector<ProbeWord>& words, const std::string& text) {
  std::vector<int> at;
  for (int w = 0; w < int(words.size()); ++w)
    if (words[w].text == text) at.push_back(w);
  return at;
}

// The word's occurrences; fails when there is none or when word#K asks for more
// than there are.
std::vector<int> checked_occurrences(const std::vector<ProbeWord>& words, const WordRef& ref,
                                     const LineError& fail) {
  const std::vector<int> at = occurrences(words, ref.text);
  if (at.empty()) fail("\"" + ref.text + "\" is not a word of the sentence");
  if (ref.occurrence > int(at.size()))
    fail("\"" + ref.text + "\" occurs " + std::to_string(at.size()) + " time(s), not " +
         std::to_string(ref.occurrence));
  return at;
}

int resolve_later(const std::vector<ProbeWord>& words, const WordRef& ref, const LineError& fail) {
  const std::vector<int> at = checked_occurrences(words, ref, fail);
  if (ref.occurrence > 0) return at[ref.occurrence - 1];
  if (at.size() > 1)
    fail("\"" + ref.text + "\" occurs " + std::to_string(at.size()) +
         " times; write " + ref.text + "#K for the K-th");
  return at[0];
}

int resolve_earlier(const std::vector<ProbeWord>& words, const WordRef& ref, int later,
                    const LineError& fail) {
  const std::vector<int> at = checked_occurrences(words, ref, fail);
  if (ref.occurrence > 0) return at[ref.occurrence - 1];
  int nearest = -1;
  for (int w : at)
    if (w < later) nearest = w;
  if (nearest < 0)
    fail("\"" + ref.text + "\" does not occur before \"" + words[later].text + "\"");
  return nearest;
}

}  // namespace

std::vector<SyntaxSentence> parse_syntax_probe(const std::string& contents,
                                               const std::string& name) {
  const auto& relations = syntax_relations();
  std::vector<SyntaxSentence> sentences;
  const std::vector<std::string> lines = lines_of(contents);
  for (int n = 0; n < int(lines.size()); ++n) {
    if (is_comment_or_blank(lines[n])) continue;
    const LineError fail{name, n + 1};
    const auto bar = lines[n].find('|');
    if (bar == std::string::npos)
      fail("expected \"SENTENCE | RELATION EARLIER LATER, ...\", found no '|'");
    SyntaxSentence s;
    s.line = n + 1;
    s.text = trim(lines[n].substr(0, bar));
    s.words = probe_words(s.text);
    if (s.words.empty()) fail("the sentence before '|' has no words");
    for (const std::string& raw : split(lines[n].substr(bar + 1), ',')) {
      std::istringstream fields(raw);
      std::vector<std::string> f;
      for (std::string x; fields >> x;) f.push_back(x);
      if (f.size() != 3)
        fail("annotation \"" + trim(raw) + "\" should be RELATION EARLIER LATER (3 fields)");
      if (std::find(relations.begin(), relations.end(), f[0]) == relations.end())
        fail("unknown relation \"" + f[0] + "\" (known: det, amod, nsubj, dobj, pobj)");
      SyntaxPair pair;
      pair.relation = f[0];
      pair.later = resolve_later(s.words, parse_word_ref(f[2], fail), fail);
      pair.earlier = resolve_earlier(s.words, parse_word_ref(f[1], fail), pair.later, fail);
      if (pair.earlier >= pair.later)
        fail("in \"" + trim(raw) + "\" the first word must come before the second");
      s.pairs.push_back(pair);
    }
    sentences.push_back(std::move(s));
  }
  if (sentences.empty()) throw Error(name + ": no sentences");
  return sentences;
}

SemanticProbe parse_semantic_probe(const std::string& contents, const std::string& name) {
  SemanticProbe probe;
  std::map<std::string, std::vector<std::string>> pool;
  const std::vector<std::string> lines = lines_of(contents);
  for (int n = 0; n < int(lines.size()); ++n) {
    if (is_comment_or_blank(lines[n])) continue;
    const LineError fail{name, n + 1};
    const std::string line = trim(lines[n]);
    SemanticSentence s;
    s.line = n + 1;
    // Copy the text without brackets, remembering where each marked word lands.
    std::vector<std::pair<int, std::string>> marked;  // byte offset in s.text, category
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == ']') fail("']' without '[' at column " + std::to_string(i + 1));
      if (line[i] != '[') {
        s.text += line[i];
        continue;
      }
      const auto close = line.find(']', i);
      if (close == std::string::npos) fail("'[' at column " + std::to_string(i + 1) + " is not closed");
      const std::string inside = line.substr(i + 1, close - i - 1);
      const auto colon = inside.find(':');
      if (colon == std::string::npos)
        fail("\"[" + inside + "]\" should be [word:category]");
      const std::string word = inside.substr(0, colon), category = inside.substr(colon + 1);
      if (word.empty() || !std::all_of(word.begin(), word.end(), is_word_char))
        fail("\"[" + inside + "]\": the marked word must be one word of letters or digits");
      if (category.empty() || !std::all_of(category.begin(), category.end(), is_word_char))
        fail("\"[" + inside + "]\": the category must be one word");
      if (i > 0 && is_word_char(line[i - 1]))
        fail("\"[" + inside + "]\" is glued to the word before it");
      if (close + 1 < line.size() && is_word_char(line[close + 1]))
        fail("\"[" + inside + "]\" is glued to the word after it");
      marked.push_back({int(s.text.size()), category});
      s.text += word;
      auto& words = pool[category];
      if (std::find(words.begin(), words.end(), word) == words.end()) words.push_back(word);
      i = close;
    }
    s.words = probe_words(s.text);
    for (const auto& [offset, category] : marked)
      for (int w = 0; w < int(s.words.size()); ++w)
        if (s.words[w].begin == offset) s.marks.push_back({w, category});
    if (s.marks.empty()) fail("no [word:category] in the sentence");
    probe.sentences.push_back(std::move(s));
  }
  if (probe.sentences.empty()) throw Error(name + ": no sentences");
  for (auto& [category, words] : pool) {  // std::map: categories come out sorted
    probe.categories.push_back(category);
    probe.pool.push_back(words);
  }
  if (probe.categories.size() < 2)
    throw Error(name + ": needs at least two categories, so controls can swap across them");
  return probe;
}

std::vector<SyntaxSentence> load_syntax_probe(const std::string& path) {
  return parse_syntax_probe(read_whole_file(path), path);
}

SemanticProbe load_semantic_probe(const std::string& path) {
  return parse_semantic_probe(read_whole_file(path), path);
}

std::vector<std::string> parse_validation_texts(const std::string& contents,
                                                const std::string& name) {
  std::vector<std::string> texts;
  std::string current, line;
  std::istringstream in(contents);
  auto flush = [&] {
    if (!current.empty()) texts.push_back(current);
    current.clear();
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line[0] == '#') continue;
    if (line.find_first_not_of(" \t") == std::string::npos) {
      flush();
      continue;
    }
    current += current.empty() ? line : "\n" + line;
  }
  flush();
  if (texts.empty()) throw Error(name + ": no text");
  return texts;
}

std::vector<std::string> parse_repeated_passages(const std::string& contents,
                                                 const std::string& name) {
  std::vector<std::string> passages;
  std::string line;
  std::istringstream in(contents);
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#' || line.find_first_not_of(" \t") == std::string::npos)
      continue;
    // A repeated word would give the second copy two earlier occurrences to copy from.
    std::set<std::string> seen;
    for (const ProbeWord& w : probe_words(line))
      if (!seen.insert(w.text).second)
        throw Error(name + " line " + std::to_string(number) + ": the word \"" + w.text +
                    "\" occurs twice; an induction passage repeats nothing inside one copy");
    passages.push_back(line);
  }
  return passages;
}

Probes parse_probes(const std::string& syntax, const std::string& semantic,
                    const std::string& validation, const std::string& repeated) {
  return {parse_syntax_probe(syntax), parse_semantic_probe(semantic),
          parse_validation_texts(validation), parse_repeated_passages(repeated)};
}

Probes load_probes(const std::string& directory) {
  const std::string d = directory.empty() || directory.back() == '/' ? directory : directory + "/";
  const std::string repeated = d + "repeated.txt";
  return {load_syntax_probe(d + "syntax.txt"), load_semantic_probe(d + "semantic.txt"),
          parse_validation_texts(read_whole_file(d + "validation.txt"), d + "validation.txt"),
          std::ifstream(repeated) ? parse_repeated_passages(read_whole_file(repeated), repeated)
                                  : std::vector<std::string>{}};
}

std::vector<std::string> probe_texts(const Probes& probes) {
  std::vector<std::string> texts = probes.validation;
  for (const SyntaxSentence& s : probes.syntax) texts.push_back(s.text);
  for (const SemanticSentence& s : probes.semantic.sentences) texts.push_back(s.text);
  return texts;
}

int token_of_word(const std::vector<TokenSpan>& spans, const ProbeWord& word) {
  const int last_byte = word.end - 1;
  for (int t = 0; t < int(spans.size()); ++t)
    if (spans[t].begin <= last_byte && last_byte < spans[t].end) return t;
  throw Error("no token covers the word \"" + word.text + "\"");
}

}  // namespace llmsim
