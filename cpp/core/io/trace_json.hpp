// The Trace as JSON, the shape the CLI prints and the tests compare:
// {"tokens": [...], "ids": [...], "spans": [[begin, end], ...], "n_input_tokens": N,
//  "warning": "...", "causal": b, "scaled": b, "scale": s,
//  "layers": [{"heads": [{"weights": [[...]], "scores": [[...]], "scaled": [[...]],
//                         "q": [[...]], "k": [[...]], "v": [[...]], "output": [[...]]}],
//              "concat": [[...]], "output": [[...]]}],
//  "top_k": [{"id", "text", "probability"}]}
#pragma once
#include <nlohmann/json.hpp>

#include "trace.hpp"

namespace llmsim {

nlohmann::json matrix_to_json(const Matrix& m);
nlohmann::json trace_to_json(const Trace& trace);
// Everything but the matrices, plus the shapes: what the page needs to lay out.
nlohmann::json trace_to_json_summary(const Trace& trace);

}  // namespace llmsim
