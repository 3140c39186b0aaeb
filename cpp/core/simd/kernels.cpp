#include "simd/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "error.hpp"
#include "simd/simd128.hpp"

namespace llmsim {
namespace kernels {

GemmConfig& gemm_config() {
  static GemmConfig config;
  return config;
}

static int panels(int N) { return (N + kPanelWidth - 1) / kPanelWidth; }

size_t packed_size(int K, int N) { return size_t(panels(N)) * size_t(K) * kPanelWidth; }

void pack_b(const float* B, int ldb, int K, int N, float* out) {
  for (int p = 0, j0 = 0; j0 < N; ++p, j0 += kPanelWidth) {
    const int nr = std::min(kPanelWidth, N - j0);
    float* panel = out + size_t(p) * K * kPanelWidth;
    if (nr == kPanelWidth) {
      for (int k = 0; k < K; ++k) {
        const float* src = B + size_t(k) * ldb + j0;
        wasm_v128_store(panel + k * kPanelWidth, wasm_v128_load(src));
        wasm_v128_store(panel + k * kPanelWidth + 4, wasm_v128_load(src + 4));
      }
    } else {
      for (int k = 0; k < K; ++k) {
        const float* src = B + size_t(k) * ldb + j0;
        float* dst = panel + k * kPanelWidth;
        for (int j = 0; j < kPanelWidth; ++j) dst[j] = j < nr ? src[j] : 0.0f;
      }
    }
  }
}

void pack_bt(const float* Bt, int ldbt, int K, int N, float* out) {
  for (int p = 0, j0 = 0; j0 < N; ++p, j0 += kPanelWidth) {
    const int nr = std::min(kPanelWidth, N - j0);
    float* panel = out + size_t(p) * K * kPanelWidth;
    for (int j = 0; j < kPanelWidth; ++j) {
      if (j < nr) {
        const float* src = Bt + size_t(j0 + j) * ldbt;
        for (int k = 0; k < K; ++k) panel[k * kPanelWidth + j] = src[k];
      } else {
        for (int k = 0; k < K; ++k) panel[k * kPanelWidth + j] = 0.0f;
      }
    }
  }
}

// The micro-kernel: an R × 8 tile of C from kc steps of (column of A) × (row of the
// panel of B). 2·R accumulators; A is read with one broadcast load per row and step.
// WASM SIMD128 has no fused multiply-add, so each step is a mul and an add per vector.
// kTransposedA: `A` is At (At[k, r] = A[r, k]), so step k reads R neighbours of row k.
// The panel's rows are ldp floats apart: kPanelWidth when packed, B's row stride when B
// is read in place. transposed_c: the tile lands in C transposed (C[j, r]), for callers
// that compute Cᵀ = A·B to read a large left operand in place (gemm_packed_ct).
// kHalf: the panel has at most 4 columns (nr <= 4), so only its first vector is
// multiplied: logitsᵀ = wte·xᵀ for one new token would otherwise spend half its work
// on padding. The lanes are independent, so the bits are the same.
template <int R, bool kTransposedA, bool kHalf>
static inline void micro_tile(int kc, const float* A, int lda, const float* panel, size_t ldp,
                              float* C, int ldc, int nr, bool accumulate, bool transposed_c) {
  v128_t c0[R], c1[R];
  for (int r = 0; r < R; ++r) c0[r] = c1[r] = wasm_f32x4_splat(0.0f);
  const float* a[R];
  for (int r = 0; r < R; ++r) a[r] = kTransposedA ? A + r : A + size_t(r) * lda;
  const size_t step = kTransposedA ? size_t(lda) : 1;  // A's distance between depth steps
  for (int k = 0; k < kc; ++k) {
    const v128_t b0 = wasm_v128_load(panel + k * ldp);
    const v128_t b1 = kHalf ? b0 : wasm_v128_load(panel + k * ldp + 4);
    for (int r = 0; r < R; ++r) {
      const v128_t ar = wasm_v128_load32_splat(a[r] + k * step);
      c0[r] = wasm_f32x4_add(c0[r], wasm_f32x4_mul(ar, b0));
      if (!kHalf) c1[r] = wasm_f32x4_add(c1[r], wasm_f32x4_mul(ar, b1));
    }
  }
  if (transposed_c) {  // R·nr scattered stores per kc steps: nothing beside the products
    float tile[kPanelWidth];
    for (int r = 0; r < R; ++r) {
      wasm_v128_store(tile, c0[r]);
      wasm_v128_store(tile + 4, c1[r]);
      for (int j = 0; j < nr; ++j) {
        float& c = C[size_t(j) * ldc + r];
        c = accumulate ? c + tile[j] : tile[j];
      }
    }
  } else if (nr == kPanelWidth) {
    for (int r = 0; r < R; ++r) {
      float* c = C + size_t(r) * ldc;
      if (accumulate) {
        c0[r] = wasm_f32x4_add(c0[r], wasm_v128_load(c));
        c1[r] = wasm_f32x4_add(c1[r], wasm_v128_load(c + 4));
      }
      wasm_v128_store(c, c0[r]);
      wasm_v128_store(c + 4, c1[r]);
    }
  } else {  // the last panel of a width that is not a multiple of 8
    float tile[kPanelWidth];
    for (int r = 0; r < R; ++r) {
      wasm_v128_store(tile, c0[r]);
      wasm_v128_store(tile + 4, c1[r]);
      float* c = C + size_t(r) * ldc;
      for (int j = 0; j < nr; ++j) c[j] = accumulate ? c[j] + tile[j] : tile[j];
    }
  }
}

// R rows of A (R = 1 or 2) times P whole panels at once: 2·R·P accumulators instead
// of micro_tile's 2·R. A keystroke multiplies one or two new rows by every weight; with
// one panel at a time each depth step waited on the add before it (two chains of adds
// for one row), and the product ran at a fraction of the speed of reading the weights.
// Each entry still sums its depth from zero in increasing order, as micro_tile does:
// the same bits. Element (k, j) of panel p is at panel[p·panel_stride + k·ldp + j].
template <int R, int P>
static inline void rows_tile(int kc, const float* a, int lda, const float* panel,
                             size_t panel_stride, size_t ldp, float* c, int ldc, bool accumulate) {
  v128_t c0[R][P], c1[R][P];
  for (int r = 0; r < R; ++r)
    for (int p = 0; p < P; ++p) c0[r][p] = c1[r][p] = wasm_f32x4_splat(0.0f);
  for (int k = 0; k < kc; ++k) {
    const float* b = panel + size_t(k) * ldp;
    for (int r = 0; r < R; ++r) {
      const v128_t ak = wasm_v128_load32_splat(a + size_t(r) * lda + k);
      for (int p = 0; p < P; ++p) {
        c0[r][p] = wasm_f32x4_add(c0[r][p], wasm_f32x4_mul(ak, wasm_v128_load(b + p * panel_stride)));
        c1[r][p] = wasm_f32x4_add(c1[r][p], wasm_f32x4_mul(ak, wasm_v128_load(b + p * panel_stride + 4)));
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int p = 0; p < P; ++p) {
      float* cp = c + size_t(r) * ldc + p * kPanelWidth;
      if (accumulate) {
        c0[r][p] = wasm_f32x4_add(c0[r][p], wasm_v128_load(cp));
        c1[r][p] = wasm_f32x4_add(c1[r][p], wasm_v128_load(cp + 4));
      }
      wasm_v128_store(cp, c0[r][p]);
      wasm_v128_store(cp + 4, c1[r][p]);
    }
}

using TileFn = void (*)(int, const float*, int, const float*, size_t, float*, int, int, bool, bool);
template <bool kTransposedA, bool kHalf>
static const TileFn kTiles[7] = {nullptr,
                                 micro_tile<1, kTransposedA, kHalf>,
                                 micro_tile<2, kTransposedA, kHalf>,
                                 micro_tile<3, kTransposedA, kHalf>,
                                 micro_tile<4, kTransposedA, kHalf>,
                                 micro_tile<5, kTransposedA, kHalf>,
                                 micro_tile<6, kTransposedA, kHalf>};

// Where the panels of the right-hand side are: packed (pack_b / pack_bt), or B [K, N]
// itself, read in place. Element (k, j) of panel p is at data[p·panel + k·row + j].
struct Panels {
  const float* data;
  size_t panel, row;
  static Panels packed(const float* packed_b, int K) {
    return {packed_b, size_t(K) * kPanelWidth, kPanelWidth};
  }
  static Panels in_place(const float* B, int ldb) { return {B, kPanelWidth, size_t(ldb)}; }
};

// The blocked loops of gemm_packed and gemm_packed_at. Every entry of C sums its depth
// blocks in increasing order (kc steps each, then added to C), whatever the blocking
// of M and N, so a given GemmConfig gives the same bits every run.
// transposed_c: C holds the product transposed (element (i, j) at C[j·ldc + i]).
template <bool kTransposedA>
static void gemm_blocked(int M, int N, int K, const float* A, int lda, Panels b, float* C,
                         int ldc, Causal causal, int row0, Store store, bool transposed_c = false) {
  if (M <= 0 || N <= 0) return;
  if (store == Store::overwrite && (K <= 0 || causal == Causal::from_k)) {
    // from_k may leave a tile no depth at all (rows past K): start from zero and add.
    const int rows = transposed_c ? N : M, cols = transposed_c ? M : N;
    for (int i = 0; i < rows; ++i) std::fill(C + size_t(i) * ldc, C + size_t(i) * ldc + cols, 0.0f);
    store = Store::accumulate;
  }
  if (K <= 0) return;
  const GemmConfig& config = gemm_config();
  const int MR = std::clamp(config.mr, 1, 6);
  const int MC = std::max(MR, config.mc - config.mc % MR);
  const int KC = std::max(1, config.kc);
  // Where A's element (i, k) is.
  auto a_at = [&](int i, int k) {
    return kTransposedA ? A + size_t(k) * lda + i : A + size_t(i) * lda + k;
  };
  // Where C's element (i, j) is.
  auto c_at = [&](int i, int j) {
    return transposed_c ? C + size_t(j) * ldc + i : C + size_t(i) * ldc + j;
  };
  const int n_panels = panels(N);
  if (M <= kFewRows && !kTransposedA && !transposed_c && causal == Causal::none) {
    // A keystroke's one to three new rows: in pairs, 2 panels at a time, and a last row
    // alone, 4 panels at a time (8 chains of adds either way); the panels left over as below.
    // Four panels at a time go down their whole depth before the next four: the weights
    // are read from memory once (a keystroke reads every weight of the model), in four
    // streams that each run straight through a panel; a last row reads them again from
    // L2. (Depth blocks outermost jumped between panels every kc rows, 8 KB a time.)
    // Each entry still sums block after block in depth order: the same bits.
    const int whole = N / kPanelWidth;
    for (int p0 = 0; p0 < n_panels; p0 += 4) {
      const int p_end = std::min(n_panels, p0 + 4);
      for (int i = 0; i < M;) {
        const int rows = M - i >= 2 ? 2 : 1, group = rows == 2 ? 2 : 4;
        float* c = C + size_t(i) * ldc;
        for (int pc = 0; pc < K; pc += KC) {
          const int kc_block = std::min(KC, K - pc);
          const bool accumulate = store == Store::accumulate || pc > 0;
          const float* a = A + size_t(i) * lda + pc;
          int p = p0;
          for (; p + group <= std::min(p_end, whole); p += group) {
            const float* panel = b.data + size_t(p) * b.panel + size_t(pc) * b.row;
            if (rows == 2) rows_tile<2, 2>(kc_block, a, lda, panel, b.panel, b.row, c + p * kPanelWidth, ldc, accumulate);
            else rows_tile<1, 4>(kc_block, a, lda, panel, b.panel, b.row, c + p * kPanelWidth, ldc, accumulate);
          }
          for (; p < p_end; ++p) {
            const int nr = std::min(kPanelWidth, N - p * kPanelWidth);
            const TileFn tile = nr <= 4 ? kTiles<false, true>[rows] : kTiles<false, false>[rows];
            tile(kc_block, a, lda, b.data + size_t(p) * b.panel + size_t(pc) * b.row, b.row,
                 c + p * kPanelWidth, ldc, nr, accumulate, false);
          }
        }
        i += rows;
      }
    }
    return;
  }
  if (!kTransposedA && !transposed_c && causal == Causal::none) {
    // Row-major A, every column, full depth (the model's projections, the training
    // step's forward and its dinp): two rows against two panels per tile, 8 chains of
    // adds, each weight vector loaded once for both rows and each A value once for
    // four vectors. In a microbenchmark in L1 this tile ran at the mul+add peak and
    // micro_tile's 5 rows × 1 panel at 70 % of it (GEMM as a whole: 69-72 % → 87-89 %
    // at GPT-2's projections); every entry sums its depth as micro_tile does.
    const int whole = N / kPanelWidth;
    const int MC2 = std::max(2, config.mc - config.mc % 2);  // blocks of whole pairs of rows
    for (int ic = 0; ic < M; ic += MC2) {
      const int mc = std::min(MC2, M - ic);
      for (int pc = 0; pc < K; pc += KC) {
        const int kc_block = std::min(KC, K - pc);
        const bool accumulate = store == Store::accumulate || pc > 0;
        int p = 0;
        for (; p + 2 <= whole; p += 2) {
          const float* panel = b.data + size_t(p) * b.panel + size_t(pc) * b.row;
          float* c = C + p * kPanelWidth;
          int i = ic;
          for (; i + 2 <= ic + mc; i += 2)
            rows_tile<2, 2>(kc_block, A + size_t(i) * lda + pc, lda, panel, b.panel, b.row, c + size_t(i) * ldc, ldc, accumulate);
          if (i < ic + mc)
            rows_tile<1, 2>(kc_block, A + size_t(i) * lda + pc, lda, panel, b.panel, b.row, c + size_t(i) * ldc, ldc, accumulate);
        }
        for (; p < n_panels; ++p) {  // an odd last whole panel, and a part panel
          const int j0 = p * kPanelWidth, nr = std::min(kPanelWidth, N - j0);
          const float* panel = b.data + size_t(p) * b.panel + size_t(pc) * b.row;
          for (int i = ic; i < ic + mc; i += MR) {
            const int mr = std::min(MR, ic + mc - i);
            const TileFn tile = nr <= 4 ? kTiles<false, true>[mr] : kTiles<false, false>[mr];
            tile(kc_block, A + size_t(i) * lda + pc, lda, panel, b.row, C + size_t(i) * ldc + j0, ldc,
                 nr, accumulate, false);
          }
        }
      }
    }
    return;
  }
  for (int ic = 0; ic < M; ic += MC) {
    const int mc = std::min(MC, M - ic);
    // Depth this block needs at most: with limit_k, up to its last row.
    const int k_block = causal == Causal::limit_k ? std::min(K, row0 + ic + mc) : K;
    for (int pc = 0; pc < k_block; pc += KC) {
      const int kc_block = std::min(KC, k_block - pc);
      for (int p = 0; p < n_panels; ++p) {
        const int j0 = p * kPanelWidth;
        const int nr = std::min(kPanelWidth, N - j0);
        for (int ir = ic; ir < ic + mc; ir += MR) {
          const int mr = std::min(MR, ic + mc - ir);
          const int first_row = row0 + ir, last_row = first_row + mr - 1;
          if (causal == Causal::limit_n && j0 > last_row) continue;
          // The tile's depth range [k_lo, k_hi) within this block.
          int k_lo = pc, k_hi = pc + kc_block;
          if (causal == Causal::limit_k) k_hi = std::min(k_hi, last_row + 1);
          if (causal == Causal::from_k) k_lo = std::max(k_lo, first_row);
          if (k_lo >= k_hi) continue;
          const float* panel = b.data + size_t(p) * b.panel + size_t(k_lo) * b.row;
          const TileFn tile =
              nr <= 4 ? kTiles<kTransposedA, true>[mr] : kTiles<kTransposedA, false>[mr];
          tile(k_hi - k_lo, a_at(ir, k_lo), lda, panel, b.row, c_at(ir, j0), ldc, nr,
               store == Store::accumulate || pc > 0, transposed_c);
        }
      }
    }
  }
}

void gemm_packed(int M, int N, int K, const float* A, int lda, const float* packed_b, float* C,
                 int ldc, Causal causal, int row0, Store store) {
  gemm_blocked<false>(M, N, K, A, lda, Panels::packed(packed_b, K), C, ldc, causal, row0, store);
}

void gemm_packed_at(int M, int N, int K, const float* At, int ldat, const float* packed_b,
                    float* C, int ldc, Causal causal, int row0, Store store) {
  gemm_blocked<true>(M, N, K, At, ldat, Panels::packed(packed_b, K), C, ldc, causal, row0, store);
}

// gemm_packed_ct for one or two columns (N = 1 or 2: the logits of a keystroke's one
// or two new tokens, logitsᵀ [N, V] = wte [V, C] · xᵀ). The blocked loops would give
// each row of A a tile of its own whose vectors hold x in one or two lanes and padding
// in the rest. Here each vector holds four rows of A instead, a 4 × 4 block of A
// transposed in registers, times x[k] splat, for each of the NC columns; G such groups
// at once keep G·NC chains of adds going. Every entry still sums its depth from zero in
// increasing order within each depth block of kc, and adds the blocks in order:
// gemm_blocked's bits.
template <int G, int NC>
static void rows_times_columns(int v0, int K, int KC, const float* A, int lda, const float* x,
                               float* c, int ldc) {
  auto xs = [&](int n, int k) { return wasm_v128_load32_splat(x + size_t(k) * kPanelWidth + n); };
  for (int pc = 0; pc < K; pc += KC) {
    const int end = std::min(K, pc + KC);
    v128_t acc[G][NC];
    for (int g = 0; g < G; ++g)
      for (int n = 0; n < NC; ++n) acc[g][n] = wasm_f32x4_splat(0.0f);
    int k = pc;
    for (; k + 4 <= end; k += 4)
      for (int g = 0; g < G; ++g) {
        const float* a = A + size_t(v0 + 4 * g) * lda + k;
        const v128_t r0 = wasm_v128_load(a), r1 = wasm_v128_load(a + lda);
        const v128_t r2 = wasm_v128_load(a + 2 * size_t(lda)), r3 = wasm_v128_load(a + 3 * size_t(lda));
        const v128_t lo01 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), lo23 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
        const v128_t hi01 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), hi23 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
        const v128_t column[4] = {wasm_i32x4_shuffle(lo01, lo23, 0, 1, 4, 5), wasm_i32x4_shuffle(lo01, lo23, 2, 3, 6, 7),
                                  wasm_i32x4_shuffle(hi01, hi23, 0, 1, 4, 5), wasm_i32x4_shuffle(hi01, hi23, 2, 3, 6, 7)};
        for (int n = 0; n < NC; ++n)
          for (int j = 0; j < 4; ++j) acc[g][n] = wasm_f32x4_add(acc[g][n], wasm_f32x4_mul(column[j], xs(n, k + j)));
      }
    for (; k < end; ++k)  // a depth block that is not a multiple of 4
      for (int g = 0; g < G; ++g) {
        const float* a = A + size_t(v0 + 4 * g) * lda + k;
        const v128_t column = wasm_f32x4_make(a[0], a[lda], a[2 * size_t(lda)], a[3 * size_t(lda)]);
        for (int n = 0; n < NC; ++n) acc[g][n] = wasm_f32x4_add(acc[g][n], wasm_f32x4_mul(column, xs(n, k)));
      }
    for (int g = 0; g < G; ++g)
      for (int n = 0; n < NC; ++n) {
        float* out = c + size_t(n) * ldc + v0 + 4 * g;
        if (pc > 0) acc[g][n] = wasm_f32x4_add(wasm_v128_load(out), acc[g][n]);
        wasm_v128_store(out, acc[g][n]);
      }
  }
}

void gemm_packed_ct(int M, int N, int K, const float* A, int lda, const float* packed_b,
                    float* Ct, int ldct) {
  if ((N == 1 || N == 2) && K > 0) {
    // Groups of 16 rows (one column) or 12 (two): 4 or 6 chains of adds.
    const int KC = std::max(1, gemm_config().kc), rows = N == 1 ? 16 : 12;
    int v = 0;
    for (; v + rows <= M; v += rows)
      if (N == 1) rows_times_columns<4, 1>(v, K, KC, A, lda, packed_b, Ct, ldct);
      else rows_times_columns<3, 2>(v, K, KC, A, lda, packed_b, Ct, ldct);
    for (; v + 4 <= M; v += 4)
      if (N == 1) rows_times_columns<1, 1>(v, K, KC, A, lda, packed_b, Ct, ldct);
      else rows_times_columns<1, 2>(v, K, KC, A, lda, packed_b, Ct, ldct);
    if (v < M)  // the last rows, fewer than four, as before
      gemm_blocked<false>(M - v, N, K, A + size_t(v) * lda, lda, Panels::packed(packed_b, K), Ct + v,
                          ldct, Causal::none, 0, Store::overwrite, /*transposed_c=*/true);
    return;
  }
  gemm_blocked<false>(M, N, K, A, lda, Panels::packed(packed_b, K), Ct, ldct, Causal::none, 0,
                      Store::overwrite, /*transposed_c=*/true);
}

// R rows of A (1 to 3) times B read in place, B's rows in order: a keystroke's new rows
// times a weight matrix as the model stores it. The tiles go a few panels down the
// depth, then the next few: in place, each depth step jumped a whole row of B (3 KB at
// d_model 768) to read 64-128 bytes of it, so every weight row was fetched piecewise,
// mostly from a new page. Here each depth step reads one row of B whole and adds it,
// times A's R values, into R rows of sums kept in memory (L1). Each depth block of kc
// is summed from zero and then added to C, as the tiles do: the same bits.
template <int R>
static void rows_down_b(int N, int K, int KC, const float* A, int lda, const float* B, int ldb,
                        float* C, int ldc) {
  std::vector<float> sums(static_cast<size_t>(R) * N);
  for (int pc = 0; pc < K; pc += KC) {
    std::fill(sums.begin(), sums.end(), 0.0f);
    for (int k = pc; k < std::min(K, pc + KC); ++k) {
      const float* w = B + size_t(k) * ldb;
      v128_t a[R];
      for (int r = 0; r < R; ++r) a[r] = wasm_v128_load32_splat(A + size_t(r) * lda + k);
      for (int j = 0; j < N; j += 4) {
        const v128_t wj = wasm_v128_load(w + j);
        for (int r = 0; r < R; ++r) {
          float* s = sums.data() + size_t(r) * N + j;
          wasm_v128_store(s, wasm_f32x4_add(wasm_v128_load(s), wasm_f32x4_mul(a[r], wj)));
        }
      }
    }
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < N; j += 4) {
        float* c = C + size_t(r) * ldc + j;
        const v128_t sum = wasm_v128_load(sums.data() + size_t(r) * N + j);
        wasm_v128_store(c, pc == 0 ? sum : wasm_f32x4_add(sum, wasm_v128_load(c)));
      }
  }
}

void gemm_b_in_place(int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                     float* C, int ldc) {
  if (N % kPanelWidth != 0)
    throw Error("gemm_b_in_place: N = " + std::to_string(N) + " is not a multiple of " +
                std::to_string(kPanelWidth));
  static_assert(kFewRows == 3, "rows_down_b is instantiated for 1 to 3 rows");
  if (M >= 1 && M <= kFewRows && K > 0) {
    const int KC = std::max(1, gemm_config().kc);
    if (M == 1) rows_down_b<1>(N, K, KC, A, lda, B, ldb, C, ldc);
    if (M == 2) rows_down_b<2>(N, K, KC, A, lda, B, ldb, C, ldc);
    if (M == 3) rows_down_b<3>(N, K, KC, A, lda, B, ldb, C, ldc);
    return;
  }
  gemm_blocked<false>(M, N, K, A, lda, Panels::in_place(B, ldb), C, ldc, Causal::none, 0,
                      Store::overwrite);
}

static std::vector<float>& scratch() {
  thread_local std::vector<float> buffer;  // per thread: callers may run on several
  return buffer;
}

void gemm(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C,
          int ldc) {
  std::vector<float>& packed = scratch();
  packed.resize(packed_size(K, N));
  pack_b(B, ldb, K, N, packed.data());
  gemm_packed(M, N, K, A, lda, packed.data(), C, ldc);
}

// exp of 4 lanes: x = n·ln2 + r with |r| <= ln2/2, exp(r) by the Cephes expf
// polynomial, 2^n by building the exponent bits. n is rounded with the 1.5·2^23 trick:
// adding it leaves round(x·log2e) in the low mantissa bits, so n's integer form is a
// plain integer subtraction (no float→int conversion, which V8 lowers to a long
// NaN-safe sequence).
static inline v128_t exp4(v128_t x) {
  const v128_t minus_inf = wasm_f32x4_splat(-std::numeric_limits<float>::infinity());
  const v128_t masked = wasm_f32x4_eq(x, minus_inf);
  const v128_t shifter = wasm_f32x4_splat(12582912.0f);  // 1.5 · 2^23
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, wasm_f32x4_splat(-87.3365f)), wasm_f32x4_splat(88.0f));
  const v128_t shifted = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)), shifter);
  const v128_t n = wasm_f32x4_sub(shifted, shifter);
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r);
  p = wasm_f32x4_add(p, wasm_f32x4_splat(1.0f));
  // shifted's bits are those of 1.5·2^23 plus n: subtracting them gives n as an integer.
  const v128_t n_int = wasm_i32x4_sub(shifted, shifter);
  const v128_t bits = wasm_i32x4_shl(wasm_i32x4_add(n_int, wasm_i32x4_splat(127)), 23);
  return wasm_v128_andnot(wasm_f32x4_mul(p, bits), masked);
}

