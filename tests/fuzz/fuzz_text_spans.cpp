// The pre-tokenizer and the UTF-8 → UTF-16 offset mapping on any bytes: pre-tokens tile
// the text in order; UTF-16 offsets start at 0 and never go back; every span maps into
// the decoded string; a quoted cut is a prefix that fits its budget and ends on a
// character boundary.
#include <vector>

#include "fuzz_check.hpp"
#include "../../cpp/core/text/pretokenizer.hpp"
#include "../../cpp/core/utf8.hpp"

using namespace llmsim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::as_string(data, size);

  const std::vector<TokenSpan> spans = pretokenize(text);
  int at = 0;
  for (const TokenSpan& s : spans) {
    fuzz::check(s.begin == at && s.end > s.begin, "pre-tokens tile the text in order");
    at = s.end;
  }
  fuzz::check(size_t(at) == text.size(), "pre-tokens cover the whole text");

  const std::vector<int> offsets = utf16_offsets(text);
  fuzz::check(offsets.size() == text.size() + 1 && offsets[0] == 0, "one offset per byte, and the end");
  for (size_t i = 1; i < offsets.size(); ++i)
    fuzz::check(offsets[i] >= offsets[i - 1], "UTF-16 offsets never go back");
  size_t units = 0;
  std::vector<bool> boundary(text.size() + 1, false);  // where a character (or ill-formed piece) starts
  boundary[text.size()] = true;
  for (size_t i = 0; i < text.size();) {
    boundary[i] = true;
    const Utf8Sequence c = utf8_sequence_at(text, i);
    fuzz::check(c.length >= 1 && i + size_t(c.length) <= text.size(), "a character lies inside the text");
    fuzz::check(offsets[i] == int(units), "a character starts where the units so far end");
    units += size_t(c.utf16_units);
    i += size_t(c.length);
  }
  fuzz::check(offsets.back() == int(units), "the end is the decoded length");

  for (const TokenSpan& s : spans_to_utf16(text, spans))
    fuzz::check(0 <= s.begin && s.begin <= s.end && s.end <= int(units), "spans map into the decoded string");

  for (const size_t budget : {size_t(0), size_t(1), size_t(7), size_t(40)}) {
    const std::string cut = utf8_cut(text, budget);
    if (cut == text) continue;
    fuzz::check(cut.size() >= 3 && cut.compare(cut.size() - 3, 3, "...") == 0, "a cut ends in ...");
    const std::string kept = cut.substr(0, cut.size() - 3);
    fuzz::check(kept.size() <= budget && text.compare(0, kept.size(), kept) == 0, "a cut is a prefix within budget");
    fuzz::check(boundary[kept.size()], "a cut does not end inside a character");
  }
  return 0;
}
