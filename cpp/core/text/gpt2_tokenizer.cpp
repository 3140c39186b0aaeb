#include "text/gpt2_tokenizer.hpp"

#include <array>
#include <climits>
#include <cstdint>
#include <string_view>

#include "error.hpp"
#include "io/json_text.hpp"
#include "io/read_file.hpp"
#include "text/gpt2_pretokenizer.hpp"
#include "utf8.hpp"

namespace llmsim {

namespace {

const char* const kEndOfText = "<|endoftext|>";

// ---------------------------------------------------------------------------
// GPT-2's byte-to-unicode map (bytes_to_unicode() in OpenAI's encoder.py)

// The characters GPT-2 spells the 256 bytes with. Bytes that print as themselves in
// Latin-1 ('!'..'~', '¡'..'¬', '®'..'ÿ') keep their code point; the other 68 (controls,
// space, DEL, NBSP, soft hyphen) take U+0100, U+0101, ... in byte order. So the
// vocabulary never contains whitespace or control characters.
struct ByteMap {
  static constexpr uint32_t kLastCodePoint = 0x100 + 67;
  std::array<uint32_t, 256> code_point_of_byte{};
  std::array<int, kLastCodePoint + 1> byte_of_code_point{};  // -1: not a byte's character

  ByteMap() {
    byte_of_code_point.fill(-1);
    uint32_t next_extra = 0x100;
    for (int b = 0; b < 256; ++b) {
      const bool prints = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      code_point_of_byte[size_t(b)] = prints ? uint32_t(b) : next_extra++;
      byte_of_code_point[code_point_of_byte[size_t(b)]] = b;
    }
  }
};

const ByteMap& byte_map() {
  static const ByteMap map;
  return map;
}

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += char(cp);
  } else {  // the map's characters are all below U+0800: two bytes
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  }
}

// The bytes a vocabulary string spells, or false if it is not GPT-2's byte spelling
// (a character outside the map, or invalid UTF-8).
bool bytes_of_token_string(const std::string& s, std::string& bytes) {
  const ByteMap& map = byte_map();
  bytes.clear();
  for (size_t i = 0; i < s.size();) {
    const Utf8Sequence seq = utf8_sequence_at(s, i);
    if (!seq.valid || seq.length > 2) return false;
    const unsigned char lead = s[i];
    const uint32_t cp = seq.length == 1 ? lead : (uint32_t(lead & 0x1F) << 6) | (s[i + 1] & 0x3F);
    if (cp > ByteMap::kLastCodePoint || map.byte_of_code_point[cp] < 0) return false;
    bytes += char(map.byte_of_code_point[cp]);
    i += size_t(seq.length);
  }
  return true;
}

// ---------------------------------------------------------------------------
// Reading the files

[[noreturn]] void bad_file(const std::string& name, const std::string& what) {
  throw Error("GPT-2 tokenizer file " + name + ": " + what);
}

nlohmann::json parse_json(const std::string& text, const std::string& name) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    bad_file(name, std::string("not valid JSON: ") + e.what());
  }
}

// "left right" -> {left, right}: exactly one space between two non-empty tokens (a
// token never holds a space: GPT-2 spells it "Ġ").
bool split_merge(const std::string& line, Gpt2Tokenizer::MergeStrings& merge) {
  const size_t space = line.find(' ');
  if (space == std::string::npos || space == 0 || space + 1 == line.size() ||
      line.find(' ', space + 1) != std::string::npos)
    return false;
  merge = {line.substr(0, space), line.substr(space + 1)};
  return true;
}

// merges.txt: an optional "#version: ..." first line, then "left right" per line.
// Empty lines (the file's final newline) are skipped; a "\r" before "\n" is dropped.
std::vector<Gpt2Tokenizer::MergeStrings> parse_merges_txt(const std::string& text,
                                                          const std::string& name) {
  std::vector<Gpt2Tokenizer::MergeStrings> merges;
  size_t line_number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (line_number == 1 && line.rfind("#version", 0) == 0)) continue;
    if (merges.size() >= size_t(kMaxVocabSize))
      bad_file(name, "more than " + std::to_string(kMaxVocabSize) + " merges; no vocabulary this large is read");
    Gpt2Tokenizer::MergeStrings merge;
    if (!split_merge(line, merge))
      bad_file(name, "line " + std::to_string(line_number) + " is \"" + utf8_cut(line, 60) +
                         "\", not a merge \"left right\" (two tokens, one space between)");
    merges.push_back(std::move(merge));
  }
  return merges;
}

