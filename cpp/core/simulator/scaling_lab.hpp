// The sqrt(d_k) lab: why attention divides its scores by sqrt(d_k), measured.
//
// For a key dimension d_k we draw a query q and n_keys keys k_j with independent
// N(0, 1) entries, score s_j = q·k_j (optionally divided by sqrt(d_k)) and take the
// softmax p = softmax(s). Over many draws we report:
//   - the variance of the scores: d_k without scaling, 1 with it;
//   - the softmax's normalised entropy H(p) / log(n_keys) and its largest weight:
//     without scaling the softmax saturates towards one-hot as d_k grows;
//   - the Frobenius norm of the softmax Jacobian dp/ds = diag(p) - p·pᵀ: it is the
//     gradient that flows back through the softmax, and it vanishes when saturated.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmsim {

struct ScalingStats {
  double score_variance = 0;
  double entropy = 0;        // normalised to [0, 1]
  double max_weight = 0;
  double jacobian_norm = 0;  // ||diag(p) - p pᵀ||_F, averaged over draws
};

struct ScalingPoint {
  int d_k = 0;
  ScalingStats unscaled, scaled;
};

// ||diag(p) - p pᵀ||_F for a probability vector p.
double softmax_jacobian_norm(const std::vector<float>& p);

// One point per d_k; the same random draws serve both the scaled and unscaled
// columns, so their difference is the scaling alone.
std::vector<ScalingPoint> scaling_experiment(const std::vector<int>& d_ks, int n_keys, int draws,
                                             uint64_t seed);

// What a request to the lab asks for: {"d_ks": [...], "n_keys": 16, "draws": 200,
// "seed": 1}, every field optional. parse_scaling_request checks kinds and ranges
// (a page may send anything) and throws Error naming the bad field.
struct ScalingRequest {
  std::vector<int> d_ks{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  int n_keys = 16;
  int draws = 200;
  uint64_t seed = 1;
};
ScalingRequest parse_scaling_request(const std::string& request_json);

// {"points": [{"d_k": 8, "unscaled": {"score_variance", "entropy", "max_weight",
//   "jacobian_norm"}, "scaled": {...}}, ...]}
nlohmann::json scaling_points_to_json(const std::vector<ScalingPoint>& points);

}  // namespace llmsim
