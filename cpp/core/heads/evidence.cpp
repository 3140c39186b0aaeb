#include "heads/evidence.hpp"

#include <algorithm>

#include "heads/pattern_scores.hpp"  // kFirstScoredQuery

namespace llmsim {

EvidenceKey evidence_key(const std::string& label) {
  if (label == "previous-token") return EvidenceKey::previous;
  if (label == "first-token sink") return EvidenceKey::first;
  return EvidenceKey::strongest;
}

// The key a query i >= 1 is measured on, for a head of weights w [T, T].
static int key_of(const Matrix& w, int i, EvidenceKey kind) {
  switch (kind) {
    case EvidenceKey::previous: return i - 1;
    case EvidenceKey::first: return 0;
    case EvidenceKey::strongest: break;
  }
  int best = 1;  // keys 1..i: the first token is left to the sink's evidence
  for (int j = 2; j <= i; ++j)
    if (w(i, j) > w(i, best)) best = j;
  return best;
}

// Positions shown for a (query, key): `context` before the key, the key, and the
// tokens up to the query, the gap cut when the query is far from the key.
static std::vector<int> shown_positions(int query, int key, int context) {
  std::vector<int> positions;
  const int first = std::max(0, key - context);
  const int gap_end = std::max(key + 1, query - context);  // positions (key, gap_end) are cut
  for (int p = first; p <= key; ++p) positions.push_back(p);
  for (int p = key + 1; p <= query; ++p)
    if (p >= gap_end) positions.push_back(p);
  return positions;
}

std::vector<std::vector<std::vector<EvidenceSnippet>>> head_evidence(
    const HeadModel& model, const std::vector<std::vector<int>>& sequences,
    const std::vector<std::vector<EvidenceKey>>& keys, int count, int context) {
  std::vector<std::vector<std::vector<EvidenceSnippet>>> evidence(
      model.n_layer, std::vector<std::vector<EvidenceSnippet>>(model.n_head));
  Trace trace;
  for (int s = 0; s < int(sequences.size()); ++s) {
    const std::vector<int>& ids = sequences[s];
    const int T = int(ids.size());
    if (T < 2) continue;
    model.forward(ids, {}, trace);
    for (int l = 0; l < model.n_layer; ++l)
      for (int h = 0; h < model.n_head; ++h) {
        const Matrix& w = trace.layers.at(l).heads.at(h).weights;  // [T, T]
        std::vector<EvidenceSnippet>& best = evidence[l][h];
        for (int i = kFirstScoredQuery; i < T; ++i) {
          const int j = key_of(w, i, keys.at(l).at(h));
          EvidenceSnippet e;
          e.sequence = s;
          e.query = i;
          e.key = j;
          e.weight = w(i, j);
          // keep the `count` strongest so far (ties: the earlier place)
          if (int(best.size()) == count && !(e.weight > best.back().weight)) continue;
          best.insert(std::upper_bound(best.begin(), best.end(), e,
                                       [](const EvidenceSnippet& a, const EvidenceSnippet& b) {
                                         return a.weight > b.weight;
                                       }),
                      e);
          if (int(best.size()) > count) best.pop_back();
        }
      }
  }
  for (auto& layer : evidence)
    for (auto& head : layer)
      for (EvidenceSnippet& e : head) {
        e.positions = shown_positions(e.query, e.key, context);
        for (int p : e.positions) {
          const int id = sequences[e.sequence][p];
          e.tokens.push_back(model.token_text ? model.token_text(id) : "#" + std::to_string(id));
        }
      }
  return evidence;
}

}  // namespace llmsim