// model.merges of a Hugging Face tokenizer.json: "left right" strings or ["left", "right"] pairs.
std::vector<Gpt2Tokenizer::MergeStrings> hf_merges(const nlohmann::json& list, const std::string& name) {
  if (!list.is_array()) bad_file(name, "\"model\".\"merges\" must be an array, not " + describe_json(list));
  if (list.size() > size_t(kMaxVocabSize))
    bad_file(name, std::to_string(list.size()) + " merges; no vocabulary larger than " +
                       std::to_string(kMaxVocabSize) + " is read");
  std::vector<Gpt2Tokenizer::MergeStrings> merges;
  merges.reserve(list.size());
  for (size_t r = 0; r < list.size(); ++r) {
    const nlohmann::json& m = list[r];
    Gpt2Tokenizer::MergeStrings merge;
    const bool ok = m.is_string() ? split_merge(m.get<std::string>(), merge)
                  : m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string() &&
                        !m[0].get_ref<const std::string&>().empty() &&
                        !m[1].get_ref<const std::string&>().empty();
    if (!ok)
      bad_file(name, "merge " + std::to_string(r) + " is " + describe_json(m) +
                         ", not \"left right\" or [\"left\", \"right\"]");
    if (m.is_array()) merge = {m[0].get<std::string>(), m[1].get<std::string>()};
    merges.push_back(std::move(merge));
  }
  return merges;
}

// A cached result of BPE on one pre-token: its tokens are ids[first, first + count)
// with byte lengths lengths[first, ...).
struct CachedPiece {
  int first, count;
};

}  // namespace

// ---------------------------------------------------------------------------

std::string gpt2_token_string(const std::string& bytes) {
  std::string s;
  for (unsigned char b : bytes) append_utf8(byte_map().code_point_of_byte[b], s);
  return s;
}

TokenizerJsonKind tokenizer_json_kind(const nlohmann::json& j) {
  if (!j.is_object()) return TokenizerJsonKind::Unknown;
  const auto type = j.find("type");
  if (type != j.end()) {
    return type->is_string() && type->get_ref<const std::string&>() == "byte-bpe"
               ? TokenizerJsonKind::ProjectByteBpe
               : TokenizerJsonKind::Unknown;
  }
  const auto model = j.find("model");
  return model != j.end() && model->is_object() ? TokenizerJsonKind::HuggingFace
                                                : TokenizerJsonKind::Unknown;
}

Gpt2Tokenizer Gpt2Tokenizer::from_vocab(const nlohmann::json& vocab, const std::vector<MergeStrings>& merges,
                                        const std::string& name, const std::string& merges_name) {
  if (!vocab.is_object()) bad_file(name, "the vocabulary must be an object {\"token\": id}, not " + describe_json(vocab));
  if (vocab.empty() || vocab.size() > size_t(kMaxVocabSize))
    bad_file(name, "the vocabulary has " + std::to_string(vocab.size()) + " tokens; it must have 1 to " +
                       std::to_string(kMaxVocabSize));
  const int n = int(vocab.size());
  Gpt2Tokenizer t;
  t.token_bytes_.assign(size_t(n), "");
  std::vector<const std::string*> string_of_id(size_t(n), nullptr);
  std::unordered_map<std::string, int> id_of_string;
  std::string bytes;
  for (const auto& [token, value] : vocab.items()) {
    const std::string where = "token \"" + utf8_cut(token, 40) + "\"";
    if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() >= n)
      bad_file(name, where + " has id " + describe_json(value) + "; ids must be integers 0.." +
                         std::to_string(n - 1) + " (one per token)");
    const int id = value.get<int>();
    if (string_of_id[size_t(id)])
      bad_file(name, where + " has id " + std::to_string(id) + ", which token \"" +
                         utf8_cut(*string_of_id[size_t(id)], 40) + "\" has too");
    if (!bytes_of_token_string(token, bytes))
      bad_file(name, where + " is not written in GPT-2's byte spelling (a space is \"\u0120\"); "
                             "is this a byte-level BPE vocabulary?");
    string_of_id[size_t(id)] = &token;
    t.token_bytes_[size_t(id)] = bytes;
    id_of_string.emplace(token, id);
  }
  // Every byte has a token, or some text could not be encoded.
  for (int b = 0; b < 256; ++b) {
    const auto it = id_of_string.find(gpt2_token_string(std::string(1, char(b))));
    if (it == id_of_string.end())
      bad_file(name, "the vocabulary has no token for the byte " + std::to_string(b) + " (\"" +
                         gpt2_token_string(std::string(1, char(b))) + "\")");
    t.byte_ids_[b] = it->second;
  }
  const auto bos = id_of_string.find(kEndOfText);
  if (bos == id_of_string.end())
    bad_file(name, std::string("the vocabulary has no \"") + kEndOfText + "\" token (the simulator starts every text with it)");
  t.bos_id_ = bos->second;
  t.token_bytes_[size_t(t.bos_id_)] = "";
  for (int id = 0; id < n; ++id)
    if (id != t.bos_id_) t.id_of_bytes_.emplace(t.token_bytes_[size_t(id)], id);

  for (size_t r = 0; r < merges.size(); ++r) {
    const auto& [left, right] = merges[r];
    const std::string where = "merge " + std::to_string(r) + " \"" + utf8_cut(left, 30) + " " +
                              utf8_cut(right, 30) + "\"";
    const auto a = id_of_string.find(left), b = id_of_string.find(right);
    const auto merged = id_of_string.find(left + right);
    if (a == id_of_string.end() || b == id_of_string.end())
      bad_file(merges_name, where + " names a token that is not in the vocabulary " + name);
    if (merged == id_of_string.end())
      bad_file(merges_name, where + " makes \"" + utf8_cut(left + right, 60) + "\", which is not in the vocabulary " + name);
    const auto inserted = t.merge_table_.emplace(bpe_pair_key(a->second, b->second),
                                                 BpeMerge{int(r), merged->second});
    if (!inserted.second)
      bad_file(merges_name, where + " repeats merge " + std::to_string(inserted.first->second.rank));
  }
  return t;
}

