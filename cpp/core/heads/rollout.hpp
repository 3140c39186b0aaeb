// Attention rollout (Abnar & Zuidema, ACL 2020): which input tokens a position draws
// on through all the layers, not only through the last one. Each layer mixes the
// residual stream by its attention and also passes it on unchanged, so the layer's
// mixing is taken as half attention, half identity, and the layers are chained:
//
//   Â_l = (A_l + I) / 2           [T, T]   A_l: layer l's weights, the mean over its
//                                          heads, or one head chosen for the path
//   R_0 = Â_0,  R_l = Â_l · R_{l−1} [T, T]  R_l[i, j]: how much position i after layer l
//                                          draws on input token j
//
// Each row of R_l sums to 1 (each Â_l is row-stochastic). It reads the Trace alone. A
// simplification, as its authors say: it ignores the MLPs and what the values carry.
#pragma once
#include <vector>

#include "matrix.hpp"
#include "trace.hpp"

namespace llmsim {

// R_layer for `trace`. path: empty, or one entry per layer 0..layer, each a head of
// that layer or −1 for the mean of its heads. Error for a layer or head the trace lacks.
Matrix attention_rollout(const Trace& trace, int layer, const std::vector<int>& path = {});

}  // namespace llmsim
