#include "model/gpt.hpp"
#include "model/hf_gpt2.hpp"
#include "text/tokenizer_files.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "error.hpp"
#include "io/read_file.hpp"
#include "model/contributions.hpp"
#include "model/gpt_block.hpp"
#include "model/softmax.hpp"
#include "model/token_cap.hpp"

namespace llmsim {

using nlohmann::json;

// ---- the forward pass --------------------------------------------------------------

void gpt_forward(const GptConfig& config, const GptWeights& weights, const std::vector<int>& ids,
                 const ModelRun& options, Trace& trace, int reuse) {
  const int T = int(ids.size()), C = config.d_model, V = config.vocab_size;
  if (T < 1 || T > config.context)
    throw Error("the model runs on 1 to " + std::to_string(config.context) + " tokens, got " +
                std::to_string(T));
  if (reuse < 0 || reuse >= T ||
      (reuse > 0 && (int(trace.layers.size()) != config.n_layer || trace.final_normed.rows() < reuse)))
    throw Error("gpt_forward: cannot reuse " + std::to_string(reuse) + " rows of this trace for " +
                std::to_string(T) + " tokens");
  begin_trace(trace, config.n_layer, config.n_head, C, options);
  if (reuse == 0) trace.layers.assign(config.n_layer, LayerTrace{});
  const int n = T - reuse;  // the positions computed: [reuse, T)

  Matrix x(n, C);  // the residual stream [n, C]
  embedding_forward(ids.data() + reuse, 1, n, weights.tok_emb, weights.pos_emb.middleRows(reuse, n), x);
  BlockActivations a;  // one block's activations, reused layer after layer
  for (int l = 0; l < config.n_layer; ++l) {
    const GptBlock& b = weights.blocks[l];
    const BlockParameters parameters = block_parameters(b, config.layer_norm_eps);
    block_forward(x, parameters, a, [&](const Matrix& ln1, Matrix& attproj) {
      attproj = attention_forward(ln1, b.attn, config.n_head, options.attention, trace.layers[l],
                                  options.ablation.empty() ? nullptr : &options.ablation[l], reuse);
    });
    x.swap(a.res3);
  }
  resize_keeping_rows(trace.final_normed, reuse, T, C);
  std::vector<float> mean(n), rstd(n);  // kept by layernorm_forward for a backward; unused here
  layernorm_forward(x, weights.lnf_weight.data(), weights.lnf_bias.data(),
                    trace.final_normed.bottomRows(n), mean.data(), rstd.data(), config.layer_norm_eps);
  // The logits of every row not yet computed: the new rows, and rows an earlier run
  // without predictions skipped (their LN_f(x) rows are kept).
  const int from = std::min(trace.logits_rows, reuse);
  if (!options.predict) {
    trace.logits_rows = from;
    return;
  }
  resize_keeping_rows(trace.logits, from, T, V);
  unembedding_forward(trace.final_normed.bottomRows(T - from), weights.tok_emb,
                      trace.logits.bottomRows(T - from));  // [T − from, V]
  trace.logits_rows = T;
}

}  // namespace llmsim

// ---- predictions -------------------------------------------------------------------

