#include "model/gpt_ops.hpp"

#include <cmath>
#include <vector>

#include "error.hpp"
#include "model/gpt_ops_simd.hpp"
#include "model/softmax.hpp"
#include "parallel.hpp"
#include "simd/kernels.hpp"

namespace llmsim {

using StridedMap = Eigen::Map<Matrix, 0, Eigen::OuterStride<>>;
using ConstStridedMap = Eigen::Map<const Matrix, 0, Eigen::OuterStride<>>;

WasmGemms& wasm_gemms() {
  static WasmGemms gemms = WasmGemms::all;
  return gemms;
}

// Whether this build hands an op's products to gpt_ops_simd (never natively).
#ifdef __wasm_simd128__
static bool simd_forward_matmuls() { return wasm_gemms() != WasmGemms::none; }
static bool simd_all_products() { return wasm_gemms() == WasmGemms::all; }
#else
static bool simd_forward_matmuls() { return false; }
static bool simd_all_products() { return false; }
#endif

// ---- embedding ---------------------------------------------------------------------

void embedding_forward(const int* ids, int B, int T, const ConstMatrixRef& wte,
                       const ConstMatrixRef& wpe, MatrixRef out) {
  const int V = int(wte.rows());
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t) {
      const int id = ids[b * T + t];
      if (id < 0 || id >= V)
        throw Error("token id " + std::to_string(id) + " is outside the vocabulary of " +
                    std::to_string(V));
      out.row(b * T + t) = wte.row(id) + wpe.row(t);
    }
}

void embedding_backward(const int* ids, int B, int T, const ConstMatrixRef& dout,
                        MatrixRef dwte, MatrixRef dwpe) {
  // Serial on purpose: a token repeated in the batch adds to the same row of dwte,
  // and a fixed order keeps those sums bit-identical from run to run.
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t) {
      dwte.row(ids[b * T + t]) += dout.row(b * T + t);
      dwpe.row(t) += dout.row(b * T + t);
    }
}

// ---- LayerNorm ---------------------------------------------------------------------

void layernorm_forward(const ConstMatrixRef& x, const float* gain, const float* bias,
                       MatrixRef out, float* mean, float* rstd, float eps) {
  const int N = int(x.rows()), C = int(x.cols());
  const Eigen::Map<const RowVector> g(gain, C), beta(bias, C);
  parallel_blocks(N, 64, [&](int begin, int end) {
    for (int n = begin; n < end; ++n) {
      const float m = x.row(n).sum() / float(C);
      const float var = (x.row(n).array() - m).square().sum() / float(C);
      const float r = 1.0f / std::sqrt(var + eps);
      out.row(n) = ((x.row(n).array() - m) * r * g.array() + beta.array()).matrix();
      mean[n] = m;
      rstd[n] = r;
    }
  });
}

void layernorm_backward(const ConstMatrixRef& dout, const ConstMatrixRef& x, const float* gain,
                        const float* mean, const float* rstd, MatrixRef dx, float* dgain,
                        float* dbias) {
  const int N = int(x.rows()), C = int(x.cols());
  const Eigen::Map<const RowVector> g(gain, C);
  Eigen::Map<RowVector> dg(dgain, C), db(dbias, C);
  RowVector xhat(C), dnorm(C);
  for (int n = 0; n < N; ++n) {  // serial: dgain and dbias sum over rows in a fixed order
    xhat = (x.row(n).array() - mean[n]) * rstd[n];
    dnorm = dout.row(n).cwiseProduct(g);  // gradient wrt the normalised row
    const float dnorm_mean = dnorm.sum() / float(C);
    const float dnorm_xhat_mean = dnorm.dot(xhat) / float(C);
    // x̂ = (x − mean)·rstd depends on every entry of the row through mean and rstd:
    // dx = rstd · (dnorm − mean(dnorm) − x̂ · mean(dnorm ⊙ x̂))
    dx.row(n).array() += rstd[n] * (dnorm.array() - dnorm_mean - xhat.array() * dnorm_xhat_mean);
    dg += dout.row(n).cwiseProduct(xhat);
    db += dout.row(n);
  }
}

