#include "model/hf_gpt2.hpp"

#include <cmath>
#include <cstring>
#include <set>
#include <vector>

#include "error.hpp"
#include "io/json_number.hpp"
#include "io/json_text.hpp"
#include "io/read_file.hpp"
#include "io/safetensors.hpp"

namespace llmsim {

using nlohmann::json;

// ---- config.json --------------------------------------------------------------------

bool is_hf_gpt2_config(const json& config) {
  return config.is_object() && config.contains("n_embd") && !config.contains("d_model");
}

namespace {

int required_int(const json& config, const char* key, const std::string& source) {
  if (!config.contains(key))
    throw Error(source + ": missing \"" + key + "\", which a GPT-2 config.json must have");
  return json_int(config.at(key), source + ": \"" + key + "\"", 1, 1 << 20);
}

// A key that may be absent (then `fallback`) and must otherwise equal `expected`:
// settings that would change the mathematics the project's GPT computes.
void require_setting(const json& config, const char* key, const json& expected,
                     const std::string& why, const std::string& source) {
  if (!config.contains(key) || config.at(key) == expected) return;
  throw Error(source + ": \"" + key + "\" is " + describe_json(config.at(key)) + "; the project's GPT " +
              "computes only " + json_text(expected) + " (" + why + ")");
}

}  // namespace

GptConfig hf_gpt2_config(const json& j, const std::string& source) {
  if (!j.is_object()) throw Error(source + ": a GPT-2 config.json must be a JSON object");
  // 1. what would change the mathematics
  if (j.contains("model_type") && j.at("model_type") != "gpt2")
    throw Error(source + ": \"model_type\" is " + describe_json(j.at("model_type")) +
                "; only GPT-2 checkpoints (\"gpt2\") can be loaded");
  if (j.contains("activation_function")) {
    const json& f = j.at("activation_function");
    if (f != "gelu_new" && f != "gelu_pytorch_tanh" && f != "gelu_fast")
      throw Error(source + ": \"activation_function\" is " + describe_json(f) +
                  "; the project's GPT computes the tanh GELU only (\"gelu_new\", as GPT-2; "
                  "\"gelu\" is the exact erf form)");
  }
  require_setting(j, "scale_attn_weights", true, "scores divided by sqrt(d_k)", source);
  require_setting(j, "scale_attn_by_inverse_layer_idx", false, "no extra scale per layer", source);
  require_setting(j, "add_cross_attention", false, "a decoder without cross-attention", source);
  require_setting(j, "tie_word_embeddings", true, "logits = x·wteᵀ, the unembedding tied to wte", source);

  // 2. the shape, renamed
  GptConfig c;
  c.n_layer = required_int(j, "n_layer", source);
  c.n_head = required_int(j, "n_head", source);
  c.d_model = required_int(j, "n_embd", source);
  c.context = required_int(j, "n_positions", source);
  c.vocab_size = required_int(j, "vocab_size", source);
  c.d_ff = j.contains("n_inner") && !j.at("n_inner").is_null()
               ? json_int(j.at("n_inner"), source + ": \"n_inner\"", 1, 1 << 20)
               : 4 * c.d_model;
  if (j.contains("layer_norm_epsilon")) {
    const json& eps = j.at("layer_norm_epsilon");
    if (!eps.is_number()) throw Error(source + ": \"layer_norm_epsilon\" must be a number");
    c.layer_norm_eps = eps.get<float>();
  }
  try {
    c.validate("the project's GPT");
  } catch (const Error& e) {
    throw Error(source + ": as " + e.what() +
                " (its names: d_model = n_embd, context = n_positions, d_ff = n_inner or 4·n_embd, "
                "layer_norm_eps = layer_norm_epsilon)");
  }
  return c;
}

// ---- the tensors of a checkpoint ----------------------------------------------------

namespace {

// What a file tensor becomes.
enum class Part {
  wte, wpe, ln_1_weight, ln_1_bias, c_attn_weight, c_attn_bias, attn_proj_weight,
  attn_proj_bias, ln_2_weight, ln_2_bias, fc_weight, fc_bias, mlp_proj_weight, mlp_proj_bias,
  ln_f_weight, ln_f_bias,
};
enum class Dim { model, model3, ff, vocab, positions };

struct Row {
  Part part;
  const char* name;  // in a block, after "h.{l}."
  Dim rows;          // a vector has only cols
  Dim cols;
  bool vector;
};

// The one table of GPT-2's tensor names and shapes, in the order of the computation.
constexpr Row kEmbeddings[] = {
    {Part::wte, "wte.weight", Dim::vocab, Dim::model, false},
    {Part::wpe, "wpe.weight", Dim::positions, Dim::model, false},
};
constexpr Row kBlock[] = {
    {Part::ln_1_weight, "ln_1.weight", Dim::model, Dim::model, true},
    {Part::ln_1_bias, "ln_1.bias", Dim::model, Dim::model, true},
    {Part::c_attn_weight, "attn.c_attn.weight", Dim::model, Dim::model3, false},
    {Part::c_attn_bias, "attn.c_attn.bias", Dim::model, Dim::model3, true},
    {Part::attn_proj_weight, "attn.c_proj.weight", Dim::model, Dim::model, false},
    {Part::attn_proj_bias, "attn.c_proj.bias", Dim::model, Dim::model, true},
    {Part::ln_2_weight, "ln_2.weight", Dim::model, Dim::model, true},
    {Part::ln_2_bias, "ln_2.bias", Dim::model, Dim::model, true},
    {Part::fc_weight, "mlp.c_fc.weight", Dim::model, Dim::ff, false},
    {Part::fc_bias, "mlp.c_fc.bias", Dim::model, Dim::ff, true},
    {Part::mlp_proj_weight, "mlp.c_proj.weight", Dim::ff, Dim::model, false},
    {Part::mlp_proj_bias, "mlp.c_proj.bias", Dim::model, Dim::model, true},
};
constexpr Row kFinal[] = {
    {Part::ln_f_weight, "ln_f.weight", Dim::model, Dim::model, true},
    {Part::ln_f_bias, "ln_f.bias", Dim::model, Dim::model, true},
};

int64_t size_of(Dim d, const GptConfig& c) {
  switch (d) {
    case Dim::model: return c.d_model;
    case Dim::model3: return 3 * int64_t(c.d_model);
    case Dim::ff: return c.d_ff;
    case Dim::vocab: return c.vocab_size;
    case Dim::positions: return c.context;
  }
  return 0;
}

struct Expected {
  std::string name;  // without the prefix
  int layer;         // -1 outside the blocks
  Part part;
  std::vector<int64_t> shape;
};

std::vector<Expected> expected_tensors(const GptConfig& c) {
  std::vector<Expected> all;
  auto add = [&](const Row& r, int layer) {
    const std::string name = layer < 0 ? r.name : "h." + std::to_string(layer) + "." + r.name;
    all.push_back({name, layer, r.part,
                   r.vector ? std::vector<int64_t>{size_of(r.cols, c)}
                            : std::vector<int64_t>{size_of(r.rows, c), size_of(r.cols, c)}});
  };
  for (const Row& r : kEmbeddings) add(r, -1);
  for (int l = 0; l < c.n_layer; ++l)
    for (const Row& r : kBlock) add(r, l);
  for (const Row& r : kFinal) add(r, -1);
  return all;
}

const std::string kPrefix = "transformer.";
const std::string kLmHead = "lm_head.weight";

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The causal-mask buffers some checkpoints carry: "h.{l}.attn.bias" / ".masked_bias"
// (not "attn.c_attn.bias", a parameter).
bool is_mask_buffer(const std::string& name) {
  return starts_with(name, "h.") && (ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias"));
}

// The file's prefix: "transformer." if its wte has it, else none.
std::string prefix_of(const SafetensorsHeader& header) {
  return header.find(kPrefix + "wte.weight") ? kPrefix : "";
}

// A tensor's name without the file's prefix; lm_head.weight never has one.
std::string unprefixed(const std::string& name, const std::string& prefix) {
  return !prefix.empty() && starts_with(name, prefix) ? name.substr(prefix.size()) : name;
}

std::string quoted(const std::string& name) { return "\"" + utf8_cut(name, 80) + "\""; }

}  // namespace

HfGpt2Size hf_gpt2_size(const uint8_t* bytes, size_t size, const std::string& source) {
  const SafetensorsHeader header = read_safetensors_header(bytes, size, source, /*whole_file=*/false);
  const std::string prefix = prefix_of(header);
  HfGpt2Size s;
  for (const TensorInfo& t : header.tensors) {
    const std::string name = unprefixed(t.name, prefix);
    if (name == kLmHead || is_mask_buffer(name)) continue;
    s.parameters += int64_t(t.count);
  }
  s.file_bytes = header.data_offset + header.data_bytes;
  s.weight_bytes = uint64_t(s.parameters) * sizeof(float);
  s.peak_bytes = s.file_bytes + s.weight_bytes;
  // an lm_head is decoded whole to be compared with wte
  if (const TensorInfo* lm_head = header.find(kLmHead)) s.peak_bytes += lm_head->count * sizeof(float);
  return s;
}

// ---- loading ------------------------------------------------------------------------

namespace {

// Every tensor the config needs is in the file with its shape and a dtype we decode;
// nothing else is, but the buffers and lm_head. Checked before anything is decoded,
// so a wrong file fails at once, before allocating what it claims to hold.
void check_tensors(const SafetensorsHeader& header, const std::vector<Expected>& expected,
                   const std::string& prefix, const GptConfig& c, const std::string& source) {
  const std::string model = "a GPT-2 with n_layer " + std::to_string(c.n_layer) + ", n_embd " +
                            std::to_string(c.d_model) + ", vocab_size " + std::to_string(c.vocab_size) +
                            " and n_positions " + std::to_string(c.context);
  std::set<std::string> known;
  for (const Expected& e : expected) {
    known.insert(prefix + e.name);
    const TensorInfo* t = header.find(prefix + e.name);
    if (!t)
      throw Error(source + ": has no tensor " + quoted(prefix + e.name) + " " + shape_to_string(e.shape) +
                  ", which " + model + " needs (is it the weight file for this config.json?)");
    if (t->shape != e.shape) {
      const bool transposed = t->shape.size() == 2 && e.shape.size() == 2 && t->shape[0] == e.shape[1] &&
                              t->shape[1] == e.shape[0];
      throw Error(source + ": tensor " + quoted(t->name) + " has shape " + shape_to_string(t->shape) +
                  ", expected " + shape_to_string(e.shape) + " for " + model +
                  (transposed ? " (stored transposed: GPT-2's Conv1D weights are [in, out])" : ""));
    }
    if (t->dtype != DType::F32 && t->dtype != DType::F16 && t->dtype != DType::BF16)
      throw Error(source + ": tensor " + quoted(t->name) + " has dtype " + t->dtype_text +
                  "; a GPT-2 checkpoint's tensors must be F32, F16 or BF16");
  }
  for (const TensorInfo& t : header.tensors) {
    const std::string name = unprefixed(t.name, prefix);
    if (known.count(t.name) || is_mask_buffer(name) || t.name == kLmHead) continue;
    throw Error(source + ": has a tensor " + quoted(t.name) + " that " + model +
                " does not have (is it the weight file for this config.json, or another model's?)");
  }
}

// A tensor's elements as float into `out` (its size checked by check_tensors), then
// each checked finite: a NaN weight would silently poison every logit.
void decode_checked(const uint8_t* bytes, size_t size, const SafetensorsHeader& header,
                    const std::string& name, float* out, const std::string& source) {
  const TensorInfo& t = *header.find(name);
  decode_tensor(bytes, size, header, t, out, source);
  for (uint64_t i = 0; i < t.count; ++i)
    if (!std::isfinite(out[i]))
      throw Error(source + ": tensor " + quoted(name) + " holds a value that is not finite (element " +
                  std::to_string(i) + ")");
}

// Where a tensor goes in the weights: a matrix or a vector of exactly its size. The
// fused c_attn goes to the block's scratch and is split by split_qkv.
float* destination(GptWeights& w, const Expected& e, Matrix& qkv_weight, RowVector& qkv_bias) {
  switch (e.part) {
    case Part::wte: return w.tok_emb.data();
    case Part::wpe: return w.pos_emb.data();
    case Part::ln_f_weight: return w.lnf_weight.data();
    case Part::ln_f_bias: return w.lnf_bias.data();
    default: break;
  }
  GptBlock& b = w.blocks.at(size_t(e.layer));
  switch (e.part) {
    case Part::ln_1_weight: return b.ln1_weight.data();
    case Part::ln_1_bias: return b.ln1_bias.data();
    case Part::c_attn_weight: return qkv_weight.data();
    case Part::c_attn_bias: return qkv_bias.data();
    case Part::attn_proj_weight: return b.attn.w_o.data();
    case Part::attn_proj_bias: return b.attn.b_o.data();
    case Part::ln_2_weight: return b.ln2_weight.data();
    case Part::ln_2_bias: return b.ln2_bias.data();
    case Part::fc_weight: return b.fc_weight.data();
    case Part::fc_bias: return b.fc_bias.data();
    case Part::mlp_proj_weight: return b.proj_weight.data();
    case Part::mlp_proj_bias: return b.proj_bias.data();
    default: break;
  }
  throw Error("GPT-2 tensor " + quoted(e.name) + " has no place in the weights");
}

// c_attn's columns are Q | K | V, C each (x·W: the input is the row): [C, 3C] -> three [C, C].
void split_qkv_weight(const Matrix& qkv, AttentionWeights& a) {
  const Eigen::Index C = qkv.rows();
  a.w_q = qkv.middleCols(0, C);
  a.w_k = qkv.middleCols(C, C);
  a.w_v = qkv.middleCols(2 * C, C);
}
void split_qkv_bias(const RowVector& qkv, AttentionWeights& a) {
  const Eigen::Index C = qkv.size() / 3;
  a.b_q = qkv.segment(0, C);
  a.b_k = qkv.segment(C, C);
  a.b_v = qkv.segment(2 * C, C);
}

// lm_head.weight, if the file has one, must be wte itself (tied): the project's GPT
// has no separate unembedding to put it in.
void check_tied_lm_head(const uint8_t* bytes, size_t size, const SafetensorsHeader& header,
                        const Matrix& wte, const std::string& source) {
  const TensorInfo* t = header.find(kLmHead);
  if (!t) return;
  if (t->shape != std::vector<int64_t>{wte.rows(), wte.cols()} ||
      (t->dtype != DType::F32 && t->dtype != DType::F16 && t->dtype != DType::BF16))
    throw Error(source + ": tensor \"lm_head.weight\" (" + t->dtype_text + ", shape " +
                shape_to_string(t->shape) + ") is not wte.weight " +
                shape_to_string({wte.rows(), wte.cols()}) +
                ": the project's GPT ties its unembedding to wte, as GPT-2 does");
  Matrix lm_head(wte.rows(), wte.cols());
  decode_tensor(bytes, size, header, *t, lm_head.data(), source);
  for (Eigen::Index v = 0; v < wte.rows(); ++v)
    if (std::memcmp(lm_head.row(v).data(), wte.row(v).data(), sizeof(float) * size_t(wte.cols())) != 0)
      throw Error(source + ": tensor \"lm_head.weight\" differs from wte.weight (row " + std::to_string(v) +
                  "): an untied unembedding, which the project's GPT (logits = x·wteᵀ, as GPT-2) "
                  "cannot hold");
}

}  // namespace

HfGpt2 load_hf_gpt2(const std::string& config_json, const uint8_t* bytes, size_t size,
                    const std::string& config_source, const std::string& weights_source) {
  // 1. config.json -> the project's config
  const json j = json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error(config_source + ": not valid JSON");
  HfGpt2 model;
  model.config = hf_gpt2_config(j, config_source);
  const GptConfig& c = model.config;

  // 2. the header: every tensor there, of its shape and dtype, nothing unexpected
  const SafetensorsHeader header = read_safetensors_header(bytes, size, weights_source, /*whole_file=*/true);
  const std::string prefix = prefix_of(header);
  const std::vector<Expected> expected = expected_tensors(c);
  check_tensors(header, expected, prefix, c, weights_source);

  // 3. each tensor decoded straight into its place; c_attn through one reused scratch
  model.weights = zero_weights(c);
  GptWeights& w = model.weights;
  for (GptBlock& b : w.blocks) b.attn.b_o.setZero(c.d_model);
  Matrix qkv_weight(c.d_model, 3 * c.d_model);  // [C, 3C]
  RowVector qkv_bias(3 * c.d_model);            // [3C]
  for (const Expected& e : expected) {
    decode_checked(bytes, size, header, prefix + e.name, destination(w, e, qkv_weight, qkv_bias),
                   weights_source);
    if (e.part == Part::c_attn_weight) split_qkv_weight(qkv_weight, w.blocks[size_t(e.layer)].attn);
    if (e.part == Part::c_attn_bias) split_qkv_bias(qkv_bias, w.blocks[size_t(e.layer)].attn);
  }

  // 4. an lm_head, if any, is wte
  check_tied_lm_head(bytes, size, header, w.tok_emb, weights_source);
  return model;
}

HfGpt2 load_hf_gpt2_dir(const std::string& dir) {
  const std::string config_path = dir + "/config.json", weights_path = dir + "/model.safetensors";
  const std::string config_json = read_whole_file(config_path);
  const std::string weights = read_whole_file(weights_path);
  return load_hf_gpt2(config_json, reinterpret_cast<const uint8_t*>(weights.data()), weights.size(),
                      config_path, weights_path);
}

}  // namespace llmsim