namespace llmsim {

std::vector<std::vector<int>> split_into_sequences(const std::vector<int>& stream, int bos_id,
                                                   int context) {
  if (context < 2) throw Error("a context of at least 2 tokens is needed to read a text");
  std::vector<std::vector<int>> sequences;
  const size_t piece = size_t(context - 1);
  for (size_t begin = 0; begin < stream.size(); begin += piece) {
    std::vector<int> ids = {bos_id};
    ids.insert(ids.end(), stream.begin() + begin,
               stream.begin() + std::min(stream.size(), begin + piece));
    sequences.push_back(std::move(ids));
  }
  return sequences;
}

std::vector<Prediction> top_k_predictions(const RowVector& logits, int k, float temperature,
                                          const Tokenizer& tokenizer) {
  if (!(temperature > 0) || !std::isfinite(temperature))
    throw Error("temperature must be a positive number, got " + std::to_string(temperature));
  const int V = int(logits.size());
  k = std::max(0, std::min(k, V));
  // softmax(logits / temperature), in double so a low temperature cannot overflow
  std::vector<double> p(static_cast<size_t>(V));
  const double max = logits.maxCoeff();
  double sum = 0;
  for (int v = 0; v < V; ++v) sum += p[v] = std::exp((logits(v) - max) / temperature);
  std::vector<int> order(static_cast<size_t>(V));
  for (int v = 0; v < V; ++v) order[v] = v;
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
  std::vector<Prediction> result;
  for (int i = 0; i < k; ++i)
    result.push_back(Prediction{order[i], tokenizer.token_display(order[i]), tokenizer.token_bytes(order[i]),
                                float(p[order[i]] / sum)});
  return result;
}

// ---- the model with its tokenizer --------------------------------------------------

Gpt::Gpt(GptConfig config, GptWeights weights, BpeTokenizer tokenizer)
    : Gpt(config, std::move(weights), std::make_shared<const BpeTokenizer>(std::move(tokenizer))) {}

Gpt::Gpt(GptConfig config, GptWeights weights, std::shared_ptr<const Tokenizer> tokenizer)
    : config_(config), weights_(std::move(weights)), tokenizer_(std::move(tokenizer)) {
  config_.validate("model config");
  if (!tokenizer_) throw Error("a model needs a tokenizer");
  if (tokenizer_->vocab_size() != config_.vocab_size)
    throw Error("the tokenizer has " + std::to_string(tokenizer_->vocab_size()) +
                " tokens but the model config says vocab_size " +
                std::to_string(config_.vocab_size) + " (are they from the same model?)");
  if (weights_.tok_emb.rows() != config_.vocab_size || weights_.tok_emb.cols() != config_.d_model ||
      weights_.pos_emb.rows() != config_.context || int(weights_.blocks.size()) != config_.n_layer)
    throw Error("the weights do not have the shapes of the model config");
#ifdef __wasm_simd128__
  // In the browser this forward pass runs the MLP on the SIMD GEMM and is the only
  // reader of its matrices: keep them packed once rather than packing them on every
  // run (gpt_weights.hpp). Natively the forward stays on Eigen's plain matrices.
  pack_mlp_weights(weights_);
#endif
}

// A model folder's files, in either layout: the project's own config, or a Hugging
// Face GPT-2 one (is_hf_gpt2_config, model/hf_gpt2.hpp), whose weights are then read
// in GPT-2's names and dtypes.
FolderConfig read_folder_config(const std::string& config_json, const std::string& config_name,
                                const Tokenizer& tokenizer, const std::string& tokenizer_name) {
  const json config_j = json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (config_j.is_discarded()) throw Error(config_name + ": not valid JSON");
  FolderConfig folder;
  folder.hf = is_hf_gpt2_config(config_j);
  folder.config = folder.hf ? hf_gpt2_config(config_j, config_name) : GptConfig::from_json(config_j, config_name);
  if (tokenizer.vocab_size() != folder.config.vocab_size)
    throw Error(tokenizer_name + ": has " + std::to_string(tokenizer.vocab_size()) +
                " tokens but " + config_name + " says vocab_size " +
                std::to_string(folder.config.vocab_size));
  return folder;
}

static Gpt gpt_from_named_bytes(const std::string& config_json, const std::string& config_name,
                                std::shared_ptr<const Tokenizer> tokenizer, const std::string& tokenizer_name,
                                const uint8_t* weights, size_t weights_size,
                                const std::string& weights_name) {
  const auto [hf, config] = read_folder_config(config_json, config_name, *tokenizer, tokenizer_name);
  if (hf) {
    HfGpt2 checkpoint = load_hf_gpt2(config_json, weights, weights_size, config_name, weights_name);
    return Gpt(checkpoint.config, std::move(checkpoint.weights), std::move(tokenizer));
  }
  // The project's own files straight into the weights; anything else the long way,
  // whose errors name the problem.
  if (std::optional<GptWeights> w = gpt_weights_from_safetensors(weights, weights_size, config, weights_name))
    return Gpt(config, std::move(*w), std::move(tokenizer));
  const TensorFile file = parse_safetensors(weights, weights_size, weights_name);
  return Gpt(config, gpt_weights_from_tensors(file, config, weights_name), std::move(tokenizer));
}

CheckpointSize checkpoint_size(const std::string& config_json, const uint8_t* header, size_t size) {
  const json config_j = json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (config_j.is_discarded()) throw Error("config.json: not valid JSON");
  if (is_hf_gpt2_config(config_j)) {
    hf_gpt2_config(config_j, "config.json");  // refuses what the project's GPT does not compute
    const HfGpt2Size s = hf_gpt2_size(header, size, "model.safetensors");
    return {s.parameters, s.file_bytes, s.peak_bytes};
  }
  const GptConfig config = GptConfig::from_json(config_j, "config.json");
  const SafetensorsHeader h = read_safetensors_header(header, size, "model.safetensors", /*whole_file=*/false);
  CheckpointSize s;
  s.parameters = config.parameter_count();
  s.file_bytes = h.data_offset + h.data_bytes;
  s.peak_bytes = s.file_bytes + uint64_t(s.parameters) * sizeof(float);
  return s;
}

Gpt Gpt::from_bytes(const std::string& config_json, const std::string& tokenizer_json,
                    const uint8_t* weights, size_t weights_size) {
  return gpt_from_named_bytes(config_json, "config.json", tokenizer_from_json_text(tokenizer_json, "tokenizer.json"),
                              "tokenizer.json", weights, weights_size, "model.safetensors");
}

Gpt Gpt::from_bytes(const std::string& config_json, std::shared_ptr<const Tokenizer> tokenizer,
                    const uint8_t* weights, size_t weights_size) {
  return gpt_from_named_bytes(config_json, "config.json", std::move(tokenizer), "tokenizer.json", weights,
                              weights_size, "model.safetensors");
}

Gpt Gpt::load(const std::string& dir) {
  const std::string config_path = dir + "/config.json", weights_path = dir + "/model.safetensors";
  const std::string config_json = read_whole_file(config_path);
  std::string tokenizer_path;
  std::shared_ptr<const Tokenizer> tokenizer = load_folder_tokenizer(dir, &tokenizer_path);
  const std::string weights = read_whole_file(weights_path);
  return gpt_from_named_bytes(config_json, config_path, std::move(tokenizer), tokenizer_path,
                              reinterpret_cast<const uint8_t*>(weights.data()), weights.size(), weights_path);
}

// The project's folder format holds only its own tokenizer.
static const BpeTokenizer& own_tokenizer(const Gpt& gpt) {
  const BpeTokenizer* bpe = gpt.bpe_tokenizer();
  if (!bpe) throw Error("this model reads through GPT-2's tokenizer; only the project's own models are written as a model folder");
  return *bpe;
}

ModelFiles Gpt::files(DType dtype) const {
  ModelFiles files;
  files.config = config_.to_json().dump(2) + "\n";
  files.tokenizer = own_tokenizer(*this).to_text();
  files.safetensors = serialize_safetensors(tensors(), dtype);
  return files;
}

void Gpt::save(const std::string& dir, DType dtype) const {
  const std::string config_path = dir + "/config.json";
  std::ofstream config_out(config_path);
  if (!config_out) throw Error(config_path + ": cannot write the file");
  config_out << config_.to_json().dump(2) << "\n";
  if (!config_out) throw Error(config_path + ": writing failed");
  own_tokenizer(*this).save(dir + "/tokenizer.json");
  write_safetensors(dir + "/model.safetensors", tensors(), dtype);
}

// The weights as the tensors of model.safetensors, with what the file says of itself.
TensorFile Gpt::tensors() const {
  TensorFile file = gpt_weights_to_tensors(config_, weights_);
  file.metadata["format"] = "llmsim-gpt";
  file.metadata["config"] = config_.to_json().dump();
  return file;
}

Trace Gpt::run_ids(const std::vector<int>& ids, const ModelRun& options) const {
  Trace trace;
  gpt_forward(config_, weights_, ids, options, trace);
  trace.ids = ids;
  for (int id : ids) trace.tokens.push_back(tokenizer_->token_display(id));
  trace.n_input_tokens = int(ids.size());
  if (options.predict)
    trace.top_k = top_k_predictions(trace.logits.row(trace.logits.rows() - 1), options.top_k,
                                    options.temperature, *tokenizer_);
  return trace;
}

Trace Gpt::run(const std::string& text, const ModelRun& options) const {
  Trace trace;
  run_into(text, options, trace, /*incremental=*/false);
  return trace;
}

void Gpt::run_into(const std::string& text, const ModelRun& options, Trace& trace,
                   bool incremental) const {
  Encoding encoding = tokenizer_->encode(text, /*add_bos=*/true);
  const int n_input = int(encoding.ids.size());
  // A run keeping every head's matrices reads at most token_cap tokens (below the
  // context only for models of GPT-2's size, whose full Trace would not fit a tab).
  const int cap = options.attention.store_head_matrices ? token_cap(config_, options.trace_budget)
                                                        : config_.context;
  std::string warning;
  if (n_input > cap) {
    encoding.ids.resize(size_t(cap));
    encoding.spans.resize(size_t(cap));
    warning = truncation_warning(n_input, cap, cap == config_.context
        ? "the model's context (BOS included)"
        : "the cap for a model of this size (BOS included; every head's [T, T] matrices must fit in memory)");
  }
  const std::vector<int>& ids = encoding.ids;
  int reuse = 0;  // positions whose token, and so (causally) whose every number, is unchanged
  if (incremental && options.attention.causal) {
    const size_t common = std::mismatch(ids.begin(), ids.end(), trace.ids.begin(), trace.ids.end()).first -
                          ids.begin();
    reuse = std::min(int(common), int(ids.size()) - 1);
  }
  gpt_forward(config_, weights_, ids, options, trace, reuse);
  for (int l = 0; l < config_.n_layer && options.attention.store_head_matrices; ++l)
    contribution_forward(weights_.blocks[size_t(l)].attn.w_o, trace.layers[size_t(l)], reuse);
  // Each row's log-sum-exp not yet taken, beside the reused rows' (those whose logits
  // are kept too: all of them, or none when the trace came from elsewhere). It follows
  // the logits: never more rows than trace.logits_rows.
  const size_t kept = trace.log_sum_exp.size() >= size_t(std::min(reuse, trace.logits_rows))
                          ? size_t(std::min(reuse, trace.logits_rows)) : 0;
  trace.log_sum_exp.resize(kept);
  for (int t = int(kept); t < trace.logits_rows; ++t)
    trace.log_sum_exp.push_back(row_log_sum_exp(trace.logits.row(t)));
  trace.tokens.resize(size_t(reuse));
  for (size_t t = size_t(reuse); t < ids.size(); ++t) trace.tokens.push_back(tokenizer_->token_display(ids[t]));
  trace.ids = ids;
  trace.spans = encoding.spans;
  trace.n_input_tokens = n_input;
  trace.warning = warning;
  trace.has_vocabulary = true;
  trace.top_k.clear();
  trace.loss = -1;
  if (!options.predict) return;
  trace.top_k = top_k_predictions(trace.logits.row(trace.logits.rows() - 1), options.top_k,
                                  options.temperature, *tokenizer_);
  // the loss on the text: how well the model predicted each next token (none for BOS alone)
  trace.loss = ids.size() >= 2 ? float(next_token_loss(trace.logits, trace.log_sum_exp, ids)) : -1;
}

const AttentionWeights& Gpt::attention_weights(int layer) const {
  check_layer(layer);
  return weights_.blocks[size_t(layer)].attn;
}

}  // namespace llmsim
