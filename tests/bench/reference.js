// A careful hand-written JS causal multi-head attention layer: typed arrays only, no
// allocation after the first call, loops ordered for contiguous inner access,
// 4-row register blocking in the projections, the masked half skipped. It is both
// a competitor in the benchmark and the reference the correctness tests compare to.

export class JsAttention {
  constructor({ T, d, H }) {
    this.T = T;
    this.d = d;
    this.H = H;
    this.dk = d / H;
    const n = T * d;
    this.q = new Float32Array(n);   // per head [H][T][dk], so a head's rows are contiguous
    this.k = new Float32Array(n);
    this.v = new Float32Array(n);
    this.concat = new Float32Array(n);  // [T, d]
    this.out = new Float32Array(n);
    this.row = new Float32Array(T);
  }

  // out [M, N] = a [M, K] · b [K, N]; 4 rows of a at a time share each row of b.
  static matmul(a, b, out, M, K, N) {
    out.fill(0, 0, M * N);
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      const o0 = i * N, o1 = o0 + N, o2 = o1 + N, o3 = o2 + N;
      for (let p = 0; p < K; p++) {
        const a0 = a[i * K + p], a1 = a[(i + 1) * K + p], a2 = a[(i + 2) * K + p], a3 = a[(i + 3) * K + p];
        const bp = p * N;
        for (let j = 0; j < N; j++) {
          const bv = b[bp + j];
          out[o0 + j] += a0 * bv;
          out[o1 + j] += a1 * bv;
          out[o2 + j] += a2 * bv;
          out[o3 + j] += a3 * bv;
        }
      }
    }
    for (; i < M; i++) {
      const o = i * N;
      for (let p = 0; p < K; p++) {
        const av = a[i * K + p], bp = p * N;
        for (let j = 0; j < N; j++) out[o + j] += av * b[bp + j];
      }
    }
  }

  // Splits x·W [T, d] into heads: dst[h][t][c] = src[t][h·dk + c].
  splitHeads(src, dst) {
    const { T, d, H, dk } = this;
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) {
        const from = t * d + h * dk, to = (h * T + t) * dk;
        for (let c = 0; c < dk; c++) dst[to + c] = src[from + c];
      }
  }

  forward({ x, wq, wk, wv, wo }) {
    const { T, d, H, dk, q, k, v, concat, out, row } = this;
    const scale = 1 / Math.sqrt(dk);
    for (const [w, dst] of [[wq, q], [wk, k], [wv, v]]) {
      JsAttention.matmul(x, w, out, T, d, d);  // `out` as scratch
      this.splitHeads(out, dst);
    }
    for (let h = 0; h < H; h++) {
      const base = h * T * dk;
      for (let i = 0; i < T; i++) {
        // scores over the visible keys 0..i, scaled, softmaxed
        const qi = base + i * dk;
        let max = -Infinity;
        for (let j = 0; j <= i; j++) {
          const kj = base + j * dk;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0, c = 0;
          for (; c + 4 <= dk; c += 4) {
            s0 += q[qi + c] * k[kj + c];
            s1 += q[qi + c + 1] * k[kj + c + 1];
            s2 += q[qi + c + 2] * k[kj + c + 2];
            s3 += q[qi + c + 3] * k[kj + c + 3];
          }
          for (; c < dk; c++) s0 += q[qi + c] * k[kj + c];
          const s = Math.fround(s0 + s1 + s2 + s3) * scale;
          row[j] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let j = 0; j <= i; j++) {
          const e = Math.exp(row[j] - max);
          row[j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        // weights · v into this head's slice of concat
        const o = i * d + h * dk;
        for (let c = 0; c < dk; c++) concat[o + c] = 0;
        for (let j = 0; j <= i; j++) {
          const w = row[j] * inv, vj = base + j * dk;
          for (let c = 0; c < dk; c++) concat[o + c] += w * v[vj + c];
        }
      }
    }
    JsAttention.matmul(concat, wo, out, T, d, d);
    return out;
  }
}
