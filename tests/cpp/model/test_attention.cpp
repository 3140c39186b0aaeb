#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "error.hpp"
#include "model/attention.hpp"
#include "rng.hpp"

using namespace llmsim;

static AttentionWeights identity_weights(int d) {
  const Matrix eye = Matrix::Identity(d, d);
  return {eye, eye, eye, eye};
}

TEST_CASE("3 tokens, d_k = 2, one head: the hand computation") {
  // x = [[1,0],[0,1],[1,1]] and every W is the identity, so q = k = v = x.
  // scores = x·xᵀ = [[1,0,1],[0,1,1],[1,1,2]]; scale = 1/sqrt(2) = 0.70710678.
  // Causal rows:
  //   row 0 sees key 0 only:             weights [1, 0, 0]
  //   row 1 sees scaled [0, 0.70710678]: e^0 = 1, e^0.70710678 = 2.02811498, sum 3.02811498
  //                                      weights [0.33023845, 0.66976155, 0]
  //   row 2 sees scaled [0.7071, 0.7071, 1.41421356]; minus the max: [-0.7071, -0.7071, 0]
  //                                      e^-0.70710678 = 0.49306869, sum 1.98613738
  //                                      weights [0.24825507, 0.24825507, 0.50348986]
  // outputs = weights·v: [1, 0], [0.33023845, 0.66976155], [0.75174493, 0.75174493]
  Matrix x(3, 2);
  x << 1, 0, 0, 1, 1, 1;
  LayerTrace trace;
  const Matrix out = attention_forward(x, identity_weights(2), 1, AttentionOptions{}, trace);
  const HeadTrace& h = trace.heads.at(0);

  const float expected_scores[3][3] = {{1, 0, 0}, {0, 1, 0}, {1, 1, 2}};  // masked entries 0
  const float expected_weights[3][3] = {
      {1, 0, 0}, {0.33023845f, 0.66976155f, 0}, {0.24825507f, 0.24825507f, 0.50348986f}};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      CHECK(h.scores(i, j) == expected_scores[i][j]);
      CHECK(h.weights(i, j) == Approx(expected_weights[i][j]).margin(1e-6));
    }
  const float expected_out[3][2] = {{1, 0}, {0.33023845f, 0.66976155f}, {0.75174493f, 0.75174493f}};
  for (int i = 0; i < 3; ++i)
    for (int c = 0; c < 2; ++c) CHECK(out(i, c) == Approx(expected_out[i][c]).margin(1e-6));
}

TEST_CASE("without the causal mask the same example attends everywhere") {
  // Row 0 scaled [0.7071, 0, 0.7071]: e^0.7071 = 2.02811498 twice and 1, sum 5.05622996
  //   weights [0.40111209, 0.19777581, 0.40111209]
  Matrix x(3, 2);
  x << 1, 0, 0, 1, 1, 1;
  LayerTrace trace;
  attention_forward(x, identity_weights(2), 1, AttentionOptions{true, false}, trace);
  const HeadTrace& h = trace.heads[0];
  CHECK(h.scores(0, 2) == 1.0f);
  CHECK(h.weights(0, 0) == Approx(0.40111209f).margin(1e-6));
  CHECK(h.weights(0, 1) == Approx(0.19777581f).margin(1e-6));
  CHECK(h.weights(0, 2) == Approx(0.40111209f).margin(1e-6));
}

struct RandomLayer {
  int T = 7, d_model = 16, n_head = 4;
  Matrix x;
  AttentionWeights w;
  RandomLayer() {
    Rng rng(11);
    x = rng.normal_matrix(T, d_model, 1.0f);
    w = {rng.normal_matrix(d_model, d_model, 0.25f), rng.normal_matrix(d_model, d_model, 0.25f),
         rng.normal_matrix(d_model, d_model, 0.25f), rng.normal_matrix(d_model, d_model, 0.25f)};
  }
};

TEST_CASE("every row of weights sums to 1 and causal entries above the diagonal are exactly 0") {
  RandomLayer L;
  LayerTrace trace;
  attention_forward(L.x, L.w, L.n_head, AttentionOptions{}, trace);
  REQUIRE(trace.heads.size() == 4);
  for (const HeadTrace& h : trace.heads)
    for (int i = 0; i < L.T; ++i) {
      CHECK(h.weights.row(i).sum() == Approx(1.0f).epsilon(1e-6));
      for (int j = i + 1; j < L.T; ++j) CHECK(h.weights(i, j) == 0.0f);
    }
}