// ---- matmul ------------------------------------------------------------------------

void matmul_forward(const ConstMatrixRef& inp, const ConstMatrixRef& w, const float* bias,
                    MatrixRef out) {
  if (simd_forward_matmuls()) return matmul_forward_simd(inp, w, bias, out);
  out.noalias() = inp * w;  // [N, in]·[in, out]: one GEMM
  if (bias) out.rowwise() += Eigen::Map<const RowVector>(bias, w.cols());
}

void matmul_backward(const ConstMatrixRef& dout, const ConstMatrixRef& inp,
                     const ConstMatrixRef& w, MatrixRef dinp, MatrixRef dw, float* dbias) {
  if (simd_all_products()) return matmul_backward_simd(dout, inp, w, dinp, dw, dbias);
  dinp.noalias() += dout * w.transpose();  // [N, out]·[out, in]
  dw.noalias() += inp.transpose() * dout;  // [in, N]·[N, out]
  if (dbias) Eigen::Map<RowVector>(dbias, dout.cols()) += dout.colwise().sum();
}

// ---- a weight packed once ----------------------------------------------------------

PackedWeight pack_weight(const ConstMatrixRef& w) {
  PackedWeight packed{int(w.rows()), int(w.cols()), {}};
  packed.panels.resize(kernels::packed_size(packed.rows, packed.cols));
  kernels::pack_b(w.data(), int(w.outerStride()), packed.rows, packed.cols, packed.panels.data());
  return packed;
}

Matrix unpack_weight(const PackedWeight& w) {
  Matrix m(w.rows, w.cols);
  const int width = kernels::kPanelWidth;
  for (int j = 0; j < w.cols; ++j)  // column j is lane j % 8 of panel j / 8
    for (int k = 0; k < w.rows; ++k)
      m(k, j) = w.panels[(size_t(j / width) * w.rows + k) * width + j % width];
  return m;
}

void matmul_forward(const ConstMatrixRef& inp, const PackedWeight& w, const float* bias,
                    MatrixRef out) {
  if (inp.cols() != w.rows || out.cols() != w.cols || out.rows() != inp.rows())
    throw Error("matmul_forward: inp [" + std::to_string(inp.rows()) + ", " +
                std::to_string(inp.cols()) + "] times a packed weight [" + std::to_string(w.rows) +
                ", " + std::to_string(w.cols) + "]");
  kernels::gemm_packed(int(inp.rows()), w.cols, w.rows, inp.data(), int(inp.outerStride()),
                       w.panels.data(), out.data(), int(out.outerStride()));
  if (bias) out.rowwise() += Eigen::Map<const RowVector>(bias, w.cols);
}

// ---- unembedding -------------------------------------------------------------------

void unembedding_forward(const ConstMatrixRef& x, const ConstMatrixRef& wte, MatrixRef logits) {
  if (simd_forward_matmuls()) return unembedding_forward_simd(x, wte, logits);
  logits.noalias() = x * wte.transpose();  // [N, C]·[C, V]
}

void unembedding_backward(const ConstMatrixRef& dlogits, const ConstMatrixRef& x,
                          const ConstMatrixRef& wte, MatrixRef dx, MatrixRef dwte) {
  if (simd_all_products()) return unembedding_backward_simd(dlogits, x, wte, dx, dwte);
  dx.noalias() += dlogits * wte;               // [N, V]·[V, C]
  dwte.noalias() += dlogits.transpose() * x;  // [V, N]·[N, C]
}

// ---- GELU --------------------------------------------------------------------------

static constexpr float kGeluScale = 0.7978845608028654f;  // sqrt(2/pi)
static constexpr float kGeluCubic = 0.044715f;

void gelu_forward(const ConstMatrixRef& x, MatrixRef out) {
  parallel_blocks(int(x.rows()), 64, [&](int begin, int end) {
    const auto rows = x.middleRows(begin, end - begin);
    const auto a = rows.array();
    out.middleRows(begin, end - begin).array() =
        0.5f * a * (1.0f + (kGeluScale * (a + kGeluCubic * a.cube())).tanh());
  });
}

