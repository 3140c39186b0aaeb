#include "simulator/simulator.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "io/json_number.hpp"
#include "model/softmax.hpp"
#include "simulator/model_registry.hpp"
#include "text/word_tokenizer.hpp"
#include "utf8.hpp"

namespace llmsim {

using nlohmann::json;

static int int_in_range(const json& value, const char* key, int lo, int hi) {
  return json_int(value, std::string("option \"") + key + "\"", lo, hi);
}

static bool boolean(const json& value, const char* key) {
  if (!value.is_boolean()) throw Error(std::string("option \"") + key + "\" must be true or false");
  return value.get<bool>();
}

// "layer.head" -> (layer, head); the model checks the ranges.
std::pair<int, int> parse_head_id(const std::string& id) {
  const size_t dot = id.find('.');
  auto number = [&](const std::string& part) {
    if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string::npos)
      throw Error("a head is written layer.head, like 0.3; got \"" + utf8_cut(id, 20) + "\"");
    return std::stoi(part);
  };
  if (dot == std::string::npos) number("");
  return {number(id.substr(0, dot)), number(id.substr(dot + 1))};
}

static std::vector<std::pair<int, int>> parse_head_list(const json& value) {
  if (!value.is_array()) throw Error("option \"ablate\" must be a list like [\"0.1\", \"2.3\"]");
  std::vector<std::pair<int, int>> heads;
  for (const json& item : value) {
    if (!item.is_string()) throw Error("option \"ablate\" must be a list of \"layer.head\" strings");
    heads.push_back(parse_head_id(item.get<std::string>()));
  }
  return heads;
}

RunOptions parse_run_options(const std::string& text) {
  RunOptions options;
  if (text.empty()) return options;
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error("options are not valid JSON: " + utf8_cut(text, 80));
  if (!j.is_object()) throw Error("options must be a JSON object, like {\"scale\": false}");
  for (const auto& [key, value] : j.items()) {
    if (key == "seed") {
      if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<int64_t>() >= 0))
        throw Error("option \"seed\" must be a non-negative integer");
      options.seed = value.get<uint64_t>();
    } else if (key == "scale") {
      options.scale = boolean(value, "scale");
    } else if (key == "causal") {
      options.causal = boolean(value, "causal");
    } else if (key == "n_layer") {
      options.n_layer = int_in_range(value, "n_layer", 1, 12);
    } else if (key == "n_head") {
      options.n_head = int_in_range(value, "n_head", 1, 16);
    } else if (key == "d_model") {
      options.d_model = int_in_range(value, "d_model", 1, 512);
    } else if (key == "model") {
      if (!value.is_string()) throw Error("option \"model\" must be a model name");
      options.model = value.get<std::string>();
    } else if (key == "top_k") {
      options.top_k = int_in_range(value, "top_k", 0, kMaxTopK);
    } else if (key == "temperature") {
      if (!value.is_number()) throw Error("option \"temperature\" must be a number");
      const double t = value.get<double>();
      if (!(t >= kMinTemperature && t <= kMaxTemperature))
        throw Error("option \"temperature\" must be between 0.05 and 5, got " + std::to_string(t));
      options.temperature = float(t);
    } else if (key == "ablate") {
      options.ablate = parse_head_list(value);
    } else if (key == "ablate_mode") {
      const std::string mode = value.is_string() ? value.get<std::string>() : "";
      if (mode != "zero" && mode != "mean")
        throw Error("option \"ablate_mode\" must be \"zero\" or \"mean\"");
      options.ablate_mode = mode;
    } else {
      throw Error("unknown option \"" + key +
                  "\" (known: model, seed, scale, causal, n_layer, n_head, d_model, top_k, "
                  "temperature, ablate, ablate_mode)");
    }
  }
  if (options.d_model % options.n_head != 0)
    throw Error("d_model " + std::to_string(options.d_model) + " must be divisible by n_head " +
                std::to_string(options.n_head));
  return options;
}

// The per-layer ablation vectors for a trained model's run.
static HeadAblations ablations_for(LoadedModel& model, const RunOptions& options) {
  if (options.ablate.empty()) return {};
  const GptConfig& config = model.gpt().config();
  std::vector<HeadId> heads;
  for (const auto& [layer, head] : options.ablate) {
    if (layer >= config.n_layer || head >= config.n_head)
      throw Error("head " + std::to_string(layer) + "." + std::to_string(head) +
                  " does not exist (the model has " + std::to_string(config.n_layer) +
                  " layers of " + std::to_string(config.n_head) + " heads)");
    heads.push_back({layer, head});
  }
  const AblationMode mode = parse_ablation_mode(options.ablate_mode);
  const HeadMeans* means =
      mode == AblationMode::mean ? &model.head_means(model_registry().probes(model.name())) : nullptr;
  return make_ablations(model.head_model(), heads, mode, means);
}

