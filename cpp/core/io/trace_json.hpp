// The Trace as JSON, the shape the CLI prints and the tests compare:
// {"tokens": [...], "ids": [...], "spans": [[begin, end], ...], "n_input_tokens": N,
//  "warning": "...", "causal": b, "scaled": b, "scale": s,
//  "layers": [{"heads": [{"weights": [[...]], "scores": [[...]], "scaled": [[...]],
//                         "q": [[...]], "k": [[...]], "v": [[...]], "output": [[...]],
//                         "value_norms": [...], "contributions": [[...]]}],
//              "concat": [[...]], "output": [[...]]}],
//  "top_k": [{"id", "text", "raw", "probability"}]}
#pragma once
#include <vector>

#include <nlohmann/json.hpp>

#include "trace.hpp"

namespace llmsim {

nlohmann::json matrix_to_json(const Matrix& m);
// Predictions as every command and the page show them: [{"id", "text" (display form),
// "raw" (the token's own text), "probability"}], in the key order of Json's kind.
template <class Json>
Json predictions_to_json(const std::vector<Prediction>& predictions) {
  Json list = Json::array();
  for (const Prediction& p : predictions)
    list.push_back({{"id", p.id}, {"text", p.text}, {"raw", p.raw}, {"probability", p.probability}});
  return list;
}
nlohmann::json trace_to_json(const Trace& trace);
// Everything but the matrices, plus the shapes: what the page needs to lay out.
nlohmann::json trace_to_json_summary(const Trace& trace);

}  // namespace llmsim
