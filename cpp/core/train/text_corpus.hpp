// A training corpus read from text files, beside the generated one of corpus.hpp:
// the English corpus that scripts/corpus/build-english.mjs assembles from packaged
// sources (WordNet, State of the Union addresses, Austen). The folder holds
// manifest.json ({"sources": [{"file", "package", "version", "licence", "modern",
// "bytes", "sha256"}, ...]}) and one text file per source, whose documents are
// separated by "\n\n", as the generated corpus's are.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/bpe_tokenizer.hpp"
#include "train/corpus.hpp"

namespace llmsim {

struct TextCorpus {
  CorpusSplit split;        // documents separated by "\n\n", each part ending in "\n\n"
  nlohmann::json manifest;  // the folder's manifest.json, as read
  // Bytes of training text from sources the manifest marks "modern", and from all.
  size_t modern_train_bytes = 0, train_bytes = 0;
};

// Reads every source of DIR/manifest.json. Document k of a source (0-based) is
// held out for validation when k % validation_every == validation_every − 1, so
// every source is represented in both parts. A missing folder, manifest or file, or
// a file whose size is not the manifest's, is an Error that says how to build it.
TextCorpus load_text_corpus(const std::string& dir, int validation_every = 100);

// About `bytes` of whole documents taken evenly from across `text` (documents
// separated by "\n\n"), for training a tokenizer on a sample that has every source
// in its share rather than the first few megabytes of one.
std::string even_document_sample(const std::string& text, size_t bytes);

// The text `llmsim train` learns from: the generated stories (corpus.hpp) and, with
// english_dir, the English corpus in front of them; validation is the held-out
// documents of each. `english` reports the English part (null without it): the
// manifest, byte counts and the share of modern English in the training text.
struct TrainingText {
  CorpusSplit split;
  nlohmann::json english;
};
TrainingText training_text(uint64_t seed, size_t story_train_bytes, size_t story_validation_bytes,
                           const CorpusOptions& options, const std::string& english_dir);

// The text the tokenizer learns its merges from: the stories alone train on their
// first bytes (as the shipped tinygpt did); a mixed corpus on an even sample, so
// every source has its share of the merges.
std::string tokenizer_training_text(const TrainingText& text, size_t bytes);

// Encodes documents (separated by "\n\n", each encoded with its separator) into one
// stream; doc_starts gets the stream position where each document begins.
void encode_documents(const Tokenizer& tokenizer, const std::string& text,
                      std::vector<int>& stream, std::vector<size_t>& doc_starts);

}  // namespace llmsim
