// A tokenizer from its files, whichever kind they hold: the project's own
// tokenizer.json, a Hugging Face tokenizer.json (GPT-2's), or GPT-2's vocab.json +
// merges.txt. One place decides, for the model loader, the page and the CLI.
#pragma once
#include <memory>
#include <string>

#include "text/tokens.hpp"

namespace llmsim {

// A tokenizer.json's contents, told apart by structure (tokenizer_json_kind,
// gpt2_tokenizer.hpp); `name` names the file in errors.
std::shared_ptr<const Tokenizer> tokenizer_from_json_text(const std::string& text, const std::string& name);

// A model folder's tokenizer: DIR/tokenizer.json if there is one, else DIR/vocab.json +
// DIR/merges.txt. `source` (if given) is set to the file the errors would name.
std::shared_ptr<const Tokenizer> load_folder_tokenizer(const std::string& dir, std::string* source = nullptr);

}  // namespace llmsim
