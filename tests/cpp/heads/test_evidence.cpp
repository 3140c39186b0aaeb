// Evidence snippets (heads/evidence.hpp): each one is a real (query, key, weight) of the
// head's run, the strongest first, with the key the label asks for.
#include <catch2/catch.hpp>
#include <algorithm>

#include "heads/evidence.hpp"
#include "heads/gpt_head_model.hpp"
#include "heads/pattern_scores.hpp"
#include "random_gpt.hpp"

using namespace llmsim;

TEST_CASE("evidence: the strongest places of each head's pattern, read back from its run") {
  const Gpt gpt = random_gpt(21);
  const HeadModel model = gpt_head_model(gpt);
  const std::vector<std::vector<int>> sequences = {
      model.encode("the cat sat on the mat and the dog sat on the rug").ids,
      model.encode("a bird flew over the house").ids};
  std::vector<std::vector<EvidenceKey>> keys(2, std::vector<EvidenceKey>(4, EvidenceKey::strongest));
  keys[0][1] = EvidenceKey::previous;
  keys[1][2] = EvidenceKey::first;
  const auto evidence = head_evidence(model, sequences, keys, 5, 2);
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 4; ++h) {
      INFO("head " << l << "." << h);
      const auto& snippets = evidence[l][h];
      REQUIRE(snippets.size() == 5);
      for (size_t k = 0; k < snippets.size(); ++k) {
        const EvidenceSnippet& e = snippets[k];
        // the weight is the head's own, on a fresh run of that sequence
        Trace trace;
        model.forward(sequences[e.sequence], {}, trace);
        const Matrix& w = trace.layers[l].heads[h].weights;
        CHECK(e.weight == w(e.query, e.key));
        if (keys[l][h] == EvidenceKey::previous) CHECK(e.key == e.query - 1);
        if (keys[l][h] == EvidenceKey::first) CHECK(e.key == 0);
        if (keys[l][h] == EvidenceKey::strongest) {
          CHECK(e.key >= 1);
          for (int j = 1; j <= e.query; ++j) CHECK(w(e.query, j) <= e.weight);
        }
        if (k > 0) CHECK(snippets[k - 1].weight >= e.weight);  // strongest first
        CHECK(e.query >= kFirstScoredQuery);
        // the snippet shows the key and the query, with their tokens
        CHECK(std::find(e.positions.begin(), e.positions.end(), e.key) != e.positions.end());
        CHECK(e.positions.back() == e.query);
        REQUIRE(e.tokens.size() == e.positions.size());
        CHECK(e.tokens.back() == gpt.tokenizer().token_display(sequences[e.sequence][e.query]));
      }
      // nothing stronger was left out: every query's weight on its key is at most the last kept
      for (int s = 0; s < 2; ++s) {
        Trace trace;
        model.forward(sequences[s], {}, trace);
        const Matrix& w = trace.layers[l].heads[h].weights;
        for (int i = kFirstScoredQuery; i < int(sequences[s].size()); ++i) {
          const bool listed = std::any_of(snippets.begin(), snippets.end(),
                                          [&](const EvidenceSnippet& e) { return e.sequence == s && e.query == i; });
          if (listed || keys[l][h] != EvidenceKey::previous) continue;
          CHECK(w(i, i - 1) <= snippets.back().weight);
        }
      }
    }
  CHECK(evidence_key("previous-token") == EvidenceKey::previous);
  CHECK(evidence_key("first-token sink") == EvidenceKey::first);
  CHECK(evidence_key("syntactic") == EvidenceKey::strongest);
}
