// The token cap: how many tokens a run keeping the full Trace reads (model/token_cap.hpp).
#include <catch2/catch.hpp>

#include "../random_gpt.hpp"
#include "model/token_cap.hpp"

using namespace llmsim;

namespace {

// The floats a real Trace holds, counted matrix by matrix (independent of the formula).
uint64_t floats_held(const Trace& trace) {
  uint64_t n = uint64_t(trace.logits.size());
  for (const LayerTrace& layer : trace.layers) {
    n += uint64_t(layer.input.size() + layer.concat.size() + layer.output.size());
    for (const HeadTrace& h : layer.heads)
      n += uint64_t(h.q.size() + h.k.size() + h.v.size() + h.scores.size() + h.scaled.size() +
                    h.weights.size() + h.output.size() + h.contributions.size());
  }
  return n;
}

}  // namespace

TEST_CASE("trace_bytes counts what a run's Trace holds, plus one block's activations", "[token-cap]") {
  const Gpt gpt = random_gpt(3);
  const GptConfig& c = gpt.config();
  for (const std::string text : {"a", "hello there", "the cat sat on the mat because it was tired"}) {
    const Trace trace = gpt.run(text, ModelRun{});
    const int T = int(trace.ids.size());
    const uint64_t activations = 6 * uint64_t(T) * c.d_model + 2 * uint64_t(T) * c.d_ff;
    CHECK(trace_bytes(c, T) == sizeof(float) * (floats_held(trace) + activations));
  }
}

TEST_CASE("token_cap: the context for small models, 384 for GPT-2 small, 192 for gpt2-medium", "[token-cap]") {
  // The project's models: the whole context fits.
  CHECK(token_cap(gpt_config(512, 192, 3, 3, 256, 768)) == 256);
  CHECK(token_cap(random_gpt(1).config()) == 96);
  // GPT-2 small (12 layers of 12 heads, d 768, 50,257 tokens, context 1,024), by hand:
  // at T = 384, 12 · (4·12·384² + 7·384·768) + 384·50,257 + 6·384·768 + 2·384·3,072
  // = 133,134,720 floats = 532.5 MB, inside 512 MiB (536.9 MB); at 448, 687 MB.
  const GptConfig gpt2 = gpt_config(50257, 768, 12, 12, 1024, 3072);
  CHECK(trace_bytes(gpt2, 384) == uint64_t(133134720) * 4);
  CHECK(token_cap(gpt2) == 384);
  CHECK(trace_bytes(gpt2, 1024) > uint64_t(2500) << 20);  // why there is a cap at all
  // gpt2-medium (24 layers of 16 heads, d 1,024): 192.
  CHECK(token_cap(gpt_config(50257, 1024, 24, 16, 1024, 4096)) == 192);
  // A budget below even 64 tokens' Trace still leaves 64.
  CHECK(token_cap(gpt2, 1) == 64);
}

TEST_CASE("a run keeping the head matrices reads at most token_cap tokens, and says so", "[token-cap]") {
  const Gpt gpt = random_gpt(5);  // context 96; one byte a token
  const std::string text(200, 'x');
  ModelRun run;
  run.trace_budget = trace_bytes(gpt.config(), 64);  // the cap becomes 64
  const Trace capped = gpt.run(text, run);
  CHECK(capped.ids.size() == 64);
  CHECK(capped.n_input_tokens == 201);
  CHECK(capped.warning.find("the cap for a model of this size") != std::string::npos);
  CHECK(capped.warning.find("only the first 64") != std::string::npos);
  // The default budget: the context (96) is the limit, worded as before.
  const Trace full = gpt.run(text, ModelRun{});
  CHECK(full.ids.size() == 96);
  CHECK(full.warning.find("the model's context") != std::string::npos);
  // Without the head matrices (the loss over a long text) the cap does not apply.
  run.attention.store_head_matrices = false;
  CHECK(gpt.run(text, run).ids.size() == 96);
}
