// The trainer around the gradients: learning-rate schedule, AdamW, data sampling,
// determinism, and that training actually learns.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "error.hpp"
#include "rng.hpp"
#include "train.hpp"

using namespace llmsim;

namespace {

GptConfig tiny_config(int vocab = 9) {
  GptConfig c;
  c.vocab_size = vocab;
  c.d_model = 16;
  c.n_layer = 2;
  c.n_head = 2;
  c.context = 8;
  c.d_ff = 32;
  return c;
}

std::vector<int> random_stream(uint64_t seed, size_t n, int vocab) {
  Rng rng(seed);
  std::vector<int> s(n);
  for (int& id : s) id = 1 + int(rng.next_u64() % uint64_t(vocab - 1));  // 0 is BOS
  return s;
}

}  // namespace

TEST_CASE("learning rate: linear warmup, then cosine from max to min") {
  CHECK(learning_rate_at(0, 100, 10, 1.0f, 0.1f) == Approx(0.1f));
  CHECK(learning_rate_at(4, 100, 10, 1.0f, 0.1f) == Approx(0.5f));
  CHECK(learning_rate_at(10, 100, 10, 1.0f, 0.1f) == Approx(1.0f));
  CHECK(learning_rate_at(55, 100, 10, 1.0f, 0.1f) == Approx(0.55f));  // half-way: the mean
  CHECK(learning_rate_at(100, 100, 10, 1.0f, 0.1f) == Approx(0.1f));
  CHECK(learning_rate_at(99, 100, 10, 1.0f, 0.1f) > 0.1f);
}

TEST_CASE("one AdamW step moves each weight by lr·(sign(g) + wd·w), decay only on matrices") {
  // At step 1 the bias-corrected moments are m̂ = g and v̂ = g², so the Adam step is
  // g/(|g| + eps) ≈ sign(g), whatever the size of g.
  GptTrainer trainer(tiny_config(), 2, 8);
  trainer.init_weights(3);
  const std::vector<int> stream = random_stream(4, 64, 9);
  std::vector<int> inputs(16), targets(16);
  SequenceSampler(stream, {}, 0, 8, 5).sample(2, inputs.data(), targets.data());
  trainer.forward(inputs.data(), targets.data());
  trainer.backward();
  const AlignedFloats before = trainer.parameters(), g = trainer.gradients();
  AdamWOptions o;
  o.weight_decay = 0.5f;
  const float lr = 0.01f;
  trainer.adamw_update(lr, o, 1);
  int checked = 0;
  for (const ParameterInfo& p : trainer.layout())
    for (size_t i = p.offset; i < p.offset + size_t(p.rows) * p.cols; i += 7) {
      const double step = g[i] / (std::abs(double(g[i])) + 1e-8);
      const double expected = before[i] - lr * (step + (p.decay ? 0.5 : 0.0) * before[i]);
      CHECK(trainer.parameters()[i] == Approx(expected).margin(1e-6));
      ++checked;
    }
  CHECK(checked > 100);
}

TEST_CASE("sampled sequences start with BOS and predict the next token of the stream") {
  std::vector<int> stream(100);
  for (int i = 0; i < 100; ++i) stream[i] = 1 + i;  // the token is its position + 1
  const std::vector<size_t> doc_starts = {0, 40, 95 /* too late to fill a sequence */};
  SequenceSampler sampler(stream, doc_starts, 0, 8, 9);
  std::vector<int> in(8 * 20), out(8 * 20);
  sampler.sample(20, in.data(), out.data());
  for (int b = 0; b < 20; ++b) {
    CHECK(in[b * 8] == 0);
    for (int t = 1; t < 8; ++t) CHECK(in[b * 8 + t] == out[b * 8 + t - 1]);
    for (int t = 1; t < 8; ++t) CHECK(out[b * 8 + t] == out[b * 8 + t - 1] + 1);  // contiguous
    if (b % 2 == 0) CHECK((out[b * 8] == 1 || out[b * 8] == 41));  // a document's first token
  }
  CHECK_THROWS_AS(SequenceSampler(std::vector<int>(5, 1), {}, 0, 8, 1), Error);
}

