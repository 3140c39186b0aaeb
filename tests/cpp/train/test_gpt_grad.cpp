// Every backward function of gpt_ops.hpp, and the whole model's backward, against
// central finite differences of the forward. The objective of a single op is
// L = Σ out ⊙ R with a fixed random R (so dL/dout = R), summed in double; inputs are
// float, so differences use a step of 1e-2 and tolerances that float rounding
// explains (a wrong gradient is off by its own size, orders of magnitude more).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "model/attention.hpp"
#include "model/gpt.hpp"
#include "model/gpt_ops.hpp"
#include "rng.hpp"
#include "grad_check.hpp"
#include "random_gpt.hpp"
#include "train/train.hpp"

using namespace llmsim;

namespace {

Matrix random_matrix(Rng& rng, int rows, int cols, float stddev = 1.0f) {
  return rng.normal_matrix(rows, cols, stddev);
}

}  // namespace

TEST_CASE("embedding backward matches finite differences") {
  Rng rng(1);
  const int B = 2, T = 3, V = 5, C = 4;
  const std::vector<int> ids = {1, 4, 1, 0, 1, 3};  // token 1 three times: its rows add up
  Matrix wte = random_matrix(rng, V, C), wpe = random_matrix(rng, T, C);
  const Matrix R = random_matrix(rng, B * T, C);
  Matrix out(B * T, C);
  auto f = [&] {
    embedding_forward(ids.data(), B, T, wte, wpe, out);
    return dot_sum(out, R);
  };
  Matrix dwte = Matrix::Zero(V, C), dwpe = Matrix::Zero(T, C);
  embedding_backward(ids.data(), B, T, R, dwte, dwpe);
  CHECK(check_gradient(wte.data(), dwte.data(), wte.size(), f).worst_error < 1);
  CHECK(check_gradient(wpe.data(), dwpe.data(), wpe.size(), f).worst_error < 1);
  // Independently: row 1 of dwte is the sum of R's rows 0, 2 and 4; row 2 is unused.
  CHECK((dwte.row(1) - (R.row(0) + R.row(2) + R.row(4))).norm() < 1e-6);
  CHECK(dwte.row(2).norm() == 0);
}

TEST_CASE("layernorm backward matches finite differences") {
  Rng rng(2);
  const int N = 5, C = 8;
  Matrix x = random_matrix(rng, N, C, 2.0f);
  x.row(1).array() += 3.0f;  // a row far from zero mean
  RowVector gain = RowVector::Ones(C) + 0.3f * rng.normal_matrix(1, C, 1.0f);
  RowVector bias = rng.normal_matrix(1, C, 0.5f);
  const Matrix R = random_matrix(rng, N, C);
  Matrix out(N, C);
  std::vector<float> mean(N), rstd(N);
  auto f = [&] {
    layernorm_forward(x, gain.data(), bias.data(), out, mean.data(), rstd.data());
    return dot_sum(out, R);
  };
  f();
  // The forward itself, by hand for row 0.
  const double m = x.row(0).cast<double>().mean();
  const double var = (x.row(0).cast<double>().array() - m).square().mean();
  for (int c = 0; c < C; ++c)
    CHECK(out(0, c) == Approx((x(0, c) - m) / std::sqrt(var + 1e-5) * gain(c) + bias(c)).margin(1e-5));

  Matrix dx = Matrix::Zero(N, C);
  RowVector dgain = RowVector::Zero(C), dbias = RowVector::Zero(C);
  layernorm_backward(R, x, gain.data(), mean.data(), rstd.data(), dx, dgain.data(), dbias.data());
  CHECK(check_gradient(x.data(), dx.data(), x.size(), f).worst_error < 1);
  CHECK(check_gradient(gain.data(), dgain.data(), C, f).worst_error < 1);
  CHECK(check_gradient(bias.data(), dbias.data(), C, f).worst_error < 1);
}

TEST_CASE("matmul backward matches finite differences, with and without bias") {
  Rng rng(3);
  const int N = 4, in = 6, out_dim = 5;
  Matrix inp = random_matrix(rng, N, in), w = random_matrix(rng, in, out_dim);
  RowVector bias = rng.normal_matrix(1, out_dim, 1.0f);
  const Matrix R = random_matrix(rng, N, out_dim);
  Matrix out(N, out_dim);
  for (const bool with_bias : {true, false}) {
    auto f = [&] {
      matmul_forward(inp, w, with_bias ? bias.data() : nullptr, out);
      return dot_sum(out, R);
    };
    Matrix dinp = Matrix::Zero(N, in), dw = Matrix::Zero(in, out_dim);
    RowVector dbias = RowVector::Zero(out_dim);
    matmul_backward(R, inp, w, dinp, dw, with_bias ? dbias.data() : nullptr);
    CHECK(check_gradient(inp.data(), dinp.data(), inp.size(), f).worst_error < 1);
    CHECK(check_gradient(w.data(), dw.data(), w.size(), f).worst_error < 1);
    if (with_bias) CHECK(check_gradient(bias.data(), dbias.data(), out_dim, f).worst_error < 1);
    else CHECK(dbias.norm() == 0);
  }
}