void exp_vec(const float* in, float* out, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, exp4(wasm_v128_load(in + i)));
  if (i < n) {
    float tail[4] = {0, 0, 0, 0};
    std::memcpy(tail, in + i, sizeof(float) * (n - i));
    wasm_v128_store(tail, exp4(wasm_v128_load(tail)));
    std::memcpy(out + i, tail, sizeof(float) * (n - i));
  }
}

static inline float horizontal_max(v128_t v) {
  return std::max(std::max(wasm_f32x4_extract_lane(v, 0), wasm_f32x4_extract_lane(v, 1)),
                  std::max(wasm_f32x4_extract_lane(v, 2), wasm_f32x4_extract_lane(v, 3)));
}

static inline float horizontal_sum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

// One row: scaled = scale·scores over the visible prefix, then the softmax of it.
static void softmax_one_row(const float* scores, float* scaled, float* weights, int visible,
                            float scale) {
  const float neg_inf = -std::numeric_limits<float>::infinity();
  const v128_t s = wasm_f32x4_splat(scale);
  v128_t vmax = wasm_f32x4_splat(neg_inf);
  // Pass 1: scale (into `scaled`, or straight into `weights` when it is not kept).
  float* stage = scaled ? scaled : weights;
  int j = 0;
  for (; j + 4 <= visible; j += 4) {
    const v128_t v = wasm_f32x4_mul(wasm_v128_load(scores + j), s);
    wasm_v128_store(stage + j, v);
    vmax = wasm_f32x4_pmax(vmax, v);
  }
  float max = horizontal_max(vmax);
  for (; j < visible; ++j) {
    stage[j] = scores[j] * scale;
    max = std::max(max, stage[j]);
  }
  if (!(max > neg_inf)) {  // nothing visible is finite: all zeros, never NaN
    std::fill(weights, weights + visible, 0.0f);
    return;
  }
  // Pass 2: exponentials of (scaled - max) and their sum, 4 partial sums per lane.
  const v128_t vm = wasm_f32x4_splat(max);
  v128_t vsum = wasm_f32x4_splat(0.0f);
  j = 0;
  for (; j + 4 <= visible; j += 4) {
    const v128_t e = exp4(wasm_f32x4_sub(wasm_v128_load(stage + j), vm));
    wasm_v128_store(weights + j, e);
    vsum = wasm_f32x4_add(vsum, e);
  }
  float sum = horizontal_sum(vsum);
  if (j < visible) {
    float tail[4] = {neg_inf, neg_inf, neg_inf, neg_inf};
    for (int t = 0; j + t < visible; ++t) tail[t] = stage[j + t] - max;
    wasm_v128_store(tail, exp4(wasm_v128_load(tail)));
    for (int t = 0; j + t < visible; ++t) {
      weights[j + t] = tail[t];
      sum += tail[t];
    }
  }
  // Pass 3: normalise. sum >= 1: the max entry contributes exp(0).
  const v128_t inv = wasm_f32x4_splat(1.0f / sum);
  j = 0;
  for (; j + 4 <= visible; j += 4)
    wasm_v128_store(weights + j, wasm_f32x4_mul(wasm_v128_load(weights + j), inv));
  const float inv_s = 1.0f / sum;
  for (; j < visible; ++j) weights[j] *= inv_s;
}

