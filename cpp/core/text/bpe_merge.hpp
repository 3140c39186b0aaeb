// The step every byte-level BPE tokenizer takes on each pre-token: start from one
// token per byte and apply the vocabulary's merges, lowest rank first, until none
// applies. BpeTokenizer (the project's merges) and Gpt2Tokenizer (GPT-2's) share it,
// so both encode by the same rule.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "text/tokens.hpp"

namespace llmsim {

// A merge: two adjacent tokens become `merged`. Lower ranks were learned earlier
// and apply first.
struct BpeMerge {
  int rank = 0;
  int merged = 0;
};

// (left id, right id) -> the merge that joins them.
using BpeMergeTable = std::unordered_map<uint64_t, BpeMerge>;

inline uint64_t bpe_pair_key(int left, int right) {
  return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
}

// Working memory for one pre-token, reused across the pre-tokens of a text.
struct BpeScratch {
  std::vector<int> id, next, prev;        // a linked list of symbols over byte positions
  std::vector<std::pair<int, int>> heap;  // (merge rank, position of the left symbol)
  std::vector<int> batch;                 // positions of the pairs of one rank
};

// Encodes the bytes text[piece.begin, piece.end): `byte_ids[b]` is the token of byte b.
// Appends the tokens and their byte spans (offsets into `text`) to `out`.
void bpe_merge_piece(const BpeMergeTable& merges, const int (&byte_ids)[256],
                     const std::string& text, TokenSpan piece, BpeScratch& scratch, Encoding& out);

}  // namespace llmsim