TEST_CASE("tied unembedding backward matches finite differences") {
  Rng rng(4);
  const int N = 3, C = 4, V = 6;
  Matrix x = random_matrix(rng, N, C), wte = random_matrix(rng, V, C);
  const Matrix R = random_matrix(rng, N, V);
  Matrix logits(N, V);
  auto f = [&] {
    unembedding_forward(x, wte, logits);
    return dot_sum(logits, R);
  };
  f();
  CHECK(logits(1, 2) == Approx(x.row(1).dot(wte.row(2))).margin(1e-5));
  Matrix dx = Matrix::Zero(N, C), dwte = Matrix::Zero(V, C);
  unembedding_backward(R, x, wte, dx, dwte);
  CHECK(check_gradient(x.data(), dx.data(), x.size(), f).worst_error < 1);
  CHECK(check_gradient(wte.data(), dwte.data(), wte.size(), f).worst_error < 1);
}

TEST_CASE("GELU forward matches the tanh formula and its backward finite differences") {
  Rng rng(5);
  Matrix x = random_matrix(rng, 3, 7, 2.0f);
  x(0, 0) = 0.0f;
  x(0, 1) = -5.0f;
  const Matrix R = random_matrix(rng, 3, 7);
  Matrix out(3, 7);
  auto f = [&] {
    gelu_forward(x, out);
    return dot_sum(out, R);
  };
  f();
  for (int i = 0; i < x.size(); ++i) {
    const double v = x.data()[i];
    const double expected = 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
    CHECK(out.data()[i] == Approx(expected).margin(1e-6));
  }
  Matrix dx = Matrix::Zero(3, 7);
  gelu_backward(R, x, dx);
  CHECK(check_gradient(x.data(), dx.data(), x.size(), f, 1e-3).worst_error < 1);
}

TEST_CASE("residual backward passes the gradient to both terms") {
  Rng rng(6);
  Matrix a = random_matrix(rng, 2, 3), b = random_matrix(rng, 2, 3), out(2, 3);
  const Matrix R = random_matrix(rng, 2, 3);
  auto f = [&] {
    residual_forward(a, b, out);
    return dot_sum(out, R);
  };
  Matrix da = Matrix::Zero(2, 3), db = Matrix::Zero(2, 3);
  residual_backward(R, da, db);
  CHECK(check_gradient(a.data(), da.data(), a.size(), f).worst_error < 1);
  CHECK(check_gradient(b.data(), db.data(), b.size(), f).worst_error < 1);
}

TEST_CASE("batched attention equals attention_forward, and its backward finite differences") {
  Rng rng(7);
  const int B = 2, T = 5, C = 8, H = 2;
  for (const bool causal : {true, false}) {
    const AttentionOptions options{true, causal};
    Matrix qkv = random_matrix(rng, B * T, 3 * C);
    const Matrix R = random_matrix(rng, B * T, C);
    Matrix att(B * H * T, T), out(B * T, C);
    AttentionScratch scratch;
    auto f = [&] {
      batched_attention_forward(qkv, B, T, H, options, att, out, scratch);
      return dot_sum(out, R);
    };
    f();
    // Same numbers as the page's attention_forward: qkv = x·[W_Q | W_K | W_V].
    AttentionWeights w{random_matrix(rng, C, C, 0.5f), random_matrix(rng, C, C, 0.5f),
                       random_matrix(rng, C, C, 0.5f), Matrix::Identity(C, C)};
    const Matrix x = random_matrix(rng, B * T, C);
    Matrix fused(C, 3 * C);
    fused << w.w_q, w.w_k, w.w_v;
    Matrix qkv2 = x * fused, att2(B * H * T, T), out2(B * T, C);
    batched_attention_forward(qkv2, B, T, H, options, att2, out2, scratch);
    for (int b = 0; b < B; ++b) {
      LayerTrace trace;
      attention_forward(x.middleRows(b * T, T), w, H, options, trace);
      CHECK((trace.concat - out2.middleRows(b * T, T)).cwiseAbs().maxCoeff() < 1e-5);
      for (int h = 0; h < H; ++h)
        CHECK((trace.heads[h].weights - att2.middleRows((b * H + h) * T, T)).cwiseAbs().maxCoeff() <
              1e-6);
    }
    Matrix dqkv = Matrix::Zero(B * T, 3 * C);
    batched_attention_backward(R, qkv, att, B, T, H, options, dqkv, scratch);
    const GradCheck check = check_gradient(qkv.data(), dqkv.data(), qkv.size(), f);
    CHECK(check.checked == B * T * 3 * C);
    CHECK(check.worst_error < 1);
    if (causal) {  // the first query sees only itself: its q cannot matter
      CHECK(dqkv.row(0).leftCols(C).norm() == 0);
    }
  }
}

