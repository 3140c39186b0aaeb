#include "simulator/model_registry.hpp"

#include "error.hpp"
#include "heads/analysis.hpp"
#include "heads/gpt_head_model.hpp"
#include "utf8.hpp"

namespace llmsim {

LoadedModel::LoadedModel(std::string name, std::string title, std::shared_ptr<const Gpt> gpt,
                         uint64_t id)
    : name_(std::move(name)), title_(std::move(title)), id_(id), gpt_(std::move(gpt)),
      head_model_(gpt_head_model(*gpt_)) {}

const HeadMeans& LoadedModel::head_means(const Probes& probes) {
  if (!means_) means_ = std::make_unique<HeadMeans>(head_mean_outputs(head_model_, probe_texts(probes)));
  return *means_;
}

const std::vector<HeadReport>& LoadedModel::head_reports(const Probes& probes) {
  if (!reports_)
    reports_ = std::make_unique<std::vector<HeadReport>>(analyse_heads(head_model_, probes, ""));
  return *reports_;
}

void LoadedModel::forget_analysis() {
  means_.reset();
  reports_.reset();
}

void ModelRegistry::load(const std::string& name, const std::string& title,
                         const std::string& config_json, const std::string& tokenizer_json,
                         const std::string& weights) {
  add(name, title, Gpt::from_bytes(config_json, tokenizer_json,
                                   reinterpret_cast<const uint8_t*>(weights.data()), weights.size()));
}

void ModelRegistry::add(const std::string& name, const std::string& title, Gpt gpt) {
  if (name.empty() || name == "random" || name.size() > 32)
    throw Error("a model needs a name of 1-32 characters other than \"random\"");
  models_[name] = std::make_unique<LoadedModel>(name, title.empty() ? name : title,
                                                std::make_shared<const Gpt>(std::move(gpt)), ++loads_);
}

ModelHandle ModelRegistry::model(const RunOptions& options) {
  if (options.model != "random") {
    const LoadedModel& loaded = get(options.model);
    return {loaded.shared_gpt(), loaded.id()};
  }
  const RandomModelConfig config{options.d_model, options.n_head, options.n_layer, options.seed};
  for (const RandomEntry& entry : random_)
    if (entry.config == config) return entry.handle;
  // A few are kept: two embedded elements with different seeds would otherwise
  // rebuild their weights on every run.
  constexpr size_t kKeep = 4;
  if (random_.size() == kKeep) random_.erase(random_.begin());
  random_.push_back({config, {std::make_shared<const RandomModel>(config), ++loads_}});
  return random_.back().handle;
}

uint64_t ModelRegistry::current_id(const std::string& name) const {
  const auto found = models_.find(name);
  return found == models_.end() ? 0 : found->second->id();
}

const HeadMeans& ModelRegistry::head_means(const std::string& name) {
  if (name == "random") throw Error("mean ablation needs a trained model (random weights have no probe texts)");
  return get(name).head_means(probes(name));
}

LoadedModel& ModelRegistry::get(const std::string& name) {
  const auto found = models_.find(name);
  if (found != models_.end()) return *found->second;
  std::string known = "random";
  for (const auto& [n, m] : models_) known += ", " + n;
  throw Error("no model named \"" + utf8_cut(name, 40) + "\" is loaded (available: " + known + ")");
}

std::vector<const LoadedModel*> ModelRegistry::models() const {
  std::vector<const LoadedModel*> list;
  for (const auto& [n, m] : models_) list.push_back(m.get());
  return list;
}

void ModelRegistry::set_probes(const std::string& model, const std::string& syntax,
                               const std::string& semantic, const std::string& validation,
                               const std::string& repeated) {
  probes_[model] = parse_probes(syntax, semantic, validation, repeated);
  const auto loaded = models_.find(model);
  if (loaded != models_.end()) loaded->second->forget_analysis();
}

const Probes& ModelRegistry::probes(const std::string& model) const {
  const auto found = probes_.find(model);
  if (found == probes_.end())
    throw Error("the head-analysis probes of model \"" + utf8_cut(model, 40) + "\" are not loaded");
  return found->second;
}

ModelRegistry& model_registry() {
  static ModelRegistry registry;
  return registry;
}

}  // namespace llmsim
