#include "text/bpe_merge.hpp"

#include <algorithm>
#include <functional>

namespace llmsim {

static const BpeMerge* find_merge(const BpeMergeTable& merges, int left, int right) {
  if (left < 0 || right < 0) return nullptr;
  auto it = merges.find(bpe_pair_key(left, right));
  return it == merges.end() ? nullptr : &it->second;
}

// The textbook algorithm (GPT-2's encoder.py) repeats: find the adjacent pair of lowest
// rank, merge every occurrence of it left to right, until no pair has a rank. This is
// the same computation in O(n log n) for a piece of n bytes: every pair that exists is
// on a min-heap of (rank, position) when it forms; the heap hands out all pairs of the
// lowest rank at once, in position order, and each is merged if it still exists (an
// overlapping one, as the second "a a" in "a a a", no longer does). Merging one
// occurrence never creates another of the same rank (the merged token is longer than
// either part), so a rank is finished in one batch, as in the textbook loop.
void bpe_merge_piece(const BpeMergeTable& merges, const int (&byte_ids)[256],
                     const std::string& text, TokenSpan piece, BpeScratch& m, Encoding& out) {
  const int n = piece.end - piece.begin;
  if (n <= 0) return;
  m.id.resize(size_t(n));
  m.next.resize(size_t(n));
  m.prev.resize(size_t(n));
  m.heap.clear();
  const auto by_rank = std::greater<std::pair<int, int>>();
  auto push = [&](int pos) {
    const BpeMerge* merge = find_merge(merges, m.id[size_t(pos)], m.id[size_t(m.next[size_t(pos)])]);
    if (!merge) return;
    m.heap.emplace_back(merge->rank, pos);
    std::push_heap(m.heap.begin(), m.heap.end(), by_rank);
  };
  for (int i = 0; i < n; ++i) {
    m.id[size_t(i)] = byte_ids[static_cast<unsigned char>(text[size_t(piece.begin + i)])];
    m.next[size_t(i)] = i + 1 < n ? i + 1 : -1;
    m.prev[size_t(i)] = i - 1;
  }
  for (int i = 0; i + 1 < n; ++i) push(i);
  while (!m.heap.empty()) {
    const int rank = m.heap.front().first;
    m.batch.clear();
    while (!m.heap.empty() && m.heap.front().first == rank) {
      std::pop_heap(m.heap.begin(), m.heap.end(), by_rank);
      m.batch.push_back(m.heap.back().second);
      m.heap.pop_back();
    }
    for (int i : m.batch) {
      const int j = m.next[size_t(i)];
      if (j < 0) continue;  // merged away since it was pushed
      const BpeMerge* merge = find_merge(merges, m.id[size_t(i)], m.id[size_t(j)]);
      if (!merge || merge->rank != rank) continue;  // stale
      m.id[size_t(i)] = merge->merged;
      m.id[size_t(j)] = -1;
      m.next[size_t(i)] = m.next[size_t(j)];
      if (m.next[size_t(i)] >= 0) m.prev[size_t(m.next[size_t(i)])] = i;
      if (m.prev[size_t(i)] >= 0) push(m.prev[size_t(i)]);
      if (m.next[size_t(i)] >= 0) push(i);
    }
  }
  for (int i = 0; i >= 0; i = m.next[size_t(i)]) {
    const int end = m.next[size_t(i)] >= 0 ? m.next[size_t(i)] : n;
    out.ids.push_back(m.id[size_t(i)]);
    out.spans.push_back({piece.begin + i, piece.begin + end});
  }
}

}  // namespace llmsim
