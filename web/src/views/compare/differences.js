// What the compare view computes from two attention matrices: which tokens they share,
// and B − A over them. Plain data in, plain data out (no page, no engine).

// How many leading tokens two token lists share (the same text up to there gives the
// same tokens; a causal model also gives the same attention rows for them).
export function sharedPrefix(a, b) {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

// B − A over the first n tokens of each: a and b are [Ta, Ta] and [Tb, Tb] row-major,
// n ≤ both. Returns { data: Float32Array [n, n], limit: the largest |difference| seen
// by a visible cell (at least 1e-6), largest: { query, key, value } or null, meanAbs }.
// Cells a causal model masks (key after query) are left out of the statistics.
export function differenceOf(a, Ta, b, Tb, n, causal) {
  const data = new Float32Array(n * n);
  let limit = 1e-6, largest = null, sum = 0, cells = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const d = b[i * Tb + j] - a[i * Ta + j];
      data[i * n + j] = d;
      if (causal && j > i) continue;
      sum += Math.abs(d);
      cells += 1;
      if (Math.abs(d) > limit) { limit = Math.abs(d); largest = { query: i, key: j, value: d }; }
    }
  }
  return { data, limit, largest, meanAbs: cells ? sum / cells : 0 };
}
