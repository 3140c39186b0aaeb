#include "text/tokenizer_files.hpp"

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "io/read_file.hpp"
#include "text/bpe_tokenizer.hpp"
#include "text/gpt2_tokenizer.hpp"

namespace llmsim {

std::shared_ptr<const Tokenizer> tokenizer_from_json_text(const std::string& text, const std::string& name) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error(name + ": not valid JSON");
  if (tokenizer_json_kind(j) == TokenizerJsonKind::HuggingFace)
    return std::make_shared<const Gpt2Tokenizer>(Gpt2Tokenizer::from_hf_json(j, name));
  // The project's own, or neither: then its reader says what is wrong, as for the
  // project's own file (the format a folder most often holds), and the error adds the
  // other kind.
  try {
    return std::make_shared<const BpeTokenizer>(BpeTokenizer::from_json(j));
  } catch (const Error& e) {
    const bool ours = tokenizer_json_kind(j) == TokenizerJsonKind::ProjectByteBpe;
    throw Error(name + ": " + e.what() +
                (ours ? "" : " (nor is it a Hugging Face tokenizer.json, which has an object \"model\")"));
  }
}

std::shared_ptr<const Tokenizer> load_folder_tokenizer(const std::string& dir, std::string* source) {
  const std::string tokenizer_path = dir + "/tokenizer.json", vocab_path = dir + "/vocab.json",
                    merges_path = dir + "/merges.txt";
  if (!file_exists(tokenizer_path) && file_exists(vocab_path) && file_exists(merges_path)) {
    if (source) *source = vocab_path;
    return std::make_shared<const Gpt2Tokenizer>(Gpt2Tokenizer::load_vocab_and_merges(vocab_path, merges_path));
  }
  if (source) *source = tokenizer_path;
  return tokenizer_from_json_text(read_whole_file(tokenizer_path), tokenizer_path);
}

}  // namespace llmsim
