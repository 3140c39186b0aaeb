#include "model/gpt_ops_simd.hpp"

#include <vector>

#include "parallel.hpp"
#include "simd/kernels.hpp"

namespace llmsim {

namespace k = kernels;
using k::Causal;
using k::Store;

namespace {

// Packed right-hand sides and [T, T] scratch, reused from call to call and step to
// step: after the first training step nothing here allocates. Per thread, since the
// native tests run the attention's (sequence, head) pairs in parallel.
struct Scratch {
  std::vector<float> packed, packed2, square;
  static float* get(std::vector<float>& buffer, size_t n) {
    if (buffer.size() < n) buffer.resize(n);
    return buffer.data();
  }
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

int ld(const ConstMatrixRef& m) { return int(m.outerStride()); }
int ld(const MatrixRef& m) { return int(m.outerStride()); }

}  // namespace

// ---- matmul ------------------------------------------------------------------------

void matmul_forward_simd(const ConstMatrixRef& inp, const ConstMatrixRef& w, const float* bias,
                         MatrixRef out) {
  k::gemm(int(inp.rows()), int(w.cols()), int(inp.cols()), inp.data(), ld(inp), w.data(), ld(w),
          out.data(), ld(out));
  if (bias) out.rowwise() += Eigen::Map<const RowVector>(bias, w.cols());
}

void matmul_backward_simd(const ConstMatrixRef& dout, const ConstMatrixRef& inp,
                          const ConstMatrixRef& w, MatrixRef dinp, MatrixRef dw, float* dbias) {
  const int N = int(dout.rows()), n_out = int(dout.cols()), n_in = int(inp.cols());
  Scratch& s = scratch();
  // dinp [N, in] += dout [N, out] · wᵀ: w [in, out] is wᵀ's transpose, packed by pack_bt.
  float* packed = Scratch::get(s.packed, k::packed_size(n_out, n_in));
  k::pack_bt(w.data(), ld(w), n_out, n_in, packed);
  k::gemm_packed(N, n_in, n_out, dout.data(), ld(dout), packed, dinp.data(), ld(dinp),
                 Causal::none, 0, Store::accumulate);
  // dw [in, out] += inpᵀ [in, N] · dout [N, out], inp read in place.
  packed = Scratch::get(s.packed, k::packed_size(N, n_out));
  k::pack_b(dout.data(), ld(dout), N, n_out, packed);
  k::gemm_packed_at(n_in, n_out, N, inp.data(), ld(inp), packed, dw.data(), ld(dw), Causal::none,
                    0, Store::accumulate);
  if (dbias) Eigen::Map<RowVector>(dbias, n_out) += dout.colwise().sum();
}

// ---- unembedding -------------------------------------------------------------------

void unembedding_forward_simd(const ConstMatrixRef& x, const ConstMatrixRef& wte,
                              MatrixRef logits) {
  // Computed as logitsᵀ [V, N] = wte [V, C] · xᵀ [C, N], written transposed: wte is the
  // left operand, read in place, and only xᵀ (N·C floats) is packed. Packing wte as the
  // right-hand side instead meant V·C floats copied per call (154 MB at GPT-2's size,
  // per keystroke); the bits are the same (gemm_packed_ct).
  const int N = int(x.rows()), C = int(x.cols()), V = int(wte.rows());
  float* packed = Scratch::get(scratch().packed, k::packed_size(C, N));
  k::pack_bt(x.data(), ld(x), C, N, packed);
  k::gemm_packed_ct(V, N, C, wte.data(), ld(wte), packed, logits.data(), ld(logits));
}

void unembedding_backward_simd(const ConstMatrixRef& dlogits, const ConstMatrixRef& x,
                               const ConstMatrixRef& wte, MatrixRef dx, MatrixRef dwte) {
  const int N = int(x.rows()), C = int(x.cols()), V = int(wte.rows());
  Scratch& s = scratch();
  // dx [N, C] += dlogits [N, V] · wte [V, C]
  float* packed = Scratch::get(s.packed, k::packed_size(V, C));
  k::pack_b(wte.data(), ld(wte), V, C, packed);
  k::gemm_packed(N, C, V, dlogits.data(), ld(dlogits), packed, dx.data(), ld(dx), Causal::none, 0,
                 Store::accumulate);
  // dwte [V, C] += dlogitsᵀ [V, N] · x [N, C], dlogits read in place.
  packed = Scratch::get(s.packed, k::packed_size(N, C));
  k::pack_b(x.data(), ld(x), N, C, packed);
  k::gemm_packed_at(V, C, N, dlogits.data(), ld(dlogits), packed, dwte.data(), ld(dwte),
                    Causal::none, 0, Store::accumulate);
}

// ---- batched attention -------------------------------------------------------------

void batched_attention_forward_simd(const ConstMatrixRef& qkv, int B, int T, int n_head,
                                    const AttentionOptions& options, MatrixRef att,
                                    MatrixRef out) {
  const int C = int(qkv.cols() / 3), d_k = C / n_head, ldq = ld(qkv), ldo = ld(out);
  const float scale = attention_scale(d_k, options.scale);
  const bool causal = options.causal;
  parallel_for(B * n_head, [&](int p) {  // one (sequence, head) pair per task
    const int b = p / n_head, h = p % n_head;
    const float* q = qkv.data() + size_t(b) * T * ldq + h * d_k;  // [T, d_k], row stride ldq
    const float* kk = q + C;
    const float* v = q + 2 * C;
    float* o = out.data() + size_t(b) * T * ldo + h * d_k;  // [T, d_k], row stride ldo
    float* weights = att.data() + size_t(p) * T * ld(att);  // [T, T]
    Scratch& s = scratch();
    // scores [T, T] = q · kᵀ, the masked tiles right of the diagonal skipped
    float* scores = Scratch::get(s.square, size_t(T) * T);
    float* packed = Scratch::get(s.packed, k::packed_size(d_k, T));
    k::pack_bt(kk, ldq, d_k, T, packed);
    k::gemm_packed(T, T, d_k, q, ldq, packed, scores, T, causal ? Causal::limit_n : Causal::none);
    // weights = softmax(scale · scores) over the visible prefix, exactly 0 past it
    k::scale_softmax_rows(scores, T, nullptr, 0, weights, ld(att), T, 0, T, scale, causal);
    // o [T, d_k] = weights · v, depth up to the diagonal
    packed = Scratch::get(s.packed, k::packed_size(T, d_k));
    k::pack_b(v, ldq, T, d_k, packed);
    k::gemm_packed(T, d_k, T, weights, ld(att), packed, o, ldo,
                   causal ? Causal::limit_k : Causal::none);
  });
}

void batched_attention_backward_simd(const ConstMatrixRef& dout, const ConstMatrixRef& qkv,
                                     const ConstMatrixRef& att, int B, int T, int n_head,
                                     const AttentionOptions& options, MatrixRef dqkv) {
  const int C = int(qkv.cols() / 3), d_k = C / n_head;
  const int ldq = ld(qkv), ldd = ld(dqkv), ldo = ld(dout), ldw = ld(att);
  const float scale = attention_scale(d_k, options.scale);
  const bool causal = options.causal;
  // A causal left operand needs depth up to its row (limit_k); its transpose, from its
  // row on (from_k). Both are exact here: the masked weights, and so their gradients,
  // are exactly 0.
  const Causal lower = causal ? Causal::limit_k : Causal::none;
  const Causal upper = causal ? Causal::from_k : Causal::none;
  parallel_for(B * n_head, [&](int p) {  // each pair writes only its own slice of dqkv
    const int b = p / n_head, h = p % n_head;
    const float* q = qkv.data() + size_t(b) * T * ldq + h * d_k;  // [T, d_k] each
    const float* kk = q + C;
    const float* v = q + 2 * C;
    float* dq = dqkv.data() + size_t(b) * T * ldd + h * d_k;
    float* dk = dq + C;
    float* dv = dq + 2 * C;
    const float* d_o = dout.data() + size_t(b) * T * ldo + h * d_k;  // [T, d_k]
    const float* weights = att.data() + size_t(p) * T * ldw;         // [T, T]
    Scratch& s = scratch();
    float* d_w = Scratch::get(s.square, size_t(T) * T);  // [T, T]
    float* packed = Scratch::get(s.packed, k::packed_size(std::max(d_k, T), std::max(d_k, T)));

    // output = weights · v:  d_weights = d_o · vᵀ (up to the diagonal), dv += weightsᵀ · d_o
    k::pack_bt(v, ldq, d_k, T, packed);
    k::gemm_packed(T, T, d_k, d_o, ldo, packed, d_w, T, causal ? Causal::limit_n : Causal::none);
    k::pack_b(d_o, ldo, T, d_k, packed);
    k::gemm_packed_at(T, d_k, T, weights, ldw, packed, dv, ldd, upper, 0, Store::accumulate);
    // weights = softmax(scaled), scaled = scale · q · kᵀ: d_w becomes d_scores, exactly 0
    // past the diagonal (the limit_k / from_k products below read some of those zeros).
    k::softmax_backward_rows(weights, ldw, d_w, T, T, 0, T, scale, causal);
    // dq += d_scores · k, dk += d_scoresᵀ · q
    k::pack_b(kk, ldq, T, d_k, packed);
    k::gemm_packed(T, d_k, T, d_w, T, packed, dq, ldd, lower, 0, Store::accumulate);
    k::pack_b(q, ldq, T, d_k, packed);
    k::gemm_packed_at(T, d_k, T, d_w, T, packed, dk, ldd, upper, 0, Store::accumulate);
  });
}

}  // namespace llmsim
