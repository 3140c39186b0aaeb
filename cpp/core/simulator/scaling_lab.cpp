#include "simulator/scaling_lab.hpp"

#include <cmath>
#include <string>

#include "error.hpp"
#include "io/json_number.hpp"
#include "model/softmax.hpp"
#include "rng.hpp"
#include "utf8.hpp"

namespace llmsim {

double softmax_jacobian_norm(const std::vector<float>& p) {
  double diagonal = 0, sum_p2 = 0, sum_p4 = 0;
  for (float w : p) {
    diagonal += double(w) * w * (1.0 - w) * (1.0 - w);  // entries p_i (1 - p_i), squared
    sum_p2 += double(w) * w;
    sum_p4 += double(w) * w * w * w;
  }
  // Off-diagonal entries are -p_i p_j: their squares sum to (Σp²)² - Σp⁴.
  return std::sqrt(std::max(0.0, diagonal + sum_p2 * sum_p2 - sum_p4));
}

// Adds one softmax distribution's entropy, max weight and Jacobian norm to `acc`.
static void accumulate_softmax_stats(const std::vector<float>& p, ScalingStats& acc) {
  double entropy = 0, max_weight = 0;
  for (float w : p) {
    if (w > 0) entropy -= w * std::log(double(w));
    max_weight = std::max(max_weight, double(w));
  }
  acc.entropy += entropy / std::log(double(p.size()));
  acc.max_weight += max_weight;
  acc.jacobian_norm += softmax_jacobian_norm(p);
}

ScalingRequest parse_scaling_request(const std::string& request_json) {
  const nlohmann::json request = nlohmann::json::parse(request_json, nullptr, false);
  if (!request.is_object()) throw Error("scaling lab: the request must be a JSON object");
  ScalingRequest r;
  for (const auto& [key, value] : request.items()) {
    if (key == "d_ks") {
      if (!value.is_array() || value.empty() || value.size() > 64)
        throw Error("scaling lab: \"d_ks\" must be a list of 1 to 64 key widths");
      r.d_ks.clear();
      for (const auto& d_k : value) r.d_ks.push_back(json_int(d_k, "scaling lab: d_k", 1, 4096));
    } else if (key == "n_keys") {
      r.n_keys = json_int(value, "scaling lab: \"n_keys\"", 2, 4096);
    } else if (key == "draws") {
      r.draws = json_int(value, "scaling lab: \"draws\"", 1, 100000);
    } else if (key == "seed") {
      if (!value.is_number_unsigned()) throw Error("scaling lab: \"seed\" must be a non-negative integer");
      r.seed = value.get<uint64_t>();
    } else {
      throw Error("scaling lab: unknown field \"" + utf8_cut(key, 40) + "\" (known: d_ks, n_keys, draws, seed)");
    }
  }
  return r;
}

std::vector<ScalingPoint> scaling_experiment(const std::vector<int>& d_ks, int n_keys, int draws,
                                             uint64_t seed) {
  if (n_keys < 2 || n_keys > 4096) throw Error("scaling lab: n_keys must be 2..4096");
  if (draws < 1 || draws > 100000) throw Error("scaling lab: draws must be 1..100000");
  std::vector<ScalingPoint> points;
  for (int d_k : d_ks) {
    if (d_k < 1 || d_k > 4096)
      throw Error("scaling lab: d_k must be 1..4096, got " + std::to_string(d_k));
    Rng rng(seed ^ (uint64_t(d_k) * 0x9e3779b97f4a7c15ULL));
    const double scale = 1.0 / std::sqrt(double(d_k));
    ScalingPoint point;
    point.d_k = d_k;
    double sum = 0, sum_sq = 0;
    std::vector<float> raw(n_keys), scaled(n_keys), p(n_keys);
    for (int draw = 0; draw < draws; ++draw) {
      const Matrix q = rng.normal_matrix(1, d_k, 1.0f);       // [1, d_k]
      const Matrix k = rng.normal_matrix(n_keys, d_k, 1.0f);  // [n_keys, d_k]
      const Matrix s = q * k.transpose();                      // [1, n_keys]
      for (int j = 0; j < n_keys; ++j) {
        raw[j] = s(0, j);
        scaled[j] = float(s(0, j) * scale);
        sum += s(0, j);
        sum_sq += double(s(0, j)) * s(0, j);
      }
      softmax_row(raw.data(), p.data(), n_keys, n_keys);
      accumulate_softmax_stats(p, point.unscaled);
      softmax_row(scaled.data(), p.data(), n_keys, n_keys);
      accumulate_softmax_stats(p, point.scaled);
    }
    const double n = double(draws) * n_keys, mean = sum / n;
    point.unscaled.score_variance = sum_sq / n - mean * mean;
    point.scaled.score_variance = point.unscaled.score_variance * scale * scale;
    for (ScalingStats* s : {&point.unscaled, &point.scaled}) {
      s->entropy /= draws;
      s->max_weight /= draws;
      s->jacobian_norm /= draws;
    }
    points.push_back(point);
  }
  return points;
}

static nlohmann::json stats_to_json(const ScalingStats& s) {
  return {{"score_variance", s.score_variance}, {"entropy", s.entropy},
          {"max_weight", s.max_weight}, {"jacobian_norm", s.jacobian_norm}};
}

nlohmann::json scaling_points_to_json(const std::vector<ScalingPoint>& points) {
  nlohmann::json list = nlohmann::json::array();
  for (const ScalingPoint& p : points)
    list.push_back({{"d_k", p.d_k}, {"unscaled", stats_to_json(p.unscaled)},
                    {"scaled", stats_to_json(p.scaled)}});
  return {{"points", list}};
}

}  // namespace llmsim
