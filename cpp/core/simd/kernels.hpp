// Hand-written SIMD128 kernels for the attention forward pass and the training step
// in the browser.
//
// Eigen 3.4 has no WASM packet math, so in the WASM build these replace it on the hot
// path (see attention_simd.cpp and gpt_ops_simd.cpp). They are written against
// simd128.hpp, which is <wasm_simd128.h> in the WASM build and a lane-exact stand-in
// natively, so the Catch2 tests run this same source against plain loops.
//
// All matrices are row-major float with explicit row strides (ld = floats per row).
#pragma once
#include <cstddef>

namespace llmsim {
namespace kernels {

// Columns per packed panel of B: two 4-lane vectors.
constexpr int kPanelWidth = 8;

// At most this many rows of A are "a few" (a keystroke's new tokens: one character
// changes one or two): gemm_packed and gemm_b_in_place give them loops of their own,
// and the attention projects every head's q, k, v for them at once.
constexpr int kFewRows = 3;

// Blocking of gemm_packed. Tunable at run time so the benchmark can measure choices;
// the defaults are what measured fastest on the machine the benchmark ran on.
struct GemmConfig {
  // Rows per micro-tile (1..6): 2·mr accumulators stay in registers. Products with
  // every column and full depth (no causal limit) of a row-major A use tiles of two
  // rows × two panels instead (gemm_packed, gemm_b_in_place); mr is for the others
  // (the causal products, transposed operands) and for an odd last panel.
  int mr = 5;
  int mc = 64;   // rows of A per block (kept in L2 while the panels of B go by)
  int kc = 256;  // depth per block (a panel of B, kc × 8 floats, stays in L1)
};
GemmConfig& gemm_config();

// Floats needed to pack a [K, N] right-hand side.
size_t packed_size(int K, int N);

// Packs B [K, N] (row stride ldb) into panels of kPanelWidth columns, each panel K
// rows of 8 floats, the last one zero-padded.
void pack_b(const float* B, int ldb, int K, int N, float* out);

// The same for the transpose of Bt [N, K] (row stride ldbt): packs Btᵀ, a [K, N]
// right-hand side (q·kᵀ packs k this way).
void pack_bt(const float* Bt, int ldbt, int K, int N, float* out);

// What the causal mask lets gemm_packed skip. Row r of A is row `row0 + r` of the
// whole matrix; a micro-tile whose first row is f and last row is g:
//   none    every column, full depth
//   limit_n columns up to g only (scores q·kᵀ). Tiles right of the diagonal are not
//           written at all; the diagonal tiles hold plain q·k values past the diagonal,
//           which the caller masks.
//   limit_k depth up to g only (weights·v): exact when A[i, k] = 0 for k > i.
//   from_k  depth from f on only (weightsᵀ·d_o in the attention's backward): exact
//           when A[i, k] = 0 for k < i, as in the transpose of a causal matrix.
enum class Causal { none, limit_n, limit_k, from_k };

// Whether gemm_packed overwrites C or adds the product to it (the backward passes
// accumulate every gradient, gpt_ops.hpp). With accumulate, K = 0 leaves C as it is.
enum class Store { overwrite, accumulate };

// C [M, N] = A [M, K] · B (or C += A·B with Store::accumulate), with B packed by
// pack_b / pack_bt. One to three rows (a keystroke's new tokens) go through tiles of
// their own that read several panels at once; every entry has the bits it has in a
// product of many rows (the KV cache relies on it).
void gemm_packed(int M, int N, int K, const float* A, int lda, const float* packed_b, float* C,
                 int ldc, Causal causal = Causal::none, int row0 = 0,
                 Store store = Store::overwrite);

// The same with the left operand given transposed: C [M, N] (+)= Atᵀ · B for At [K, M]
// (row stride ldat), read in place. The weight gradients are products like inpᵀ·dout;
// reading Atᵀ column by column costs no more than reading A row by row (the micro-tile
// wants R values of one depth step, which here are R neighbours in memory), so nothing
// is transposed into scratch.
void gemm_packed_at(int M, int N, int K, const float* At, int ldat, const float* packed_b,
                    float* C, int ldc, Causal causal = Causal::none, int row0 = 0,
                    Store store = Store::overwrite);

// The same product written transposed: Ct [N, M] (row stride ldct) = (A [M, K] · B)ᵀ.
// For a left operand too large to pack on every call (the unembedding's wte [V, C]):
// computing logitsᵀ = wte · xᵀ reads wte in place as A and packs only the small xᵀ,
// and the tile lands transposed, so no [M, N] scratch and no transpose pass. Every
// entry has the bits gemm_packed gives for B's transpose times A's (x·y = y·x in IEEE
// floats, and the depth is summed in the same order). N = 1 or 2 (a keystroke's
// logits) puts four rows of A in each vector instead of x's one or two columns.
void gemm_packed_ct(int M, int N, int K, const float* A, int lda, const float* packed_b,
                    float* Ct, int ldct);

// C [M, N] = A [M, K] · B [K, N] with B read in place (row stride ldb), not packed; N a
// multiple of kPanelWidth (else llmsim::Error). For a few rows of A, where packing B
// would cost more than the product itself: a keystroke's KV-cache pass reads each
// weight once this way instead of three times (read, write packed, read packed). Same
// sums in the same order as gemm_packed, so the same bits; with many rows, strided
// panels thrash the TLB and packed ones are faster.
void gemm_b_in_place(int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                     float* C, int ldc);

// C [M, N] = A [M, K] · B [K, N], packing B into a scratch buffer of its own.
void gemm(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc);

// Scale, causal mask and softmax, fused, for `rows` rows of a [*, cols] score matrix
// whose first row is row `row0` of the whole. For each row i (global g = row0 + i),
// visible = causal ? min(g + 1, cols) : cols:
//   scaled[j]  = scale · scores[j]               for j < visible, else 0
//   weights[j] = softmax(scaled[0..visible))[j]  for j < visible, else 0
//   scores[j]  = 0 for j >= visible (the Trace shows masked scores as 0)
// A visible entry equal to -inf gets weight exactly 0, as softmax_row does.
// `scaled` may be null (not stored).
void scale_softmax_rows(float* scores, int ld_scores, float* scaled, int ld_scaled, float* weights,
                        int ld_weights, int rows, int row0, int cols, float scale, bool causal);

// The backward of scale_softmax_rows, in place on the gradient d of the weights, for
// `rows` rows (row i is row g = row0 + i of the whole; visible as there):
//   d[j] = scale · w[j] · (d[j] − Σ_{l < visible} w[l]·d[l])   for j < visible, else 0
// so d becomes the gradient of the raw scores (scale is the derivative of
// scaled = scale·scores). d past the visible prefix is never read: it may hold
// anything, e.g. the tiles gemm_packed's limit_n did not write.
void softmax_backward_rows(const float* weights, int ld_weights, float* d, int ld_d, int rows,
                           int row0, int cols, float scale, bool causal);

// out[i] = exp(in[i]), 4 lanes at a time (Cephes polynomial, within 2 ulp of std::exp
// for in >= -87; below that, and for -inf, it returns 0 or a tiny normal number, never
// a denormal or NaN; +inf and NaN are not expected).
void exp_vec(const float* in, float* out, int n);

// A SIMD128 multiply+add loop with nothing else: 13 independent chains of
// acc = acc + acc·c. The ceiling the GEMM kernels are measured against; it does
// peak_flops_per_iteration flops per iteration (and returns a value so the work
// cannot be optimised away).
constexpr double peak_flops_per_iteration = 13 * 2 * 4;  // 13 mul + 13 add, 4 lanes
float peak_mul_add(int iterations, float seed);

}  // namespace kernels
}  // namespace llmsim
