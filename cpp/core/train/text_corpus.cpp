#include "train/text_corpus.hpp"

#include <fstream>
#include <sstream>

#include "error.hpp"
#include "io/json_text.hpp"
#include "io/read_file.hpp"

namespace llmsim {

namespace {

const char* kHowToBuild = " (build the English corpus with ./build.sh corpus)";

std::string read_file(const std::string& path) {
  try {
    return read_whole_file(path);
  } catch (const Error& e) {
    throw Error(e.what() + std::string(kHowToBuild));
  }
}

// Calls f(begin, end) for each document of `text`, end including its "\n\n".
template <typename F>
void for_each_document(const std::string& text, F f) {
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find("\n\n", begin);
    end = end == std::string::npos ? text.size() : end + 2;
    f(begin, end);
    begin = end;
  }
}

}  // namespace

TextCorpus load_text_corpus(const std::string& dir, int validation_every) {
  if (validation_every < 2) throw Error("validation_every must be at least 2");
  TextCorpus corpus;
  const std::string manifest_path = dir + "/manifest.json";
  corpus.manifest = nlohmann::json::parse(read_file(manifest_path), nullptr, false);
  if (!corpus.manifest.is_object() || !corpus.manifest.contains("sources") ||
      !corpus.manifest["sources"].is_array() || corpus.manifest["sources"].empty())
    throw Error(manifest_path + ": needs a non-empty \"sources\" array" + kHowToBuild);
  for (const nlohmann::json& source : corpus.manifest["sources"]) {
    if (!source.is_object() || !source.contains("file") || !source["file"].is_string() ||
        !source.contains("bytes") || !source["bytes"].is_number_unsigned())
      throw Error(manifest_path + ": each source needs \"file\" and \"bytes\"");
    const std::string name = source["file"];
    if (name.find('/') != std::string::npos || name.empty() || name[0] == '.')
      throw Error(manifest_path + ": \"" + name + "\" must be a file name in the folder");
    const std::string text = read_file(dir + "/" + name);
    if (text.size() != source["bytes"].get<size_t>())
      throw Error(dir + "/" + name + " has " + std::to_string(text.size()) +
                  " bytes, the manifest says " + describe_json(source["bytes"]) + kHowToBuild);
    const bool modern = source.value("modern", false);
    int k = 0;
    for_each_document(text, [&](size_t begin, size_t end) {
      const bool held_out = k++ % validation_every == validation_every - 1;
      std::string& part = held_out ? corpus.split.validation : corpus.split.train;
      part.append(text, begin, end - begin);
      if (!held_out) {
        corpus.train_bytes += end - begin;
        if (modern) corpus.modern_train_bytes += end - begin;
      }
    });
  }
  return corpus;
}

std::string even_document_sample(const std::string& text, size_t bytes) {
  if (bytes >= text.size()) return text;
  std::string sample;
  // Take a document whenever the sample has fallen behind the share of the text
  // read so far: the sample follows the text's mix of sources.
  for_each_document(text, [&](size_t begin, size_t end) {
    if (double(sample.size()) < double(bytes) * double(end) / double(text.size()))
      sample.append(text, begin, end - begin);
  });
  return sample;
}

TrainingText training_text(uint64_t seed, size_t story_train_bytes, size_t story_validation_bytes,
                           const CorpusOptions& options, const std::string& english_dir) {
  TrainingText text;
  text.split = generate_corpus(seed, story_train_bytes, story_validation_bytes, options);
  if (english_dir.empty()) return text;
  TextCorpus english = load_text_corpus(english_dir);
  const size_t total = english.train_bytes + text.split.train.size();
  text.english = {{"dir", english_dir},
                  {"manifest", english.manifest},
                  {"english_train_bytes", english.train_bytes},
                  {"modern_train_bytes", english.modern_train_bytes},
                  {"story_train_bytes", text.split.train.size()},
                  {"modern_share", double(english.modern_train_bytes) / double(total)}};
  text.split.train = english.split.train + text.split.train;
  text.split.validation = english.split.validation + text.split.validation;
  return text;
}

std::string tokenizer_training_text(const TrainingText& text, size_t bytes) {
  return text.english.is_null() ? text.split.train.substr(0, bytes)
                                : even_document_sample(text.split.train, bytes);
}

void encode_documents(const Tokenizer& tokenizer, const std::string& text,
                      std::vector<int>& stream, std::vector<size_t>& doc_starts) {
  for_each_document(text, [&](size_t begin, size_t end) {
    doc_starts.push_back(stream.size());
    const std::vector<int> ids = tokenizer.encode(text.substr(begin, end - begin), false).ids;
    stream.insert(stream.end(), ids.begin(), ids.end());
  });
}

}  // namespace llmsim