void scale_softmax_rows(float* scores, int ld_scores, float* scaled, int ld_scaled, float* weights,
                        int ld_weights, int rows, int row0, int cols, float scale, bool causal) {
  for (int i = 0; i < rows; ++i) {
    const int visible = causal ? std::min(row0 + i + 1, cols) : cols;
    float* s = scores + size_t(i) * ld_scores;
    float* sc = scaled ? scaled + size_t(i) * ld_scaled : nullptr;
    float* w = weights + size_t(i) * ld_weights;
    softmax_one_row(s, sc, w, visible, scale);
    const size_t masked = size_t(cols - visible) * sizeof(float);
    if (masked) {
      std::memset(s + visible, 0, masked);
      if (sc) std::memset(sc + visible, 0, masked);
      std::memset(w + visible, 0, masked);
    }
  }
}

void softmax_backward_rows(const float* weights, int ld_weights, float* d, int ld_d, int rows,
                           int row0, int cols, float scale, bool causal) {
  for (int i = 0; i < rows; ++i) {
    const int visible = causal ? std::min(row0 + i + 1, cols) : cols;
    const float* w = weights + size_t(i) * ld_weights;
    float* g = d + size_t(i) * ld_d;
    // Σ w·d over the visible prefix: 4 partial sums per lane, then the tail, in order.
    v128_t vdot = wasm_f32x4_splat(0.0f);
    int j = 0;
    for (; j + 4 <= visible; j += 4)
      vdot = wasm_f32x4_add(vdot, wasm_f32x4_mul(wasm_v128_load(w + j), wasm_v128_load(g + j)));
    float dot = horizontal_sum(vdot);
    for (; j < visible; ++j) dot += w[j] * g[j];
    const v128_t vd = wasm_f32x4_splat(dot), vs = wasm_f32x4_splat(scale);
    j = 0;
    for (; j + 4 <= visible; j += 4) {
      const v128_t sw = wasm_f32x4_mul(vs, wasm_v128_load(w + j));
      wasm_v128_store(g + j, wasm_f32x4_mul(sw, wasm_f32x4_sub(wasm_v128_load(g + j), vd)));
    }
    for (; j < visible; ++j) g[j] = scale * w[j] * (g[j] - dot);
    std::fill(g + visible, g + cols, 0.0f);
  }
}

float peak_mul_add(int iterations, float seed) {
  // 13 independent chains acc = acc + acc·c: each step one mul and one add per chain.
  // A chain step takes a mul's plus an add's latency, so keeping both multiply and both
  // add pipes busy needs 12 chains in flight; 13 leaves slack (measured in Node: 12
  // chains median 62 GFLOP/s, 13 chains 65, 14 spill out of V8's 15 usable registers
  // and fall to 30). c is so small that acc·c is below half an ulp of acc: the values
  // stay put and normal.
  constexpr int kChains = 13;
  const v128_t c = wasm_f32x4_splat(seed * 1e-9f);
  v128_t a[kChains];
  for (int i = 0; i < kChains; ++i) a[i] = wasm_f32x4_splat(seed + float(i));
  for (int n = 0; n < iterations; ++n)
    for (int i = 0; i < kChains; ++i) a[i] = wasm_f32x4_add(a[i], wasm_f32x4_mul(a[i], c));
  v128_t total = a[0];
  for (int i = 1; i < kChains; ++i) total = wasm_f32x4_add(total, a[i]);
  return horizontal_sum(total);
}

}  // namespace kernels
}  // namespace llmsim
