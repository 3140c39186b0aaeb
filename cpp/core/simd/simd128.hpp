// WebAssembly SIMD128, the subset the kernels use.
//
// In the WASM build this is <wasm_simd128.h> itself. Natively it is a stand-in made
// of GCC/Clang vector extensions with the same semantics lane by lane (IEEE float
// mul/add/sub, no fused multiply-add), so that the Catch2 tests run the very kernel
// source that ships in the browser. The native *product* never uses it: attention.cpp
// keeps Eigen's kernels there.
#pragma once

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#else
#include <cmath>
#include <cstdint>
#include <cstring>

typedef float llmsim_f32x4 __attribute__((vector_size(16)));
typedef int32_t llmsim_i32x4 __attribute__((vector_size(16)));
typedef llmsim_f32x4 v128_t;

static inline v128_t wasm_v128_load(const void* p) {
  v128_t v;
  std::memcpy(&v, p, 16);
  return v;
}
static inline void wasm_v128_store(void* p, v128_t v) { std::memcpy(p, &v, 16); }
static inline v128_t wasm_f32x4_splat(float x) { return v128_t{x, x, x, x}; }
static inline v128_t wasm_v128_load32_splat(const void* p) {
  float x;
  std::memcpy(&x, p, 4);
  return wasm_f32x4_splat(x);
}
static inline v128_t wasm_f32x4_make(float a, float b, float c, float d) { return v128_t{a, b, c, d}; }
static inline v128_t wasm_f32x4_add(v128_t a, v128_t b) { return a + b; }
static inline v128_t wasm_f32x4_sub(v128_t a, v128_t b) { return a - b; }
static inline v128_t wasm_f32x4_mul(v128_t a, v128_t b) { return a * b; }
static inline v128_t wasm_f32x4_div(v128_t a, v128_t b) { return a / b; }
// pmax/pmin: "b < a ? a : b" lane by lane, exactly as the WASM pseudo-min/max.
static inline v128_t wasm_f32x4_pmax(v128_t a, v128_t b) {
  v128_t r;
  for (int i = 0; i < 4; ++i) r[i] = a[i] < b[i] ? b[i] : a[i];
  return r;
}
static inline v128_t wasm_f32x4_pmin(v128_t a, v128_t b) {
  v128_t r;
  for (int i = 0; i < 4; ++i) r[i] = b[i] < a[i] ? b[i] : a[i];
  return r;
}
static inline float wasm_f32x4_extract_lane_impl(v128_t a, int i) { return a[i]; }
#define wasm_f32x4_extract_lane(a, i) wasm_f32x4_extract_lane_impl((a), (i))
static inline v128_t wasm_i32x4_add(v128_t a, v128_t b) {
  return (v128_t)((llmsim_i32x4)a + (llmsim_i32x4)b);
}
static inline v128_t wasm_i32x4_sub(v128_t a, v128_t b) {
  return (v128_t)((llmsim_i32x4)a - (llmsim_i32x4)b);
}
static inline v128_t wasm_i32x4_splat(int32_t x) { return (v128_t)(llmsim_i32x4{x, x, x, x}); }
static inline v128_t wasm_i32x4_shl(v128_t a, int n) { return (v128_t)((llmsim_i32x4)a << n); }
static inline v128_t wasm_f32x4_eq(v128_t a, v128_t b) { return (v128_t)(a == b); }
static inline v128_t wasm_v128_andnot(v128_t a, v128_t b) {
  return (v128_t)((llmsim_i32x4)a & ~(llmsim_i32x4)b);
}
// Lanes c0..c3 of a's lanes followed by b's (0–3 a, 4–7 b), bits moved as they are.
static inline v128_t llmsim_i32x4_shuffle(v128_t a, v128_t b, int c0, int c1, int c2, int c3) {
  llmsim_i32x4 lanes[2];
  std::memcpy(&lanes[0], &a, 16);
  std::memcpy(&lanes[1], &b, 16);
  const llmsim_i32x4 out = {lanes[c0 / 4][c0 % 4], lanes[c1 / 4][c1 % 4], lanes[c2 / 4][c2 % 4],
                            lanes[c3 / 4][c3 % 4]};
  v128_t v;
  std::memcpy(&v, &out, 16);
  return v;
}
#define wasm_i32x4_shuffle(a, b, c0, c1, c2, c3) llmsim_i32x4_shuffle((a), (b), (c0), (c1), (c2), (c3))
#endif
