// Head ablation through the GPT's forward pass, and the head analysis on a GPT.
#include <catch2/catch.hpp>

#include "error.hpp"
#include "heads/analysis.hpp"
#include "heads/gpt_head_model.hpp"
#include "model/gpt.hpp"
#include "model/softmax.hpp"
#include "random_gpt.hpp"
#include "rng.hpp"
#include "text/bpe_tokenizer.hpp"

using namespace llmsim;

namespace {

HeadAblations all_heads_of_layer(const GptConfig& c, int layer, bool on) {
  HeadAblations a(c.n_layer, std::vector<HeadAblation>(c.n_head));
  for (HeadAblation& h : a[layer]) h.ablated = on;
  return a;
}

}  // namespace

TEST_CASE("GPT: ablating no head changes nothing, bit for bit") {
  const Gpt gpt = random_gpt(3);
  const Trace plain = gpt.run("The cat sat on the mat.");
  ModelRun none;
  none.ablation = all_heads_of_layer(gpt.config(), 0, false);  // every entry present, all off
  const Trace same = gpt.run("The cat sat on the mat.", none);
  CHECK(same.logits == plain.logits);
  for (int l = 0; l < gpt.config().n_layer; ++l) {
    CHECK(same.layers[l].output == plain.layers[l].output);
    for (int h = 0; h < gpt.config().n_head; ++h)
      CHECK(same.layers[l].heads[h].weights == plain.layers[l].heads[h].weights);
  }
}

TEST_CASE("GPT: zero-ablating every head of a layer equals removing that layer's attention") {
  // Independent reference: the same weights with that layer's W_O set to zero, so its
  // attention adds exactly nothing to the residual stream.
  const Gpt gpt = random_gpt(4);
  const std::string text = "Tom saw a red ball and a blue kite.";
  for (int layer = 0; layer < gpt.config().n_layer; ++layer) {
    INFO("layer " << layer);
    ModelRun ablate;
    ablate.ablation = all_heads_of_layer(gpt.config(), layer, true);
    const Trace ablated = gpt.run(text, ablate);

    GptWeights removed = gpt.weights();
    removed.blocks[layer].attn.w_o.setZero();
    const Trace reference = Gpt(gpt.config(), removed, gpt.shared_tokenizer()).run(text);
    CHECK(ablated.logits == reference.logits);  // x + 0 either way: bit for bit
    CHECK(ablated.layers[layer].output.isZero(0));
    CHECK(ablated.logits != gpt.run(text).logits);  // and the layer did matter
  }
}

TEST_CASE("GPT: ablating one head changes the layer's output by exactly its share of W_O") {
  const Gpt gpt = random_gpt(5);
  const std::string text = "The dog ran to the park.";
  const Trace plain = gpt.run(text);
  HeadAblations a = all_heads_of_layer(gpt.config(), 1, false);
  a[1][2].ablated = true;
  ModelRun options;
  options.ablation = a;
  const Trace ablated = gpt.run(text, options);
  // Layer 0 is upstream and untouched; layer 1's output loses head 2's term
  // output_2 · W_O[rows 8..11] (d_k = 4).
  CHECK(ablated.layers[0].output == plain.layers[0].output);
  const Matrix& w_o = gpt.weights().blocks[1].attn.w_o;
  const Matrix expected = plain.layers[1].output - plain.layers[1].heads[2].output * w_o.middleRows(8, 4);
  CHECK((ablated.layers[1].output - expected).cwiseAbs().maxCoeff() < 1e-5f);
}

TEST_CASE("GPT: the head analysis runs through gpt_head_model and gives the same JSON twice") {
  const Gpt gpt = random_gpt(6);
  const HeadModel model = gpt_head_model(gpt);
  const std::string syntax = "The little cat sat on the mat. | det The cat, amod little cat, "
                             "nsubj cat sat, pobj on mat, det the mat\n"
                             "Tom found a box in the garden. | dobj found box, det a box\n";
  const std::string semantic = "Tom had a [red:colour] ball and a [blue:colour] kite.\n"
                               "The [cat:animal] and the [dog:animal] played.\n";
  const Probes probes = parse_probes(syntax, semantic, "One day a girl found a ball.\n\nThe end.");
  HeadAnalysisOptions options;
  options.induction.induction_length = 20;
  options.induction.induction_repeats = 2;
  const auto first = head_reports_to_json(analyse_heads(model, probes, "The cat sat.", options));
  const auto second = head_reports_to_json(analyse_heads(model, probes, "The cat sat.", options));
  CHECK(first.dump() == second.dump());
  REQUIRE(first.size() == 8);
  for (const auto& head : first) {
    CHECK(head.at("label").get<std::string>() != "");
    CHECK(head.at("entropy").get<double>() >= 0.0);
    CHECK(head.at("entropy").get<double>() <= 1.0);
  }

  // The loss the analysis uses is the GPT's own next-token loss.
  const Trace t = gpt.run("One day a girl found a ball.");
  CHECK(mean_loss(model, {"One day a girl found a ball."}, {}) ==
        Approx(next_token_loss(t.logits, t.ids)).epsilon(1e-12));
}
