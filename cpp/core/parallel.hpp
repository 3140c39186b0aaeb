// Loops the native build spreads over threads with OpenMP (the WASM build runs them
// on one thread). Only work whose results land in disjoint places is split, so a
// result never depends on the number of threads or on their scheduling.
#pragma once
#ifdef _OPENMP
#include <omp.h>
#endif

namespace llmsim {

inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// The thread count of every later parallel loop and of Eigen's GEMMs.
inline void set_threads(int n) {
#ifdef _OPENMP
  omp_set_num_threads(n);
#else
  (void)n;
#endif
}

inline int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// f(i) for i in [0, n), iterations independent of each other.
template <class F>
void parallel_for(int n, F&& f) {
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
  for (int i = 0; i < n; ++i) f(i);
}

// f(begin, end) over [0, n) in blocks of `block` rows: fewer, larger tasks for cheap
// per-row work, so each thread runs vectorised code over contiguous memory.
template <class F>
void parallel_blocks(int n, int block, F&& f) {
  const int n_blocks = (n + block - 1) / block;
  parallel_for(n_blocks, [&](int i) {
    const int begin = i * block;
    f(begin, begin + block < n ? begin + block : n);
  });
}

}  // namespace llmsim