TEST_CASE("cross-entropy forward is -log softmax, backward matches finite differences") {
  Rng rng(8);
  const int N = 4, V = 6;
  Matrix logits = random_matrix(rng, N, V, 3.0f);
  const std::vector<int> targets = {0, 5, 2, 2};
  Matrix probs(N, V);
  std::vector<float> losses(N);
  auto f = [&] { return cross_entropy_forward(logits, targets.data(), probs, losses.data()); };
  const double mean = f();
  double expected = 0;
  for (int n = 0; n < N; ++n) {
    double z = 0;
    for (int v = 0; v < V; ++v) z += std::exp(double(logits(n, v)));
    expected += -(double(logits(n, targets[n])) - std::log(z)) / N;
  }
  CHECK(mean == Approx(expected).epsilon(1e-6));
  Matrix dlogits = Matrix::Zero(N, V);
  cross_entropy_backward(probs, targets.data(), 1.0f / N, dlogits);
  CHECK(check_gradient(logits.data(), dlogits.data(), logits.size(), f, 1e-2, 1e-4).worst_error < 1);
}

namespace {

GptConfig tiny_config() { return gpt_config(7, 8, 2, 2, 6, 12); }

std::vector<int> random_ids(Rng& rng, size_t n, int vocab) {
  std::vector<int> ids(n);
  for (int& id : ids) id = int(rng.next_u64() % uint64_t(vocab));
  return ids;
}

// Weights larger than GPT-2's 0.02 so every path carries a gradient finite
// differences can see in float.
void randomise(GptTrainer& trainer, uint64_t seed) {
  Rng rng(seed);
  for (const ParameterInfo& p : trainer.layout()) {
    float* data = trainer.parameters().data() + p.offset;
    const bool gain = p.init == TensorInit::ones;
    for (int i = 0; i < p.rows * p.cols; ++i)
      data[i] = float((gain ? 1.0 : 0.0) + rng.normal() * (p.decay ? 0.3 : 0.1));
  }
}

}  // namespace

TEST_CASE("the whole model's backward matches finite differences of its loss") {
  const GptConfig config = tiny_config();
  const int B = 2, T = 6;
  GptTrainer trainer(config, B, T);
  randomise(trainer, 11);
  Rng rng(12);
  const std::vector<int> inputs = random_ids(rng, B * T, config.vocab_size);
  const std::vector<int> targets = random_ids(rng, B * T, config.vocab_size);
  trainer.forward(inputs.data(), targets.data());
  trainer.backward();
  const AlignedFloats analytic = trainer.gradients();
  auto f = [&] { return trainer.forward(inputs.data(), targets.data()); };
  for (const ParameterInfo& p : trainer.layout()) {
    INFO(p.name);
    const GradCheck check = check_gradient(trainer.parameters().data() + p.offset,
                                           analytic.data() + p.offset, size_t(p.rows) * p.cols, f,
                                           1e-2, 1e-4, 2e-2);
    CHECK(check.worst_error < 1);
    // Every tensor takes part: somewhere its gradient is far from zero.
    const Eigen::Map<const Eigen::ArrayXf> g(analytic.data() + p.offset, p.rows * p.cols);
    CHECK(g.abs().maxCoeff() > 1e-4);
  }
}

TEST_CASE("the training forward's loss equals the loss of the inference forward's logits") {
  const GptConfig config = tiny_config();
  const int B = 3, T = 6;
  GptTrainer trainer(config, B, T);
  randomise(trainer, 21);
  Rng rng(22);
  const std::vector<int> inputs = random_ids(rng, B * T, config.vocab_size);
  const std::vector<int> targets = random_ids(rng, B * T, config.vocab_size);
  const double training_loss = trainer.forward(inputs.data(), targets.data());

  const GptWeights weights = trainer.weights();
  double total = 0;
  for (int b = 0; b < B; ++b) {
    const std::vector<int> ids(inputs.begin() + b * T, inputs.begin() + (b + 1) * T);
    Trace trace;
    gpt_forward(config, weights, ids, ModelRun{}, trace);
    REQUIRE(trace.logits.rows() == T);
    REQUIRE(int(trace.layers.size()) == config.n_layer);
    for (int t = 0; t < T; ++t) {  // −log softmax, in double, from the logits alone
      const auto row = trace.logits.row(t).cast<double>();
      const double max = row.maxCoeff();
      const double log_z = max + std::log((row.array() - max).exp().sum());
      total += log_z - row(targets[b * T + t]);
    }
  }
  CHECK(training_loss == Approx(total / (B * T)).epsilon(1e-5));
  CHECK(training_loss > 0.5);  // not a degenerate zero
}
