#include "text/bpe_tokenizer.hpp"

#include <algorithm>
#include <climits>
#include <fstream>
#include <functional>
#include <queue>
#include <sstream>

#include "error.hpp"
#include "io/json_text.hpp"
#include "io/read_file.hpp"
#include "text/pretokenizer.hpp"

namespace llmsim {

namespace {

using PairKey = uint64_t;

PairKey pair_key(int left, int right) { return bpe_pair_key(left, right); }
int pair_left(PairKey k) { return int(k >> 32); }
int pair_right(PairKey k) { return int(k & 0xffffffffu); }

// ---------------------------------------------------------------------------
// Training

// A distinct pre-token of the corpus, as the current token sequence, and how
// often it occurs. Training works on these instead of the running text: a few MB
// of English has only thousands of distinct pre-tokens.
struct Word {
  std::vector<int> symbols;
  int64_t count = 0;
};

std::vector<Word> count_pretokens(const std::string& corpus) {
  std::unordered_map<std::string, int64_t> counts;
  for (const TokenSpan& s : pretokenize(corpus))
    ++counts[corpus.substr(size_t(s.begin), size_t(s.end - s.begin))];
  // Sorted, so the run does not depend on hash order (the result would not either,
  // but this makes that obvious).
  std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<Word> words;
  for (const auto& [bytes, count] : sorted) {
    if (bytes.size() < 2) continue;  // nothing to merge
    Word w;
    w.symbols.assign(bytes.begin(), bytes.end());
    for (int& s : w.symbols) s &= 0xff;  // char may be signed
    w.count = count;
    words.push_back(std::move(w));
  }
  return words;
}

// Replaces every non-overlapping (left, right), scanning left to right, by merged.
void merge_in_word(std::vector<int>& symbols, int left, int right, int merged) {
  size_t out = 0;
  for (size_t i = 0; i < symbols.size(); ++i) {
    if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
      symbols[out++] = merged;
      ++i;
    } else {
      symbols[out++] = symbols[i];
    }
  }
  symbols.resize(out);
}

bool contains_pair(const std::vector<int>& symbols, int left, int right) {
  for (size_t i = 0; i + 1 < symbols.size(); ++i)
    if (symbols[i] == left && symbols[i + 1] == right) return true;
  return false;
}

// A heap entry: the count a pair had when pushed. Entries go stale when counts
// change; a popped entry is used only if its count is still the pair's count.
struct Candidate {
  int64_t count;
  PairKey key;
  // The top of the heap is the largest count, then the smallest pair.
  bool operator<(const Candidate& o) const {
    return count != o.count ? count < o.count : key > o.key;
  }
};

// Greedy BPE over the distinct words with incrementally updated pair counts: a
// merge only revisits the words that contain the merged pair.
class MergeTrainer {
 public:
  explicit MergeTrainer(std::vector<Word> words) : words_(std::move(words)) {
    token_length_.assign(256, 1);
    for (int w = 0; w < int(words_.size()); ++w) add_pairs(w, +1, -1);
    push_touched();
  }

  std::vector<std::pair<int, int>> run(int n_merges) {
    std::vector<std::pair<int, int>> merges;
    PairKey key;
    while (int(merges.size()) < n_merges && pop_best(&key)) {
      const int new_id = 256 + int(merges.size());
      merges.emplace_back(pair_left(key), pair_right(key));
      token_length_.push_back(token_length_[pair_left(key)] + token_length_[pair_right(key)]);
      apply_merge(key, new_id);
    }
    return merges;
  }

 private:
  // Adds sign * count of word w for each adjacent pair in it. When adding, pairs
  // that contain new_id are new to this word, so the word is listed under them.
  void add_pairs(int w, int sign, int new_id) {
    const Word& word = words_[size_t(w)];
    for (size_t i = 0; i + 1 < word.symbols.size(); ++i) {
      const int a = word.symbols[i], b = word.symbols[i + 1];
      const PairKey key = pair_key(a, b);
      count_[key] += sign * word.count;
      touched_.push_back(key);
      if (sign > 0 && (new_id < 0 || a == new_id || b == new_id)) {
        std::vector<int>& list = where_[key];
        if (list.empty() || list.back() != w) list.push_back(w);
      }
    }
  }

  void apply_merge(PairKey key, int new_id) {
    const int a = pair_left(key), b = pair_right(key);
    auto it = where_.find(key);
    const std::vector<int> words = std::move(it->second);
    where_.erase(it);
    for (int w : words) {
      if (!contains_pair(words_[size_t(w)].symbols, a, b)) continue;  // listed, merged away since
      add_pairs(w, -1, new_id);
      merge_in_word(words_[size_t(w)].symbols, a, b, new_id);
      add_pairs(w, +1, new_id);
    }
    push_touched();
  }

