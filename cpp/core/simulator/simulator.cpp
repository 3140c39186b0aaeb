#include "simulator/simulator.hpp"

#include "error.hpp"
#include "heads/ablation.hpp"

namespace llmsim {

// The per-layer ablation vectors of a run: the heads options.ablate names, switched off
// by zeros or by their mean output on the model's probes.
static HeadAblations ablations_for(const Model& model, const RunOptions& options,
                                   ModelRegistry& registry) {
  if (options.ablate.empty()) return {};
  std::vector<HeadId> heads;
  for (const auto& [layer, head] : options.ablate) {
    if (layer >= model.n_layer() || head >= model.n_head())
      throw Error("head " + std::to_string(layer) + "." + std::to_string(head) +
                  " does not exist (the model has " + std::to_string(model.n_layer()) +
                  " layers of " + std::to_string(model.n_head()) + " heads)");
    heads.push_back({layer, head});
  }
  const AblationMode mode = parse_ablation_mode(options.ablate_mode);
  const HeadMeans* means = mode == AblationMode::mean ? &registry.head_means(options.model) : nullptr;
  return make_ablations(model.n_layer(), model.n_head(), heads, mode, means);
}

// Whether a run with `next` may reuse the rows of the run with `last` (the same model
// is checked by id): the same scaling, the same heads switched off in the same way,
// causal.
static bool same_forward(const RunOptions& last, const RunOptions& next) {
  return last.scale == next.scale && last.causal && next.causal && last.ablate == next.ablate &&
         (last.ablate.empty() || last.ablate_mode == next.ablate_mode);
}

static RunOptions every_head_on(RunOptions options) {
  options.ablate.clear();
  return options;
}

const Trace& Simulator::run(const std::string& text, const RunOptions& options) {
  const ModelHandle handle = registry_.model(options);
  const Model& model = *handle.model;
  ModelRun run;
  run.attention = AttentionOptions{options.scale, options.causal};
  run.top_k = options.top_k;
  run.temperature = options.temperature;
  run.predict = options.predict;
  run.ablation = ablations_for(model, options, registry_);

  const bool incremental = last_run_ && last_model_id_ == handle.id && same_forward(*last_run_, options);
  const bool ablating = !run.ablation.empty();
  const bool baseline_incremental = baseline_run_ && baseline_model_id_ == handle.id &&
                                    same_forward(*baseline_run_, every_head_on(options));
  last_run_.reset();  // the traces are in flux until this run has finished
  if (ablating) baseline_run_.reset();
  last_model_ = options.model;
  last_handle_ = handle;

  model.run_into(text, run, trace_, incremental);
  trace_.model_name = options.model;
  trace_.ablated = false;
  trace_.baseline = Baseline{};
  if (ablating) {
    // the same text with every head on, to compare against
    run.ablation.clear();
    model.run_into(text, run, baseline_trace_, baseline_incremental);
    trace_.ablated = true;
    trace_.baseline.top_k = baseline_trace_.top_k;
    trace_.baseline.loss = baseline_trace_.loss;
    baseline_run_ = every_head_on(options);
    baseline_model_id_ = handle.id;
  }
  last_run_ = options;
  last_model_id_ = handle.id;
  return trace_;
}

const AttentionWeights& Simulator::attention_weights(int layer) const {
  if (!last_handle_.model) throw Error("run the model before reading its weights");
  if (last_model_ != "random" && registry_.current_id(last_model_) != last_handle_.id)
    throw Error("the model \"" + last_model_ + "\" was replaced since the last run: run it again");
  return last_handle_.model->attention_weights(layer);
}

}  // namespace llmsim