void gelu_backward(const ConstMatrixRef& dout, const ConstMatrixRef& x, MatrixRef dx) {
  parallel_blocks(int(x.rows()), 64, [&](int begin, int end) {
    const auto rows = x.middleRows(begin, end - begin);
    const auto a = rows.array();
    const auto t = (kGeluScale * (a + kGeluCubic * a.cube())).tanh().eval();
    // d/dx [0.5·x·(1 + t)] with t = tanh(u), u = s·(x + c·x³):
    //   0.5·(1 + t) + 0.5·x·(1 − t²)·s·(1 + 3c·x²)
    const auto local = 0.5f * (1.0f + t) +
                       0.5f * a * (1.0f - t.square()) * kGeluScale * (1.0f + 3.0f * kGeluCubic * a.square());
    dx.middleRows(begin, end - begin).array() += dout.middleRows(begin, end - begin).array() * local;
  });
}

// ---- residual ----------------------------------------------------------------------

void residual_forward(const ConstMatrixRef& a, const ConstMatrixRef& b, MatrixRef out) {
  out = a + b;
}

void residual_backward(const ConstMatrixRef& dout, MatrixRef da, MatrixRef db) {
  da += dout;  // a sum passes its gradient unchanged to both terms
  db += dout;
}

// ---- batched attention -------------------------------------------------------------

static void check_attention_shapes(const ConstMatrixRef& qkv, int B, int T, int n_head) {
  if (qkv.rows() != Eigen::Index(B) * T || qkv.cols() % 3 != 0 ||
      (qkv.cols() / 3) % n_head != 0)
    throw Error("batched attention: qkv is [" + std::to_string(qkv.rows()) + ", " +
                std::to_string(qkv.cols()) + "], expected [B·T, 3·C] with C divisible by n_head");
}

static void size_scratch(AttentionScratch& scratch, int T) {
  scratch.per_thread.resize(size_t(max_threads()));
  for (Matrix& m : scratch.per_thread)
    if (m.rows() != T || m.cols() != T) m.resize(T, T);
}

void batched_attention_forward(const ConstMatrixRef& qkv, int B, int T, int n_head,
                               const AttentionOptions& options, MatrixRef att, MatrixRef out,
                               AttentionScratch& scratch) {
  check_attention_shapes(qkv, B, T, n_head);
  const int C = int(qkv.cols() / 3), d_k = C / n_head;
  const float scale = attention_scale(d_k, options.scale);
  if (simd_all_products())
    return batched_attention_forward_simd(qkv, B, T, n_head, options, att, out);
  const Eigen::Index ld = qkv.outerStride(), ld_out = out.outerStride();
  size_scratch(scratch, T);
  parallel_for(B * n_head, [&](int p) {  // one (sequence, head) pair per task
    const int b = p / n_head, h = p % n_head;
    const float* base = qkv.data() + Eigen::Index(b) * T * ld + h * d_k;
    const ConstStridedMap q(base, T, d_k, Eigen::OuterStride<>(ld));          // [T, d_k]
    const ConstStridedMap k(base + C, T, d_k, Eigen::OuterStride<>(ld));      // [T, d_k]
    const ConstStridedMap v(base + 2 * C, T, d_k, Eigen::OuterStride<>(ld));  // [T, d_k]
    Matrix& scaled = scratch.per_thread[size_t(thread_index())];
    scaled.noalias() = scale * q * k.transpose();  // [T, T]
    auto weights = att.middleRows(Eigen::Index(p) * T, T);  // [T, T]
    for (int i = 0; i < T; ++i)  // the same masked softmax as the inference path
      softmax_row(scaled.row(i).data(), weights.row(i).data(), T, options.causal ? i + 1 : T);
    StridedMap o(out.data() + Eigen::Index(b) * T * ld_out + h * d_k, T, d_k,
                 Eigen::OuterStride<>(ld_out));
    o.noalias() = weights * v;  // [T, d_k]
  });
}

