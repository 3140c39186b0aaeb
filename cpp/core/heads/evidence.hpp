// Evidence for a head's label: the places in a text where the head does what its
// label says most strongly, as small snippets a reader can check with their own eyes
// (in the spirit of CircuitsVis and Neuroscope). For each query position the head's
// "key" depends on the label: the token just before for a previous-token head, the
// first token for a sink, otherwise the key it attends to most apart from the first
// token (which sinks and idle heads flood). The snippets are the queries where the
// weight on that key is largest, among the queries the pattern scores count (position
// kFirstScoredQuery on: the first few have too few keys to choose from).
#pragma once
#include <string>
#include <vector>

#include "heads/head_model.hpp"

namespace llmsim {

struct EvidenceSnippet {
  int sequence = 0;            // which sequence of the text it comes from
  int query = 0, key = 0;      // token positions in that sequence (BOS = 0)
  float weight = 0;            // the head's attention weight from query to key
  std::vector<int> positions;  // the positions shown: around the key, then up to the query
  std::vector<std::string> tokens;  // their tokens as the page shows them
};

enum class EvidenceKey { previous, first, strongest };
// previous-token -> previous, first-token sink -> first, every other label -> strongest.
EvidenceKey evidence_key(const std::string& label);

// keys[l][h] for every head; returns evidence[l][h], at most `count` snippets each,
// strongest first, each showing `context` tokens before the key (and the gap to a far
// query cut to its last `context` tokens before it). sequences: token ids, BOS first,
// each within the model's context.
std::vector<std::vector<std::vector<EvidenceSnippet>>> head_evidence(
    const HeadModel& model, const std::vector<std::vector<int>>& sequences,
    const std::vector<std::vector<EvidenceKey>>& keys, int count = 6, int context = 3);

}  // namespace llmsim