TEST_CASE("scaling on/off changes the scaled scores by exactly sqrt(d_k)") {
  RandomLayer L;  // d_k = 4, so 1/sqrt(d_k) = 0.5 is exact in float
  LayerTrace on, off;
  attention_forward(L.x, L.w, L.n_head, AttentionOptions{true, true}, on);
  attention_forward(L.x, L.w, L.n_head, AttentionOptions{false, true}, off);
  for (int h = 0; h < L.n_head; ++h) {
    CHECK(on.heads[h].scores == off.heads[h].scores);  // raw q·k does not depend on the switch
    CHECK(off.heads[h].scaled == off.heads[h].scores);
    CHECK(Matrix(on.heads[h].scaled * 2.0f) == off.heads[h].scaled);  // exactly sqrt(4)
  }
}

TEST_CASE("concat shape and the W_O product match a plain-loop reference") {
  RandomLayer L;
  LayerTrace trace;
  const Matrix out = attention_forward(L.x, L.w, L.n_head, AttentionOptions{}, trace);
  const int T = L.T, D = L.d_model, dk = D / L.n_head;
  REQUIRE(trace.concat.rows() == T);
  REQUIRE(trace.concat.cols() == D);
  REQUIRE(out.rows() == T);
  REQUIRE(out.cols() == D);

  // Reference in double with plain loops: project, score, softmax, mix, concat, W_O.
  auto project = [&](const Matrix& W) {
    std::vector<std::vector<double>> r(T, std::vector<double>(D, 0.0));
    for (int t = 0; t < T; ++t)
      for (int c = 0; c < D; ++c)
        for (int i = 0; i < D; ++i) r[t][c] += double(L.x(t, i)) * W(i, c);
    return r;
  };
  const auto q = project(L.w.w_q), k = project(L.w.w_k), v = project(L.w.w_v);
  std::vector<std::vector<double>> concat(T, std::vector<double>(D, 0.0));
  for (int h = 0; h < L.n_head; ++h)
    for (int i = 0; i < T; ++i) {
      std::vector<double> s(i + 1);
      double max = -1e300, sum = 0;
      for (int j = 0; j <= i; ++j) {
        double dot = 0;
        for (int c = 0; c < dk; ++c) dot += q[i][h * dk + c] * k[j][h * dk + c];
        s[j] = dot / std::sqrt(double(dk));
        max = std::max(max, s[j]);
      }
      for (int j = 0; j <= i; ++j) sum += (s[j] = std::exp(s[j] - max));
      for (int j = 0; j <= i; ++j)
        for (int c = 0; c < dk; ++c) concat[i][h * dk + c] += s[j] / sum * v[j][h * dk + c];
    }
  for (int t = 0; t < T; ++t)
    for (int c = 0; c < D; ++c) {
      CHECK(trace.concat(t, c) == Approx(concat[t][c]).margin(1e-5));
      double o = 0;
      for (int i = 0; i < D; ++i) o += concat[t][i] * L.w.w_o(i, c);
      CHECK(out(t, c) == Approx(o).margin(1e-4));
    }
}

TEST_CASE("a d_model not divisible by n_head is an Error, not a crash") {
  RandomLayer L;
  LayerTrace trace;
  CHECK_THROWS_AS(attention_forward(L.x, L.w, 3, AttentionOptions{}, trace), Error);
}

TEST_CASE("ablating a head replaces its output by zeros or by the given vector, and nothing else") {
  RandomLayer L;
  LayerTrace plain, ablated;
  const Matrix out = attention_forward(L.x, L.w, L.n_head, AttentionOptions{}, plain);
  std::vector<HeadAblation> none(L.n_head);
  LayerTrace untouched;
  CHECK(attention_forward(L.x, L.w, L.n_head, AttentionOptions{}, untouched, &none) == out);  // bit for bit

  std::vector<HeadAblation> knock(L.n_head);
  knock[1].ablated = true;                       // zero ablation
  knock[3].ablated = true;
  knock[3].replacement = RowVector::Constant(4, 0.5f);  // mean ablation with a given vector
  const Matrix changed = attention_forward(L.x, L.w, L.n_head, AttentionOptions{}, ablated, &knock);
  CHECK(ablated.heads[1].output.isZero(0));
  CHECK((ablated.heads[3].output.array() == 0.5f).all());
  CHECK(ablated.heads[0].output == plain.heads[0].output);
  CHECK(ablated.heads[1].weights == plain.heads[1].weights);  // the pattern is still traced
  // The result is concat · W_O with the replaced columns.
  Matrix concat = plain.concat;
  concat.middleCols(4, 4).setZero();
  concat.middleCols(12, 4).setConstant(0.5f);
  CHECK((changed - concat * L.w.w_o).cwiseAbs().maxCoeff() < 1e-5f);
}