TEST_CASE("repeated random runs: BOS, then R over and over, the targets shifted by one") {
  std::vector<int> stream(100, 7);  // natural text is all 7s, so a run is easy to tell apart
  RepeatedRuns runs;
  runs.fraction = 0.5;
  runs.vocab_size = 50;
  runs.min_length = 3;
  runs.max_length = 5;
  SequenceSampler sampler(stream, {}, 0, 16, 11, runs);
  std::vector<int> in(16 * 200), out(16 * 200);
  sampler.sample(200, in.data(), out.data());
  int synthetic = 0;
  for (int b = 0; b < 200; ++b) {
    const int* x = &in[b * 16];
    const int* y = &out[b * 16];
    CHECK(x[0] == 0);
    for (int t = 1; t < 16; ++t) CHECK(x[t] == y[t - 1]);
    if (std::all_of(y, y + 16, [](int id) { return id == 7; })) continue;
    ++synthetic;
    // The period n is the smallest shift under which the targets repeat.
    int n = 1;
    while (n < 16 && !std::equal(y + n, y + 16, y)) ++n;
    CHECK(n >= 3);
    CHECK(n <= 5);
    for (int t = 0; t < 16; ++t) CHECK((y[t] > 0 && y[t] < 50));  // never BOS, inside the vocabulary
  }
  CHECK(synthetic > 70);  // about half of 200
  CHECK(synthetic < 130);
  runs.fraction = 1.5;
  CHECK_THROWS_AS(SequenceSampler(stream, {}, 0, 16, 1, runs), Error);
}

TEST_CASE("consecutive sequences tile the stream, BOS first, tail dropped") {
  std::vector<int> stream = {5, 6, 7, 8, 9, 10, 11};
  std::vector<int> in, out;
  CHECK(consecutive_sequences(stream, 0, 3, in, out) == 2);
  CHECK(in == std::vector<int>{0, 5, 6, 0, 8, 9});
  CHECK(out == std::vector<int>{5, 6, 7, 8, 9, 10});
}

TEST_CASE("training is bit-for-bit deterministic for a seed") {
  const GptConfig config = tiny_config();
  const std::vector<int> train = random_stream(1, 500, 9), val = random_stream(2, 100, 9);
  TrainOptions o;
  o.steps = 6;
  o.batch_size = 4;
  o.warmup = 2;
  o.eval_every = 3;
  o.seed = 7;
  const TrainResult a = train_gpt(config, o, train, {}, val, 0);
  const TrainResult b = train_gpt(config, o, train, {}, val, 0);
  o.seed = 8;
  const TrainResult c = train_gpt(config, o, train, {}, val, 0);
  const auto same = [](const Matrix& x, const Matrix& y) {
    return x.size() == y.size() && std::memcmp(x.data(), y.data(), sizeof(float) * x.size()) == 0;
  };
  CHECK(same(a.weights.tok_emb, b.weights.tok_emb));
  CHECK(same(a.weights.blocks[1].fc_weight, b.weights.blocks[1].fc_weight));
  CHECK(same(a.weights.blocks[0].attn.w_q, b.weights.blocks[0].attn.w_q));
  CHECK(a.final_val_loss == b.final_val_loss);
  CHECK_FALSE(same(a.weights.tok_emb, c.weights.tok_emb));
  REQUIRE(a.curve.size() == 6);
  CHECK(a.curve[2].val_loss > 0);
  CHECK(a.curve[1].val_loss == -1);
}

TEST_CASE("training learns a repeating pattern far below the uniform loss") {
  // The stream repeats 1..7; after BOS the next token is always determined by the
  // previous one, so a model that learns gets a loss near 0 (uniform: ln 9 = 2.2).
  std::vector<int> stream(2000);
  for (size_t i = 0; i < stream.size(); ++i) stream[i] = 1 + int(i % 7);
  TrainOptions o;
  o.steps = 150;
  o.batch_size = 8;
  o.warmup = 10;
  o.max_lr = 1e-2f;
  o.min_lr = 1e-3f;
  o.eval_every = 150;
  const TrainResult r = train_gpt(tiny_config(), o, stream, {}, stream, 0);
  CHECK(r.curve.front().loss > 2.0);
  CHECK(r.final_val_loss < 0.35);  // only the first token after BOS stays uncertain
}