  // Pushes the current count of every pair whose count changed.
  void push_touched() {
    std::sort(touched_.begin(), touched_.end());
    touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
    for (PairKey key : touched_) {
      auto it = count_.find(key);
      if (it->second <= 0) {
        count_.erase(it);
        continue;
      }
      if (token_length_[size_t(pair_left(key))] + token_length_[size_t(pair_right(key))] >
          kMaxTokenBytes)
        continue;
      heap_.push({it->second, key});
    }
    touched_.clear();
  }

  // The most frequent pair that occurs at least twice.
  bool pop_best(PairKey* key) {
    while (!heap_.empty()) {
      const Candidate top = heap_.top();
      heap_.pop();
      auto it = count_.find(top.key);
      if (it == count_.end() || it->second != top.count) continue;  // stale
      if (top.count < 2) return false;
      *key = top.key;
      return true;
    }
    return false;
  }

  std::vector<Word> words_;
  std::vector<int> token_length_;                           // bytes, by token id
  std::unordered_map<PairKey, int64_t> count_;              // occurrences in the corpus
  std::unordered_map<PairKey, std::vector<int>> where_;     // words that (may) contain it
  std::priority_queue<Candidate> heap_;
  std::vector<PairKey> touched_;
};

// ---------------------------------------------------------------------------
// Encoding

// Token b is byte b: the identity, as bpe_merge_piece wants it.
struct ByteIds {
  int ids[256];
  ByteIds() {
    for (int b = 0; b < 256; ++b) ids[b] = b;
  }
};

// ---------------------------------------------------------------------------
// JSON

[[noreturn]] void bad_data(const std::string& what) {
  throw Error("BPE tokenizer data: " + what);
}

// An integer id from JSON, or an error naming where it was.
int64_t json_integer(const nlohmann::json& v, const std::string& where) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    return u > uint64_t(INT64_MAX) ? INT64_MAX : int64_t(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  bad_data(where + " must be an integer, not " + describe_json(v));
}

}  // namespace

// ---------------------------------------------------------------------------

BpeTokenizer BpeTokenizer::train(const std::string& corpus, int vocab_size) {
  if (vocab_size < 257 || vocab_size > kMaxVocabSize)
    throw Error("BPE vocabulary size must be between 257 (256 bytes + BOS) and " +
                std::to_string(kMaxVocabSize) + ", got " + std::to_string(vocab_size));
  MergeTrainer trainer(count_pretokens(corpus));
  return from_merges(trainer.run(vocab_size - 257));
}

BpeTokenizer BpeTokenizer::from_merges(const std::vector<std::pair<int, int>>& merges,
                                       const std::string& bos_text) {
  if (merges.size() > size_t(kMaxVocabSize - 257))
    bad_data(std::to_string(merges.size()) + " merges make a vocabulary larger than " +
             std::to_string(kMaxVocabSize));
  BpeTokenizer t;
  t.bos_text_ = bos_text;
  t.token_bytes_.reserve(257 + merges.size());
  for (int b = 0; b < 256; ++b) t.token_bytes_.push_back(std::string(1, char(b)));
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto [a, b] = merges[r];
    const int id = 256 + int(r);
    const std::string where = "merge " + std::to_string(r) + " [" + std::to_string(a) + ", " +
                              std::to_string(b) + "] (token " + std::to_string(id) + ")";
    if (a < 0 || b < 0 || a >= id || b >= id)
      bad_data(where + " must join two earlier tokens, ids 0.." + std::to_string(id - 1));
    const size_t length = t.token_bytes_[size_t(a)].size() + t.token_bytes_[size_t(b)].size();
    if (length > size_t(kMaxTokenBytes))
      bad_data(where + " would be " + std::to_string(length) + " bytes long; the limit is " +
               std::to_string(kMaxTokenBytes));
    const auto inserted = t.merge_table_.emplace(bpe_pair_key(a, b), BpeMerge{int(r), id});
    if (!inserted.second)
      bad_data(where + " repeats merge " + std::to_string(inserted.first->second.rank));
    t.token_bytes_.push_back(t.token_bytes_[size_t(a)] + t.token_bytes_[size_t(b)]);
  }
  t.token_bytes_.push_back("");  // BOS
  t.merges_ = merges;
  // Two merges may spell the same bytes (e.g. "ab"+"c" and "a"+"bc"); find_token
  // names the first, which is the one training produced for the most common case.
  for (int id = 0; id + 1 < int(t.token_bytes_.size()); ++id)
    t.id_of_bytes_.emplace(t.token_bytes_[size_t(id)], id);
  return t;
}

