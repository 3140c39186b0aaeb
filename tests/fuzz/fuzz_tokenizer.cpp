// tokenizer.json loading (either kind: the project's or a Hugging Face GPT-2 one,
// text/tokenizer_files.hpp), then encode/decode. The input is a tokenizer file, a NUL
// byte, then a text. A file the loader accepts must encode any text (valid UTF-8 or not) to
// ids it can decode back to exactly that text, with spans that tile the text in order;
// a file it refuses must be refused with an Error, however deep or large.
#include <memory>

#include "fuzz_check.hpp"
#include "../../cpp/core/error.hpp"
#include "../../cpp/core/text/tokenizer_files.hpp"

using namespace llmsim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input = fuzz::as_string(data, size);
  const size_t nul = input.find('\0');
  const std::string file = input.substr(0, nul);
  const std::string text = nul == std::string::npos ? std::string() : input.substr(nul + 1);
  std::shared_ptr<const Tokenizer> loaded;
  try {
    loaded = tokenizer_from_json_text(file, "tokenizer.json");
  } catch (const Error&) {
    return 0;
  }
  const Tokenizer& tokenizer = *loaded;
  const Encoding e = tokenizer.encode(text);
  fuzz::check(!e.ids.empty() && e.ids.size() == e.spans.size(), "BOS first, one span per id");
  fuzz::check(tokenizer.decode(e.ids) == text, "decode(encode(s)) == s");
  size_t at = 0;
  for (size_t i = 1; i < e.spans.size(); ++i) {
    fuzz::check(size_t(e.spans[i].begin) == at && e.spans[i].end > e.spans[i].begin,
                "spans tile the text in order");
    at = size_t(e.spans[i].end);
  }
  fuzz::check(at == text.size(), "spans cover the whole text");
  for (const int id : e.ids) (void)tokenizer.token_display(id);
  return 0;
}
