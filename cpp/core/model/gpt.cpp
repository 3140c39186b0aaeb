#include "model/gpt.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "error.hpp"
#include "io/read_file.hpp"
#include "model/gpt_ops.hpp"
#include "model/softmax.hpp"

namespace llmsim {

using nlohmann::json;

// ---- configuration -----------------------------------------------------------------

static const char* const kConfigKeys[] = {"vocab_size", "d_model", "n_layer",
                                          "n_head",     "context", "d_ff"};

GptConfig GptConfig::from_json(const json& j, const std::string& source) {
  if (!j.is_object()) throw Error(source + ": the model config must be a JSON object");
  for (const auto& item : j.items()) {
    bool known = false;
    for (const char* key : kConfigKeys) known = known || item.key() == key;
    if (!known)
      throw Error(source + ": unknown key \"" + item.key() +
                  "\" (known: vocab_size, d_model, n_layer, n_head, context, d_ff)");
  }
  auto integer = [&](const char* key) {
    if (!j.contains(key)) throw Error(source + ": missing \"" + key + "\"");
    const json& v = j.at(key);
    if (!v.is_number_integer()) throw Error(source + ": \"" + key + "\" must be an integer");
    const int64_t value = v.get<int64_t>();
    if (value < 1 || value > (1 << 20))
      throw Error(source + ": \"" + key + "\" must be between 1 and 1048576, got " +
                  std::to_string(value));
    return int(value);
  };
  GptConfig c;
  c.vocab_size = integer("vocab_size");
  c.d_model = integer("d_model");
  c.n_layer = integer("n_layer");
  c.n_head = integer("n_head");
  c.context = integer("context");
  c.d_ff = integer("d_ff");
  c.validate(source);
  return c;
}

json GptConfig::to_json() const {
  return json{{"vocab_size", vocab_size}, {"d_model", d_model}, {"n_layer", n_layer},
              {"n_head", n_head},         {"context", context}, {"d_ff", d_ff}};
}

void GptConfig::validate(const std::string& source) const {
  auto in_range = [&](const char* key, int value, int lo, int hi) {
    if (value < lo || value > hi)
      throw Error(source + ": \"" + key + "\" must be between " + std::to_string(lo) + " and " +
                  std::to_string(hi) + ", got " + std::to_string(value));
  };
  // Limits that keep every tensor well inside wasm32's 2 GB and the page responsive.
  in_range("vocab_size", vocab_size, 2, 65536);
  in_range("d_model", d_model, 1, 1024);
  in_range("n_layer", n_layer, 1, 48);
  in_range("n_head", n_head, 1, 64);
  in_range("context", context, 1, 4096);
  in_range("d_ff", d_ff, 1, 8192);
  if (d_model % n_head != 0)
    throw Error(source + ": d_model " + std::to_string(d_model) +
                " must be divisible by n_head " + std::to_string(n_head));
}

int64_t GptConfig::parameter_count() const {
  const int64_t V = vocab_size, C = d_model, F = d_ff;
  const int64_t block = 2 * C + 4 * C * C + 2 * C + C * F + F + F * C + C;
  return V * C + int64_t(context) * C + n_layer * block + 2 * C;
}

// ---- weights <-> safetensors -------------------------------------------------------

static Tensor to_tensor(const Matrix& m) {
  return Tensor{{m.rows(), m.cols()}, std::vector<float>(m.data(), m.data() + m.size())};
}

static Tensor to_tensor(const RowVector& v) {
  return Tensor{{v.size()}, std::vector<float>(v.data(), v.data() + v.size())};
}

static std::string block_name(int l, const char* rest) {
  return "blocks." + std::to_string(l) + "." + rest;
}

TensorFile gpt_weights_to_tensors(const GptWeights& w) {
  TensorFile f;
  f.tensors["tok_emb"] = to_tensor(w.tok_emb);
  f.tensors["pos_emb"] = to_tensor(w.pos_emb);
  for (int l = 0; l < int(w.blocks.size()); ++l) {
    const GptBlock& b = w.blocks[l];
    f.tensors[block_name(l, "ln1.weight")] = to_tensor(b.ln1_weight);
    f.tensors[block_name(l, "ln1.bias")] = to_tensor(b.ln1_bias);
    f.tensors[block_name(l, "attn.w_q")] = to_tensor(b.attn.w_q);
    f.tensors[block_name(l, "attn.w_k")] = to_tensor(b.attn.w_k);
    f.tensors[block_name(l, "attn.w_v")] = to_tensor(b.attn.w_v);
    f.tensors[block_name(l, "attn.w_o")] = to_tensor(b.attn.w_o);
    f.tensors[block_name(l, "ln2.weight")] = to_tensor(b.ln2_weight);
    f.tensors[block_name(l, "ln2.bias")] = to_tensor(b.ln2_bias);
    f.tensors[block_name(l, "mlp.fc.weight")] = to_tensor(b.fc_weight);
    f.tensors[block_name(l, "mlp.fc.bias")] = to_tensor(b.fc_bias);
    f.tensors[block_name(l, "mlp.proj.weight")] = to_tensor(b.proj_weight);
    f.tensors[block_name(l, "mlp.proj.bias")] = to_tensor(b.proj_bias);
  }
  f.tensors["ln_f.weight"] = to_tensor(w.lnf_weight);
  f.tensors["ln_f.bias"] = to_tensor(w.lnf_bias);
  return f;
}

GptWeights gpt_weights_from_tensors(const TensorFile& f, const GptConfig& c,
                                    const std::string& source) {
  std::set<std::string> used;
  auto matrix = [&](const std::string& name, int rows, int cols) {
    used.insert(name);
    if (!f.tensors.count(name))
      throw Error(source + ": has no tensor \"" + name + "\" [" + std::to_string(rows) + ", " +
                  std::to_string(cols) + "], which the config needs (is it the weight file "
                  "for this config.json?)");
    return tensor_matrix(f, name, rows, cols, source);
  };
  auto vector = [&](const std::string& name, int n) {
    used.insert(name);
    if (!f.tensors.count(name))
      throw Error(source + ": has no tensor \"" + name + "\" [" + std::to_string(n) +
                  "], which the config needs (is it the weight file for this config.json?)");
    return RowVector(tensor_vector(f, name, n, source).transpose());
  };
  const int V = c.vocab_size, C = c.d_model, F = c.d_ff;
  GptWeights w;
  w.tok_emb = matrix("tok_emb", V, C);
  w.pos_emb = matrix("pos_emb", c.context, C);
  for (int l = 0; l < c.n_layer; ++l) {
    GptBlock b;
    b.ln1_weight = vector(block_name(l, "ln1.weight"), C);
    b.ln1_bias = vector(block_name(l, "ln1.bias"), C);
    b.attn.w_q = matrix(block_name(l, "attn.w_q"), C, C);
    b.attn.w_k = matrix(block_name(l, "attn.w_k"), C, C);
    b.attn.w_v = matrix(block_name(l, "attn.w_v"), C, C);
    b.attn.w_o = matrix(block_name(l, "attn.w_o"), C, C);
    b.ln2_weight = vector(block_name(l, "ln2.weight"), C);
    b.ln2_bias = vector(block_name(l, "ln2.bias"), C);
    b.fc_weight = matrix(block_name(l, "mlp.fc.weight"), C, F);
    b.fc_bias = vector(block_name(l, "mlp.fc.bias"), F);
    b.proj_weight = matrix(block_name(l, "mlp.proj.weight"), F, C);
    b.proj_bias = vector(block_name(l, "mlp.proj.bias"), C);
    w.blocks.push_back(std::move(b));
  }
  w.lnf_weight = vector("ln_f.weight", C);
  w.lnf_bias = vector("ln_f.bias", C);
  for (const auto& [name, tensor] : f.tensors)
    if (!used.count(name))
      throw Error(source + ": has a tensor \"" + name + "\" that a model with n_layer " +
                  std::to_string(c.n_layer) + " does not have (is it the weight file for "
                  "this config.json?)");
  for (const auto& [name, tensor] : f.tensors)
    for (float value : tensor.data)
      if (!std::isfinite(value))
        throw Error(source + ": tensor \"" + name + "\" holds a value that is not finite");
  return w;
}

// ---- the forward pass --------------------------------------------------------------

void gpt_forward(const GptConfig& config, const GptWeights& weights, const std::vector<int>& ids,
                 const GptRunOptions& options, Trace& trace, int reuse) {
  const int T = int(ids.size()), C = config.d_model, F = config.d_ff, V = config.vocab_size;
  if (T < 1 || T > config.context)
    throw Error("the model runs on 1 to " + std::to_string(config.context) + " tokens, got " +
                std::to_string(T));
  if (!options.ablation.empty() && int(options.ablation.size()) != config.n_layer)
    throw Error("ablation: " + std::to_string(options.ablation.size()) + " layers given, the model has " +
                std::to_string(config.n_layer));
  if (reuse < 0 || reuse >= T ||
      (reuse > 0 && (int(trace.layers.size()) != config.n_layer || trace.logits.rows() < reuse)))
    throw Error("gpt_forward: cannot reuse " + std::to_string(reuse) + " rows of this trace for " +
                std::to_string(T) + " tokens");
  trace.n_layer = config.n_layer;
  trace.n_head = config.n_head;
  trace.d_model = C;
  trace.causal = options.attention.causal;
  trace.scaled = options.attention.scale;
  trace.scale = attention_scale(C / config.n_head, options.attention.scale);
  if (reuse == 0) trace.layers.assign(config.n_layer, LayerTrace{});
  const int n = T - reuse;  // the positions computed: [reuse, T)

  Matrix x(n, C);                       // the residual stream
  embedding_forward(ids.data() + reuse, 1, n, weights.tok_emb, weights.pos_emb.middleRows(reuse, n), x);
  Matrix normed(n, C), hidden(n, F), activated(n, F), branch(n, C);
  std::vector<float> mean(n), rstd(n);  // kept by layernorm_forward for a backward; unused here
  for (int l = 0; l < config.n_layer; ++l) {
    const GptBlock& b = weights.blocks[l];
    // x = x + attention(LN1(x))
    layernorm_forward(x, b.ln1_weight.data(), b.ln1_bias.data(), normed, mean.data(), rstd.data());
    branch = attention_forward(normed, b.attn, config.n_head, options.attention, trace.layers[l],
                               options.ablation.empty() ? nullptr : &options.ablation[l], reuse);
    residual_forward(x, branch, x);
    // x = x + proj(GELU(fc(LN2(x))))
    layernorm_forward(x, b.ln2_weight.data(), b.ln2_bias.data(), normed, mean.data(), rstd.data());
    matmul_forward(normed, b.fc_weight, b.fc_bias.data(), hidden);          // [n, F]
    gelu_forward(hidden, activated);                                        // [n, F]
    matmul_forward(activated, b.proj_weight, b.proj_bias.data(), branch);  // [n, C]
    residual_forward(x, branch, x);
  }
  layernorm_forward(x, weights.lnf_weight.data(), weights.lnf_bias.data(), normed, mean.data(),
                    rstd.data());
  resize_keeping_rows(trace.logits, reuse, T, V);
  unembedding_forward(normed, weights.tok_emb, trace.logits.bottomRows(n));  // [n, V]
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
                                          const BpeTokenizer& tokenizer) {
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
    : config_(config), weights_(std::move(weights)), tokenizer_(std::move(tokenizer)) {
  config_.validate("model config");
  if (tokenizer_.vocab_size() != config_.vocab_size)
    throw Error("the tokenizer has " + std::to_string(tokenizer_.vocab_size()) +
                " tokens but the model config says vocab_size " +
                std::to_string(config_.vocab_size) + " (are they from the same model?)");
  if (weights_.tok_emb.rows() != config_.vocab_size || weights_.tok_emb.cols() != config_.d_model ||
      weights_.pos_emb.rows() != config_.context || int(weights_.blocks.size()) != config_.n_layer)
    throw Error("the weights do not have the shapes of the model config");
}

static Gpt gpt_from_named_bytes(const std::string& config_json, const std::string& config_name,
                                const std::string& tokenizer_json, const std::string& tokenizer_name,
                                const uint8_t* weights, size_t weights_size,
                                const std::string& weights_name) {
  const json config_j = json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (config_j.is_discarded()) throw Error(config_name + ": not valid JSON");
  const GptConfig config = GptConfig::from_json(config_j, config_name);
  const json tokenizer_j = json::parse(tokenizer_json, nullptr, /*allow_exceptions=*/false);
  if (tokenizer_j.is_discarded()) throw Error(tokenizer_name + ": not valid JSON");
  BpeTokenizer tokenizer = [&] {
    try {
      return BpeTokenizer::from_json(tokenizer_j);
    } catch (const Error& e) {
      throw Error(tokenizer_name + ": " + e.what());
    }
  }();
  if (tokenizer.vocab_size() != config.vocab_size)
    throw Error(tokenizer_name + ": has " + std::to_string(tokenizer.vocab_size()) +
                " tokens but " + config_name + " says vocab_size " +
                std::to_string(config.vocab_size));
  const TensorFile file = parse_safetensors(weights, weights_size, weights_name);
  return Gpt(config, gpt_weights_from_tensors(file, config, weights_name), std::move(tokenizer));
}

Gpt Gpt::from_bytes(const std::string& config_json, const std::string& tokenizer_json,
                    const uint8_t* weights, size_t weights_size) {
  return gpt_from_named_bytes(config_json, "config.json", tokenizer_json, "tokenizer.json", weights,
                              weights_size, "model.safetensors");
}

Gpt Gpt::load(const std::string& dir) {
  const std::string config_path = dir + "/config.json", tokenizer_path = dir + "/tokenizer.json",
                    weights_path = dir + "/model.safetensors";
  const std::string config_json = read_whole_file(config_path);
  const std::string tokenizer_json = read_whole_file(tokenizer_path);
  const std::string weights = read_whole_file(weights_path);
  return gpt_from_named_bytes(config_json, config_path, tokenizer_json, tokenizer_path,
                              reinterpret_cast<const uint8_t*>(weights.data()), weights.size(),
                              weights_path);
}

void Gpt::save(const std::string& dir, DType dtype) const {
  const std::string config_path = dir + "/config.json";
  std::ofstream config_out(config_path);
  if (!config_out) throw Error(config_path + ": cannot write the file");
  config_out << config_.to_json().dump(2) << "\n";
  if (!config_out) throw Error(config_path + ": writing failed");
  tokenizer_.save(dir + "/tokenizer.json");
  TensorFile file = gpt_weights_to_tensors(weights_);
  file.metadata["format"] = "llmsim-gpt";
  file.metadata["config"] = config_.to_json().dump();
  write_safetensors(dir + "/model.safetensors", file, dtype);
}

Trace Gpt::run_ids(const std::vector<int>& ids, const GptRunOptions& options) const {
  Trace trace;
  gpt_forward(config_, weights_, ids, options, trace);
  trace.ids = ids;
  for (int id : ids) trace.tokens.push_back(tokenizer_.token_display(id));
  trace.n_input_tokens = int(ids.size());
  trace.top_k = top_k_predictions(trace.logits.row(trace.logits.rows() - 1), options.top_k,
                                  options.temperature, tokenizer_);
  return trace;
}

Trace Gpt::run(const std::string& text, const GptRunOptions& options) const {
  Trace trace;
  run_into(text, options, trace, /*incremental=*/false);
  return trace;
}

void Gpt::run_into(const std::string& text, const GptRunOptions& options, Trace& trace,
                   bool incremental) const {
  Encoding encoding = tokenizer_.encode(text, /*add_bos=*/true);
  const int n_input = int(encoding.ids.size());
  std::string warning;
  if (n_input > config_.context) {
    encoding.ids.resize(size_t(config_.context));
    encoding.spans.resize(size_t(config_.context));
    warning = truncation_warning(n_input, config_.context, "the model's context (BOS included)");
  }
  const std::vector<int>& ids = encoding.ids;
  int reuse = 0;  // positions whose token, and so (causally) whose every number, is unchanged
  if (incremental && options.attention.causal) {
    const size_t common = std::mismatch(ids.begin(), ids.end(), trace.ids.begin(), trace.ids.end()).first -
                          ids.begin();
    reuse = std::min(int(common), int(ids.size()) - 1);
  }
  gpt_forward(config_, weights_, ids, options, trace, reuse);
  // Each new row's log-sum-exp, beside the reused rows' (all of them when the trace
  // holds fewer: it came from elsewhere).
  const size_t kept = trace.log_sum_exp.size() >= size_t(reuse) ? size_t(reuse) : 0;
  trace.log_sum_exp.resize(kept);
  for (int t = int(kept); t < int(ids.size()); ++t)
    trace.log_sum_exp.push_back(row_log_sum_exp(trace.logits.row(t)));
  trace.tokens.resize(size_t(reuse));
  for (size_t t = size_t(reuse); t < ids.size(); ++t) trace.tokens.push_back(tokenizer_.token_display(ids[t]));
  trace.ids = ids;
  trace.spans = encoding.spans;
  trace.n_input_tokens = n_input;
  trace.warning = warning;
  trace.top_k = top_k_predictions(trace.logits.row(trace.logits.rows() - 1), options.top_k,
                                  options.temperature, tokenizer_);
}

}  // namespace llmsim
