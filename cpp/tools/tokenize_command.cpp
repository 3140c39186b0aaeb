// llmsim tokenize (--tokenizer FILE | --vocab FILE --merges FILE) [--no-bos] [--pretokens]
//                 (--text TEXT | --text-file F | --texts-json F)
// A text's tokens as JSON: {"ids": [...], "spans": [[begin, end], ...] (bytes),
// "bytes": N, "round_trip": decode(ids) == text}, and with --pretokens the pieces BPE
// never crosses, "pretokens": [[begin, end], ...] (tests compare them with GPT-2's regex). --texts-json reads a JSON array of
// strings and prints an array of those, one per string (one process for many texts).
// --tokenizer takes either tokenizer.json: the simulator's own (BpeTokenizer) or a
// Hugging Face one (Gpt2Tokenizer), told apart by tokenizer_json_kind();
// --vocab + --merges are GPT-2's vocab.json + merges.txt (or encoder.json + vocab.bpe).
#include <iostream>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "error.hpp"
#include "text/bpe_tokenizer.hpp"
#include "text/gpt2_pretokenizer.hpp"
#include "text/gpt2_tokenizer.hpp"
#include "text/pretokenizer.hpp"
#include "text/tokenizer_files.hpp"

namespace llmsim::cli {

namespace {

nlohmann::json spans_json(const std::vector<TokenSpan>& spans) {
  nlohmann::json list = nlohmann::json::array();
  for (const TokenSpan& s : spans) list.push_back({s.begin, s.end});
  return list;
}

nlohmann::json tokenize(const Tokenizer& tokenizer, const std::string& text, bool add_bos,
                        bool pretokens) {
  const Encoding e = tokenizer.encode(text, add_bos);
  nlohmann::json result{{"ids", e.ids}, {"spans", spans_json(e.spans)}, {"bytes", text.size()},
                        {"round_trip", tokenizer.decode(e.ids) == text}};
  if (pretokens) {
    const bool gpt2 = dynamic_cast<const Gpt2Tokenizer*>(&tokenizer) != nullptr;
    result["pretokens"] = spans_json(gpt2 ? gpt2_pretokenize(text) : pretokenize(text));
  }
  return result;
}

}  // namespace

int tokenize_command(const Args& args) {
  std::string tokenizer_path, vocab_path, merges_path, text, text_file, texts_json;
  bool have_text = false, add_bos = true, pretokens = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--tokenizer") tokenizer_path = option_value(args, i);
    else if (a == "--vocab") vocab_path = option_value(args, i);
    else if (a == "--merges") merges_path = option_value(args, i);
    else if (a == "--text") text = option_value(args, i), have_text = true;
    else if (a == "--text-file") text_file = option_value(args, i);
    else if (a == "--texts-json") texts_json = option_value(args, i);
    else if (a == "--no-bos") add_bos = false;
    else if (a == "--pretokens") pretokens = true;
    else throw Error("unknown argument \"" + a + "\" for tokenize");
  }
  const bool gpt2_files = !vocab_path.empty() || !merges_path.empty();
  if (tokenizer_path.empty() == !gpt2_files || (gpt2_files && (vocab_path.empty() || merges_path.empty())))
    throw Error("tokenize needs --tokenizer FILE, or --vocab FILE and --merges FILE");
  if (int(have_text) + int(!text_file.empty()) + int(!texts_json.empty()) != 1)
    throw Error("tokenize needs one of --text TEXT, --text-file F, --texts-json F");

  const std::shared_ptr<const Tokenizer> tokenizer = gpt2_files
      ? std::make_shared<const Gpt2Tokenizer>(Gpt2Tokenizer::load_vocab_and_merges(vocab_path, merges_path))
      : tokenizer_from_json_text(read_whole_file(tokenizer_path), tokenizer_path);
  if (!texts_json.empty()) {
    const nlohmann::json texts = nlohmann::json::parse(read_whole_file(texts_json), nullptr, false);
    if (!texts.is_array()) throw Error(texts_json + ": must be a JSON array of strings");
    nlohmann::json results = nlohmann::json::array();
    for (size_t k = 0; k < texts.size(); ++k) {
      if (!texts[k].is_string()) throw Error(texts_json + ": item " + std::to_string(k) + " is not a string");
      results.push_back(tokenize(*tokenizer, texts[k].get<std::string>(), add_bos, pretokens));
    }
    std::cout << json_text(results) << "\n";
    return 0;
  }
  if (!text_file.empty()) text = read_whole_file(text_file);
  std::cout << json_text(tokenize(*tokenizer, text, add_bos, pretokens)) << "\n";
  return 0;
}

}  // namespace llmsim::cli