void batched_attention_backward(const ConstMatrixRef& dout, const ConstMatrixRef& qkv,
                                const ConstMatrixRef& att, int B, int T, int n_head,
                                const AttentionOptions& options, MatrixRef dqkv,
                                AttentionScratch& scratch) {
  check_attention_shapes(qkv, B, T, n_head);
  const int C = int(qkv.cols() / 3), d_k = C / n_head;
  const float scale = attention_scale(d_k, options.scale);
  if (simd_all_products())
    return batched_attention_backward_simd(dout, qkv, att, B, T, n_head, options, dqkv);
  const Eigen::Index ld = qkv.outerStride(), ld_d = dqkv.outerStride(), ld_out = dout.outerStride();
  size_scratch(scratch, T);
  parallel_for(B * n_head, [&](int p) {  // each pair writes only its own slice of dqkv
    const int b = p / n_head, h = p % n_head;
    const Eigen::Index row0 = Eigen::Index(b) * T;
    const float* base = qkv.data() + row0 * ld + h * d_k;
    float* dbase = dqkv.data() + row0 * ld_d + h * d_k;
    const ConstStridedMap q(base, T, d_k, Eigen::OuterStride<>(ld));
    const ConstStridedMap k(base + C, T, d_k, Eigen::OuterStride<>(ld));
    const ConstStridedMap v(base + 2 * C, T, d_k, Eigen::OuterStride<>(ld));
    StridedMap dq(dbase, T, d_k, Eigen::OuterStride<>(ld_d));
    StridedMap dk(dbase + C, T, d_k, Eigen::OuterStride<>(ld_d));
    StridedMap dv(dbase + 2 * C, T, d_k, Eigen::OuterStride<>(ld_d));
    const ConstStridedMap d_o(dout.data() + row0 * ld_out + h * d_k, T, d_k,
                              Eigen::OuterStride<>(ld_out));
    const auto weights = att.middleRows(Eigen::Index(p) * T, T);  // [T, T]

    // output = weights · v
    Matrix& d_weights = scratch.per_thread[size_t(thread_index())];
    d_weights.noalias() = d_o * v.transpose();  // [T, T]
    dv.noalias() += weights.transpose() * d_o;  // [T, d_k]
    // weights = softmax(scaled) row by row: d_scaled = w ⊙ (d_w − Σ_j w_j·d_w_j).
    // Masked entries have w = 0 and so get no gradient, as the mask demands.
    for (int i = 0; i < T; ++i) {
      const float dot = weights.row(i).dot(d_weights.row(i));
      d_weights.row(i) = (weights.row(i).array() * (d_weights.row(i).array() - dot)).matrix();
    }
    // scaled = scale · q · kᵀ
    dq.noalias() += scale * d_weights * k;              // [T, d_k]
    dk.noalias() += scale * d_weights.transpose() * q;  // [T, d_k]
  });
}

// ---- softmax + cross-entropy -------------------------------------------------------

double cross_entropy_forward(const ConstMatrixRef& logits, const int* targets, MatrixRef probs,
                             float* losses) {
  const int N = int(logits.rows()), V = int(logits.cols());
  for (int n = 0; n < N; ++n)
    if (targets[n] < 0 || targets[n] >= V)
      throw Error("target id " + std::to_string(targets[n]) + " is outside the vocabulary of " +
                  std::to_string(V));
  parallel_blocks(N, 16, [&](int begin, int end) {
    for (int n = begin; n < end; ++n) {
      const float max = logits.row(n).maxCoeff();
      probs.row(n) = (logits.row(n).array() - max).exp().matrix();
      const float sum = probs.row(n).sum();
      probs.row(n) /= sum;
      // −log softmax[target], from the logits: never log(0), even for a tiny probability
      losses[n] = std::log(sum) - (logits(n, targets[n]) - max);
    }
  });
  double total = 0;
  for (int n = 0; n < N; ++n) total += losses[n];
  return N > 0 ? total / N : 0.0;
}

void cross_entropy_backward(const ConstMatrixRef& probs, const int* targets, float dloss,
                            MatrixRef dlogits) {
  parallel_blocks(int(probs.rows()), 16, [&](int begin, int end) {
    for (int n = begin; n < end; ++n) {
      dlogits.row(n) += dloss * probs.row(n);
      dlogits(n, targets[n]) -= dloss;
    }
  });
}

}  // namespace llmsim
