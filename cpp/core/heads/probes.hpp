// The standard probes the head analysis runs: small annotated text sets shipped with
// the repository (web/probes/). Each parser takes the file's contents as a string, so
// the WASM build (no filesystem) parses the same text the page embeds; the load_*
// functions are the native convenience. Malformed lines are an Error naming the line.
//
// Words. A probe sentence is plain text; its words are the maximal runs of ASCII
// letters, digits and apostrophes ("don't" is one word). Punctuation is text but not
// a word: it can never be annotated. A word is located by its byte span, so a word
// maps onto the model's tokens through the tokenizer's spans (token_of_word).
//
// ---- Syntax probe (web/probes/syntax.txt) ----
// One sentence per line, then '|', then comma-separated annotations:
//     The little cat sat on the mat. | det The cat, amod little cat, nsubj cat sat, ...
// An annotation is `RELATION EARLIER LATER`: two words of the sentence in reading
// order. The model is causal, so only the LATER word can attend to the EARLIER one;
// the analysis asks whether the later word's most-attended token is the earlier word.
//   det    determiner -> noun      (the noun attends to its determiner; Clark et al.'s
//   amod   adjective  -> noun       head-attends-to-dependent direction)
//   nsubj  subject    -> verb      (the verb attends to its subject; same direction)
//   dobj   verb       -> object    (the object attends to its verb: dependent -> head)
//   pobj   preposition-> object    (the object attends to its preposition: dep -> head)
// A word is written as it appears (case-sensitive), optionally with #K for its K-th
// occurrence in the sentence (1-based). Without #K, the LATER word must occur once in
// the sentence and the EARLIER word means its nearest occurrence before the later one
// ("on the mat": `det the mat` picks the "the" just before "mat").
// Blank lines and lines starting with '#' are comments.
//
// ---- Semantic probe (web/probes/semantic.txt) ----
// One sentence per line; words that belong to a category are written [word:category]:
//     Tom saw a [red:colour] hat and a [blue:colour] cup.
// The brackets are removed from the sentence the model reads. The pool of words of a
// category is every word marked with it anywhere in the file (used to build the
// shuffled controls). Blank lines and '#' lines are comments.
#pragma once
#include <string>
#include <vector>

#include "trace.hpp"

namespace llmsim {

// The relations of the syntax probe, in the order reports list them.
const std::vector<std::string>& syntax_relations();  // det, amod, nsubj, dobj, pobj

struct ProbeWord {
  std::string text;
  int begin = 0, end = 0;  // byte span [begin, end) in the sentence
};

// Splits a probe sentence into its words (letters, digits, apostrophes).
std::vector<ProbeWord> probe_words(const std::string& sentence);

struct SyntaxPair {
  std::string relation;  // one of syntax_relations()
  int earlier = 0;       // word index of the key (attended-to) word
  int later = 0;         // word index of the query word; earlier < later
};

struct SyntaxSentence {
  int line = 0;  // 1-based line in the probe file
  std::string text;
  std::vector<ProbeWord> words;
  std::vector<SyntaxPair> pairs;
};

struct SemanticMark {
  int word = 0;  // word index in the sentence
  std::string category;
};

struct SemanticSentence {
  int line = 0;
  std::string text;  // brackets removed
  std::vector<ProbeWord> words;
  std::vector<SemanticMark> marks;  // in reading order
};

struct SemanticProbe {
  std::vector<SemanticSentence> sentences;
  std::vector<std::string> categories;  // sorted
  // pool[c]: the distinct words marked with categories[c], in first-seen order.
  std::vector<std::vector<std::string>> pool;
};

// Both throw Error("<name> line N: ...") for a malformed line; `name` labels messages.
std::vector<SyntaxSentence> parse_syntax_probe(const std::string& contents,
                                               const std::string& name = "syntax probe");
SemanticProbe parse_semantic_probe(const std::string& contents,
                                   const std::string& name = "semantic probe");

std::vector<SyntaxSentence> load_syntax_probe(const std::string& path);
SemanticProbe load_semantic_probe(const std::string& path);

// ---- Repeated passages (web/probes/english/repeated.txt) ----
// One passage per line, in which no word occurs twice: the induction test says each
// passage twice in a row (heads/analysis.hpp). Blank lines and '#' lines are comments.
// Error naming the line for a passage that repeats a word.
std::vector<std::string> parse_repeated_passages(const std::string& contents,
                                                 const std::string& name = "repeated passages");

// ---- All probes together (one folder per model family: web/probes/english/,
// web/probes/stories/) ----
// validation.txt holds held-out text, one document per paragraph: the reference text
// for the pattern scores the labels read, and the text head importance is measured on.
struct Probes {
  std::vector<SyntaxSentence> syntax;
  SemanticProbe semantic;
  std::vector<std::string> validation;  // documents
  std::vector<std::string> repeated;    // passages; may be empty (no repeated.txt)
};

// validation.txt: documents separated by blank lines; '#' lines are comments.
std::vector<std::string> parse_validation_texts(const std::string& contents,
                                                const std::string& name = "validation text");
Probes parse_probes(const std::string& syntax, const std::string& semantic,
                    const std::string& validation, const std::string& repeated = "");
// syntax.txt, semantic.txt, validation.txt and, if the folder has it, repeated.txt.
Probes load_probes(const std::string& directory);

// Every text the mean ablation averages over: validation, syntax and semantic sentences.
std::vector<std::string> probe_texts(const Probes& probes);

// The token that holds the word's last byte: in a causal model the last piece is the
// first position that has read the whole word. `spans` are the tokenizer's byte spans
// (a BOS token has an empty span and never matches). Error if no token covers it.
int token_of_word(const std::vector<TokenSpan>& spans, const ProbeWord& word);

}  // namespace llmsim