BpeTokenizer BpeTokenizer::from_json(const nlohmann::json& j) {
  if (!j.is_object()) bad_data("must be an object, not " + std::string(j.type_name()));
  auto field = [&](const char* name) -> const nlohmann::json& {
    auto it = j.find(name);
    if (it == j.end()) bad_data(std::string("missing \"") + name + "\"");
    return *it;
  };
  const nlohmann::json& type = field("type");
  if (!type.is_string() || type.get<std::string>() != "byte-bpe")
    bad_data("\"type\" must be \"byte-bpe\", not " + describe_json(type));
  const nlohmann::json& version = field("version");
  if (!version.is_number_integer() || json_integer(version, "\"version\"") != 1)
    bad_data("\"version\" must be 1 (the only version this build reads), not " + describe_json(version));
  const nlohmann::json& bos = field("bos");
  if (!bos.is_string()) bad_data("\"bos\" must be a string, not " + describe_json(bos));
  const nlohmann::json& list = field("merges");
  if (!list.is_array()) bad_data("\"merges\" must be an array, not " + std::string(list.type_name()));
  if (list.size() > size_t(kMaxVocabSize - 257))
    bad_data(std::to_string(list.size()) + " merges make a vocabulary larger than " +
             std::to_string(kMaxVocabSize));
  std::vector<std::pair<int, int>> merges;
  merges.reserve(list.size());
  for (size_t r = 0; r < list.size(); ++r) {
    const nlohmann::json& m = list[r];
    const std::string where = "merge " + std::to_string(r);
    if (!m.is_array() || m.size() != 2)
      bad_data(where + " must be a pair [a, b] of token ids, not " + describe_json(m));
    const int64_t a = json_integer(m[0], where + "'s first id");
    const int64_t b = json_integer(m[1], where + "'s second id");
    const int64_t id = 256 + int64_t(r);
    if (a < 0 || b < 0 || a >= id || b >= id)
      bad_data(where + " " + json_text(m) + " (token " + std::to_string(id) +
               ") must join two earlier tokens, ids 0.." + std::to_string(id - 1));
    merges.emplace_back(int(a), int(b));
  }
  return from_merges(merges, bos.get<std::string>());
}

BpeTokenizer BpeTokenizer::load(const std::string& path) {
  const std::string text = read_whole_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error("tokenizer file " + path + " is not valid JSON: " + e.what());
  }
  try {
    return from_json(j);
  } catch (const Error& e) {
    throw Error("tokenizer file " + path + ": " + e.what());
  }
}

nlohmann::json BpeTokenizer::to_json() const {
  nlohmann::json merges = nlohmann::json::array();
  for (const auto& [a, b] : merges_) merges.push_back({a, b});
  return {{"type", "byte-bpe"}, {"version", 1}, {"bos", bos_text_}, {"merges", merges}};
}

std::string BpeTokenizer::to_text() const {
  std::ostringstream out;
  out << "{\n  \"type\": \"byte-bpe\",\n  \"version\": 1,\n  \"bos\": "
      << nlohmann::json(bos_text_).dump() << ",\n  \"merges\": [";
  for (size_t r = 0; r < merges_.size(); ++r)
    out << (r ? ",\n    [" : "\n    [") << merges_[r].first << ", " << merges_[r].second << "]";
  out << (merges_.empty() ? "]\n}\n" : "\n  ]\n}\n");
  return out.str();
}

void BpeTokenizer::save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("cannot write tokenizer file " + path);
  out << to_text();
  if (!out) throw Error("could not finish writing tokenizer file " + path);
}

Encoding BpeTokenizer::encode(const std::string& text, bool add_bos) const {
  if (text.size() > size_t(INT_MAX))
    throw Error("text of " + std::to_string(text.size()) + " bytes is too long to tokenize");
  Encoding out;
  if (add_bos) {
    out.ids.push_back(bos_id());
    out.spans.push_back({0, 0});
  }
  static const ByteIds bytes;
  BpeScratch scratch;
  for (const TokenSpan& piece : pretokenize(text))
    bpe_merge_piece(merge_table_, bytes.ids, text, piece, scratch, out);
  return out;
}

const std::string& BpeTokenizer::token_bytes(int id) const {
  check_token_id(id, vocab_size());
  return token_bytes_[size_t(id)];
}

std::string BpeTokenizer::token_display(int id) const {
  const std::string& bytes = token_bytes(id);
  if (id == bos_id()) return bos_text_;
  return display_token_bytes(bytes);
}

int BpeTokenizer::find_token(const std::string& bytes) const {
  auto it = id_of_bytes_.find(bytes);
  return it == id_of_bytes_.end() ? -1 : it->second;
}

}  // namespace llmsim
