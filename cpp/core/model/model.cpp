#include "model/model.hpp"

#include "error.hpp"

namespace llmsim {

void begin_trace(Trace& trace, int n_layer, int n_head, int d_model, const ModelRun& run) {
  if (!run.ablation.empty() && int(run.ablation.size()) != n_layer)
    throw Error("ablation: " + std::to_string(run.ablation.size()) + " layers given, the model has " +
                std::to_string(n_layer));
  trace.n_layer = n_layer;
  trace.n_head = n_head;
  trace.d_model = d_model;
  trace.causal = run.attention.causal;
  trace.scaled = run.attention.scale;
  trace.scale = attention_scale(d_model / n_head, run.attention.scale);
}

void Model::check_layer(int layer) const {
  if (layer < 0 || layer >= n_layer())
    throw Error("layer " + std::to_string(layer) + " does not exist (the model has " +
                std::to_string(n_layer()) + " layers)");
}

}  // namespace llmsim