// GPT-2's attention has biases on Q, K, V and the output projection.
static AttentionWeights with_biases(AttentionWeights w, int d_model, uint64_t seed) {
  Rng rng(seed);
  w.b_q = rng.normal_matrix(1, d_model, 0.5f);
  w.b_k = rng.normal_matrix(1, d_model, 0.5f);
  w.b_v = rng.normal_matrix(1, d_model, 0.5f);
  w.b_o = rng.normal_matrix(1, d_model, 0.5f);
  return w;
}

TEST_CASE("attention biases: the traced Q, K, V include them and the output adds b_O") {
  RandomLayer L;
  const AttentionWeights w = with_biases(L.w, L.d_model, 21);
  LayerTrace trace;
  const Matrix out = attention_forward(L.x, w, L.n_head, AttentionOptions{}, trace);
  const int dk = L.d_model / L.n_head;
  const Matrix q = (L.x * w.w_q).rowwise() + w.b_q, k = (L.x * w.w_k).rowwise() + w.b_k,
               v = (L.x * w.w_v).rowwise() + w.b_v;
  for (int h = 0; h < L.n_head; ++h) {
    CHECK((trace.heads[h].q - q.middleCols(h * dk, dk)).cwiseAbs().maxCoeff() < 1e-6f);
    CHECK((trace.heads[h].k - k.middleCols(h * dk, dk)).cwiseAbs().maxCoeff() < 1e-6f);
    CHECK((trace.heads[h].v - v.middleCols(h * dk, dk)).cwiseAbs().maxCoeff() < 1e-6f);
  }
  const Matrix expected = (trace.concat * w.w_o).rowwise() + w.b_o;
  CHECK((out - expected).cwiseAbs().maxCoeff() < 1e-6f);
  // and they change what the heads do (a bias on K alone would not: softmax ignores
  // a constant added to a whole row, which q·b_k is)
  LayerTrace plain;
  attention_forward(L.x, L.w, L.n_head, AttentionOptions{}, plain);
  CHECK((plain.heads[0].weights - trace.heads[0].weights).cwiseAbs().maxCoeff() > 1e-3f);
}

TEST_CASE("attention biases: the KV cache gives what a full pass gives") {
  RandomLayer L;
  const AttentionWeights w = with_biases(L.w, L.d_model, 22);
  LayerTrace full, cached;
  attention_forward(L.x, w, L.n_head, AttentionOptions{}, full);
  attention_forward(L.x.topRows(3), w, L.n_head, AttentionOptions{}, cached);
  const Matrix rest = attention_forward(L.x.bottomRows(L.T - 3), w, L.n_head, AttentionOptions{},
                                        cached, nullptr, /*reuse=*/3);
  CHECK((rest - full.output.bottomRows(L.T - 3)).cwiseAbs().maxCoeff() < 1e-5f);
  for (int h = 0; h < L.n_head; ++h) {
    CHECK((cached.heads[h].q - full.heads[h].q).cwiseAbs().maxCoeff() < 1e-5f);
    CHECK((cached.heads[h].weights - full.heads[h].weights).cwiseAbs().maxCoeff() < 1e-5f);
  }
}

TEST_CASE("an attention bias of the wrong length is an Error") {
  RandomLayer L;
  AttentionWeights w = L.w;
  w.b_v = RowVector::Zero(L.d_model - 1);
  LayerTrace trace;
  CHECK_THROWS_WITH(attention_forward(L.x, w, L.n_head, AttentionOptions{}, trace),
                    Catch::Contains("bias has 15 entries, expected none or d_model = 16"));
}
