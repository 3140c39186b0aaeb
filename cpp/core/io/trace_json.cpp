#include "io/trace_json.hpp"

namespace llmsim {

using nlohmann::json;

json matrix_to_json(const Matrix& m) {
  json rows = json::array();
  for (int r = 0; r < m.rows(); ++r) {
    json row = json::array();
    for (int c = 0; c < m.cols(); ++c) row.push_back(m(r, c));
    rows.push_back(std::move(row));
  }
  return rows;
}

json trace_to_json_summary(const Trace& trace) {
  json j;
  j["model_name"] = trace.model_name;
  j["has_vocabulary"] = trace.has_vocabulary;
  j["tokens"] = trace.tokens;
  j["ids"] = trace.ids;
  json spans = json::array();
  for (const TokenSpan& s : trace.spans) spans.push_back({s.begin, s.end});
  j["spans"] = spans;
  j["n_input_tokens"] = trace.n_input_tokens;
  j["warning"] = trace.warning;
  j["causal"] = trace.causal;
  j["scaled"] = trace.scaled;
  j["scale"] = trace.scale;
  j["n_layer"] = trace.n_layer;
  j["n_head"] = trace.n_head;
  j["d_model"] = trace.d_model;
  j["d_k"] = trace.n_head == 0 ? 0 : trace.d_model / trace.n_head;
  j["top_k"] = predictions_to_json<json>(trace.top_k);
  j["loss"] = trace.loss >= 0 ? json(trace.loss) : json(nullptr);
  if (trace.ablated)
    j["baseline"] = {{"loss", trace.baseline.loss}, {"top_k", predictions_to_json<json>(trace.baseline.top_k)}};
  return j;
}

json trace_to_json(const Trace& trace) {
  json j = trace_to_json_summary(trace);
  json layers = json::array();
  for (const LayerTrace& layer : trace.layers) {
    json heads = json::array();
    for (const HeadTrace& h : layer.heads) {
      heads.push_back({{"weights", matrix_to_json(h.weights)},
                       {"scores", matrix_to_json(h.scores)},
                       {"scaled", matrix_to_json(h.scaled)},
                       {"q", matrix_to_json(h.q)},
                       {"k", matrix_to_json(h.k)},
                       {"v", matrix_to_json(h.v)},
                       {"output", matrix_to_json(h.output)},
                       {"value_norms", std::vector<float>(h.value_norms.data(), h.value_norms.data() + h.value_norms.size())},
                       {"contributions", matrix_to_json(h.contributions)}});
    }
    layers.push_back({{"heads", heads},
                      {"concat", matrix_to_json(layer.concat)},
                      {"output", matrix_to_json(layer.output)}});
  }
  j["layers"] = layers;
  return j;
}

}  // namespace llmsim