Gpt2Tokenizer Gpt2Tokenizer::from_vocab_and_merges(const std::string& vocab_json, const std::string& merges_txt,
                                                   const std::string& vocab_name, const std::string& merges_name) {
  const nlohmann::json vocab = parse_json(vocab_json, vocab_name);
  return from_vocab(vocab, parse_merges_txt(merges_txt, merges_name), vocab_name, merges_name);
}

Gpt2Tokenizer Gpt2Tokenizer::load_vocab_and_merges(const std::string& vocab_path, const std::string& merges_path) {
  const std::string vocab = read_whole_file(vocab_path);  // first: its errors come first
  const std::string merges = read_whole_file(merges_path);
  return from_vocab_and_merges(vocab, merges, vocab_path, merges_path);
}

Gpt2Tokenizer Gpt2Tokenizer::from_hf_json(const nlohmann::json& j, const std::string& name) {
  if (tokenizer_json_kind(j) == TokenizerJsonKind::ProjectByteBpe)
    bad_file(name, "this is the simulator's own tokenizer (\"type\": \"byte-bpe\"), not a Hugging Face tokenizer.json");
  if (tokenizer_json_kind(j) != TokenizerJsonKind::HuggingFace)
    bad_file(name, "not a Hugging Face tokenizer.json: it needs an object \"model\" at the top level");
  const nlohmann::json& model = j["model"];
  const auto type = model.find("type");
  if (type != model.end() && !(type->is_string() && type->get_ref<const std::string&>() == "BPE"))
    bad_file(name, "\"model\".\"type\" is " + describe_json(*type) + "; only \"BPE\" (GPT-2's) is read");
  for (const char* field : {"vocab", "merges"})
    if (!model.contains(field)) bad_file(name, std::string("\"model\" has no \"") + field + "\"");
  return from_vocab(model["vocab"], hf_merges(model["merges"], name), name, name);
}

Gpt2Tokenizer Gpt2Tokenizer::load_hf(const std::string& path) {
  return from_hf_json(parse_json(read_whole_file(path), path), path);
}

// Pre-tokens repeat ("the", " of", "\n"), so each distinct one is merged once per call
// and its tokens copied after that: the cache lives for one call, which bounds it by
// the text and keeps encode() free of shared state.
Encoding Gpt2Tokenizer::encode(const std::string& text, bool add_bos) const {
  if (text.size() > size_t(INT_MAX))
    throw Error("text of " + std::to_string(text.size()) + " bytes is too long to tokenize");
  Encoding out;
  if (add_bos) {
    out.ids.push_back(bos_id_);
    out.spans.push_back({0, 0});
  }
  std::unordered_map<std::string_view, CachedPiece> cache;
  std::vector<int> cached_ids, cached_lengths;
  BpeScratch scratch;
  for (const TokenSpan& piece : gpt2_pretokenize(text)) {
    const std::string_view key(text.data() + piece.begin, size_t(piece.end - piece.begin));
    const auto hit = cache.find(key);
    if (hit != cache.end()) {
      int begin = piece.begin;
      for (int k = hit->second.first; k < hit->second.first + hit->second.count; ++k) {
        out.ids.push_back(cached_ids[size_t(k)]);
        out.spans.push_back({begin, begin + cached_lengths[size_t(k)]});
        begin += cached_lengths[size_t(k)];
      }
      continue;
    }
    const size_t first = out.ids.size();
    bpe_merge_piece(merge_table_, byte_ids_, text, piece, scratch, out);
    cache.emplace(key, CachedPiece{int(cached_ids.size()), int(out.ids.size() - first)});
    for (size_t k = first; k < out.ids.size(); ++k) {
      cached_ids.push_back(out.ids[k]);
      cached_lengths.push_back(out.spans[k].end - out.spans[k].begin);
    }
  }
  return out;
}

const std::string& Gpt2Tokenizer::token_bytes(int id) const {
  check_token_id(id, vocab_size());
  return token_bytes_[size_t(id)];
}

std::string Gpt2Tokenizer::token_display(int id) const {
  const std::string& bytes = token_bytes(id);
  if (id == bos_id_) return kEndOfText;
  return display_token_bytes(bytes);
}

int Gpt2Tokenizer::find_token(const std::string& bytes) const {
  auto it = id_of_bytes_.find(bytes);
  return it == id_of_bytes_.end() ? -1 : it->second;
}

}  // namespace llmsim
