#include "model/random_model.hpp"

#include <cmath>

#include "error.hpp"
#include "model/contributions.hpp"
#include "rng.hpp"
#include "text/word_tokenizer.hpp"

namespace llmsim {

static uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

RandomModel::RandomModel(const RandomModelConfig& config) : config_(config) {
  if (config.d_model <= 0 || config.n_head <= 0 || config.n_layer <= 0 ||
      config.d_model % config.n_head != 0)
    throw Error("random model: need d_model > 0 divisible by n_head > 0, and n_layer > 0");
  Rng rng(config.seed);
  // stddev 1/sqrt(d_model) keeps q and k entries near unit variance for unit inputs.
  const float stddev = 1.0f / std::sqrt(float(config.d_model));
  const int d = config.d_model;
  for (int l = 0; l < config.n_layer; ++l) {
    AttentionWeights w;
    w.w_q = rng.normal_matrix(d, d, stddev);
    w.w_k = rng.normal_matrix(d, d, stddev);
    w.w_v = rng.normal_matrix(d, d, stddev);
    w.w_o = rng.normal_matrix(d, d, stddev);
    layers_.push_back(std::move(w));
  }
}

Matrix RandomModel::embed(const std::vector<std::string>& tokens) const {
  const int T = int(tokens.size()), d = config_.d_model;
  Matrix x(T, d);
  for (int t = 0; t < T; ++t) {
    Rng token_rng(fnv1a(tokens[t]) ^ config_.seed);
    x.row(t) = token_rng.normal_matrix(1, d, 1.0f);
    for (int i = 0; i < d; i += 2) {  // sinusoidal position code, as in the original transformer
      const double angle = t / std::pow(10000.0, double(i) / d);
      x(t, i) += float(std::sin(angle));
      if (i + 1 < d) x(t, i + 1) += float(std::cos(angle));
    }
  }
  return x;
}

void RandomModel::run_into(const std::string& text, const ModelRun& run, Trace& trace,
                           bool /*incremental*/) const {
  trace = Trace{};
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
  begin_trace(trace, config_.n_layer, config_.n_head, config_.d_model, run);
  if (trace.tokens.empty()) return;
  // x_0 = embed(token) + position(t); x_{l+1} = x_l + attention_l(x_l)   [T, d_model]
  Matrix x = embed(trace.tokens);
  trace.layers.assign(config_.n_layer, LayerTrace{});
  for (int l = 0; l < config_.n_layer; ++l) {
    x += attention_forward(x, layers_[l], config_.n_head, run.attention, trace.layers[l],
                           run.ablation.empty() ? nullptr : &run.ablation[l]);
    if (run.attention.store_head_matrices) contribution_forward(layers_[l].w_o, trace.layers[l]);
  }
}

const AttentionWeights& RandomModel::attention_weights(int layer) const {
  check_layer(layer);
  return layers_[size_t(layer)];
}

}  // namespace llmsim
