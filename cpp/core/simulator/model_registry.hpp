// The models a simulator can run, by name, shared by every simulator in the process
// (on the page: every view and every embedded element): the trained models, each
// loaded once from its three files' contents, and the random model, built from a
// run's seed and shape. What the head analysis derives from a trained model (the
// heads' mean outputs for mean ablation, the labelled head report) is computed on
// first use and kept.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "heads/ablation.hpp"
#include "heads/head_model.hpp"
#include "heads/labels.hpp"
#include "heads/probes.hpp"
#include "model/gpt.hpp"
#include "model/random_model.hpp"
#include "simulator/run_options.hpp"

namespace llmsim {

class LoadedModel {
 public:
  LoadedModel(std::string name, std::string title, std::shared_ptr<const Gpt> gpt, uint64_t id);
  // Unique per load: a model replaced under the same name gets a new id, so a
  // Simulator never reuses rows it computed with the old weights.
  uint64_t id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::string& title() const { return title_; }
  const Gpt& gpt() const { return *gpt_; }
  const std::shared_ptr<const Gpt>& shared_gpt() const { return gpt_; }
  const HeadModel& head_model() const { return head_model_; }

  // Each head's mean output over the probe texts (for mean ablation).
  const HeadMeans& head_means(const Probes& probes);
  // Every head's scores, label and reason, on the probes.
  const std::vector<HeadReport>& head_reports(const Probes& probes);
  // Drops what was derived from the probes (they were replaced).
  void forget_analysis();

 private:
  std::string name_, title_;
  uint64_t id_;
  std::shared_ptr<const Gpt> gpt_;  // shared with the simulators that ran it last
  HeadModel head_model_;  // refers to *gpt_
  std::unique_ptr<HeadMeans> means_;
  std::unique_ptr<std::vector<HeadReport>> reports_;
};

// A model as a run sees it: the model, and an id unique to this load (a model
// replaced under the same name, or a random model of another seed or shape, gets a
// new one, so a Simulator never reuses rows computed with other weights).
struct ModelHandle {
  std::shared_ptr<const Model> model;
  uint64_t id = 0;
};

class ModelRegistry {
 public:
  // The model a run asks for: options.model names a trained model, or "random" for
  // random weights of options' seed and shape (built on first use; the last few kept).
  ModelHandle model(const RunOptions& options);
  // The id the model called `name` has now (0 for "random" and unknown names).
  uint64_t current_id(const std::string& name) const;
  // Each head's mean output over the model's probe texts, for mean ablation. Error
  // for a model without probes (random weights have none).
  const HeadMeans& head_means(const std::string& name);

  // Loads (or replaces) a model from the contents of config.json, tokenizer.json and
  // model.safetensors. Errors name the file and the problem.
  void load(const std::string& name, const std::string& title, const std::string& config_json,
            const std::string& tokenizer_json, const std::string& weights);
  // Adds (or replaces) a model already loaded (e.g. Gpt::load of a folder).
  void add(const std::string& name, const std::string& title, Gpt gpt);
  // The model called `name`; Error listing the loaded ones if there is none.
  LoadedModel& get(const std::string& name);
  std::vector<const LoadedModel*> models() const;

  // The head-analysis probes of the model called `model` (the contents of its probe
  // folder's files, e.g. web/probes/english/*.txt; `repeated` may be empty). Each model
  // has its own: a model is analysed on text of the kind it was trained on. May come
  // before or after the model itself.
  void set_probes(const std::string& model, const std::string& syntax,
                  const std::string& semantic, const std::string& validation,
                  const std::string& repeated);
  const Probes& probes(const std::string& model) const;  // Error if none were set

 private:
  std::map<std::string, std::unique_ptr<LoadedModel>> models_;
  std::map<std::string, Probes> probes_;  // by model name
  uint64_t loads_ = 0;                     // ids for ModelHandle, one per load or build
  struct RandomEntry {
    RandomModelConfig config;
    ModelHandle handle;
  };
  std::vector<RandomEntry> random_;  // the random models built last, newest last
};

// The process-wide registry.
ModelRegistry& model_registry();

}  // namespace llmsim