// A trained model's run into `trace`: real tokens, predictions, the loss on the text,
// and, when heads are switched off, the same run with every head on (into `baseline`)
// to compare against. incremental / baseline_incremental: that trace holds this
// model's previous run with the same forward options, so the tokens the text still
// shares with it are not recomputed.
static void run_trained(LoadedModel& model, const std::string& text, const RunOptions& options,
                        Trace& trace, bool incremental, Trace& baseline, bool baseline_incremental) {
  GptRunOptions run;
  run.attention = AttentionOptions{options.scale, options.causal};
  run.top_k = options.top_k;
  run.temperature = options.temperature;
  run.ablation = ablations_for(model, options);
  model.gpt().run_into(text, run, trace, incremental);
  trace.model_name = model.name();
  trace.has_vocabulary = true;
  trace.loss = trace.ids.size() >= 2 ? float(next_token_loss(trace.logits, trace.log_sum_exp, trace.ids)) : -1;
  trace.ablated = false;
  trace.baseline = Baseline{};
  if (!run.ablation.empty()) {
    run.ablation.clear();
    model.gpt().run_into(text, run, baseline, baseline_incremental);
    trace.ablated = true;
    trace.baseline.top_k = baseline.top_k;
    trace.baseline.loss = trace.ids.size() >= 2 ? float(next_token_loss(baseline.logits, baseline.log_sum_exp, baseline.ids)) : -1;
  }
}

// Whether a run with `next` may reuse the rows of the run with `last` (gpt_forward's
// reuse): the same trained model, the same scaling, the same heads switched off in the
// same way, causal.
static bool same_forward(const RunOptions& last, const RunOptions& next) {
  return last.model != "random" && last.model == next.model && last.scale == next.scale &&
         last.causal && next.causal && last.ablate == next.ablate &&
         (last.ablate.empty() || last.ablate_mode == next.ablate_mode);
}

static RunOptions every_head_on(RunOptions options) {
  options.ablate.clear();
  return options;
}

const Trace& Simulator::run(const std::string& text, const RunOptions& options) {
  // A model loaded again under the same name is a different model: its id tells.
  LoadedModel* trained = options.model == "random" ? nullptr : &model_registry().get(options.model);
  const uint64_t model_id = trained ? trained->id() : 0;
  const bool incremental = last_run_ && last_model_id_ == model_id && same_forward(*last_run_, options);
  const bool ablating = !options.ablate.empty();
  const bool baseline_incremental = baseline_run_ && baseline_model_id_ == model_id &&
                                    same_forward(*baseline_run_, every_head_on(options));
  last_run_.reset();  // the traces are in flux until this run has finished
  last_model_ = options.model;
  last_weights_id_ = model_id;
  if (ablating) baseline_run_.reset();
  if (trained) {
    run_trained(*trained, text, options, trace_, incremental, baseline_trace_, baseline_incremental);
    last_run_ = options;
    last_model_id_ = model_id;
    if (ablating) {
      baseline_run_ = every_head_on(options);
      baseline_model_id_ = model_id;
    }
    return trace_;
  }
  const RandomModelConfig config{options.d_model, options.n_head, options.n_layer, options.seed};
  if (!model_ || model_->config().d_model != config.d_model ||
      model_->config().n_head != config.n_head || model_->config().n_layer != config.n_layer ||
      model_->config().seed != config.seed)
    model_ = std::make_unique<RandomModel>(config);

  Trace trace;
  trace.model_name = "random";
  trace.spans = split_words(text);
  trace.n_input_tokens = int(trace.spans.size());
  if (trace.n_input_tokens > kMaxTokens) {
    trace.spans.resize(kMaxTokens);
    trace.warning = truncation_warning(trace.n_input_tokens, kMaxTokens, "the limit");
  }
  for (const TokenSpan& span : trace.spans) {
    trace.tokens.push_back(text.substr(span.begin, span.end - span.begin));
    trace.ids.push_back(-1);
  }
  trace.n_layer = config.n_layer;
  trace.n_head = config.n_head;
  trace.d_model = config.d_model;
  trace.causal = options.causal;
  trace.scaled = options.scale;
  const int d_k = config.d_model / config.n_head;
  trace.scale = attention_scale(d_k, options.scale);
  if (!trace.tokens.empty())
    model_->forward(trace.tokens, AttentionOptions{options.scale, options.causal}, trace);
  trace_ = std::move(trace);
  return trace_;
}

const AttentionWeights& Simulator::attention_weights(int layer) const {
  if (last_model_.empty()) throw Error("run the model before reading its weights");
  auto check = [&](int n_layer) {
    if (layer < 0 || layer >= n_layer)
      throw Error("layer " + std::to_string(layer) + " does not exist (the model has " +
                  std::to_string(n_layer) + " layers)");
  };
  if (last_model_ == "random") {
    check(model_->config().n_layer);
    return model_->layer(layer);
  }
  const LoadedModel& model = model_registry().get(last_model_);
  if (model.id() != last_weights_id_)
    throw Error("the model \"" + last_model_ + "\" was replaced since the last run: run it again");
  check(model.gpt().config().n_layer);
  return model.gpt().weights().blocks.at(size_t(layer)).attn;
}

}  // namespace llmsim
