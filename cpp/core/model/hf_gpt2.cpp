#include "model/hf_gpt2.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
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
  // Streamed (HfGpt2Stream): the weights, and the bytes of the largest tensor, which
  // may arrive split across pieces and is then gathered whole before it is decoded.
  uint64_t largest = 0;
  for (const TensorInfo& t : header.tensors) largest = std::max(largest, t.end - t.begin);
  s.peak_bytes = s.weight_bytes + largest;
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

// A tensor's elements, from its own bytes, as float into `out` (its size checked by
// check_tensors), then each checked finite: a NaN weight would silently poison every logit.
void decode_checked(const TensorInfo& t, const uint8_t* bytes, float* out, const std::string& source) {
  decode_tensor_bytes(t, bytes, out, source);
  for (uint64_t i = 0; i < t.count; ++i)
    if (!std::isfinite(out[i]))
      throw Error(source + ": tensor " + quoted(t.name) + " holds a value that is not finite (element " +
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
// has no separate unembedding to put it in. Its shape and dtype are checked with the
// header, its values (compare_lm_head) once both are decoded.
void check_lm_head_shape(const TensorInfo& t, const GptConfig& c, const std::string& source) {
  const std::vector<int64_t> wte{c.vocab_size, c.d_model};
  if (t.shape != wte || (t.dtype != DType::F32 && t.dtype != DType::F16 && t.dtype != DType::BF16))
    throw Error(source + ": tensor \"lm_head.weight\" (" + t.dtype_text + ", shape " +
                shape_to_string(t.shape) + ") is not wte.weight " + shape_to_string(wte) +
                ": the project's GPT ties its unembedding to wte, as GPT-2 does");
}
void compare_lm_head(const Matrix& lm_head, const Matrix& wte, const std::string& source) {
  for (Eigen::Index v = 0; v < wte.rows(); ++v)
    if (std::memcmp(lm_head.row(v).data(), wte.row(v).data(), sizeof(float) * size_t(wte.cols())) != 0)
      throw Error(source + ": tensor \"lm_head.weight\" differs from wte.weight (row " + std::to_string(v) +
                  "): an untied unembedding, which the project's GPT (logits = x·wteᵀ, as GPT-2) "
                  "cannot hold");
}

// 1. config.json -> the project's config (read before the weights' header, so a
// broken config.json is the error named first)
GptConfig config_of(const std::string& config_json, const std::string& config_source) {
  const json j = json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error(config_source + ": not valid JSON");
  return hf_gpt2_config(j, config_source);
}

// The weights made one tensor at a time, in whatever order the tensors come: from a
// whole file (load_hf_gpt2) or as each tensor's last byte arrives (HfGpt2Stream).
class Builder {
 public:
  Builder(const GptConfig& config, const SafetensorsHeader& header, const std::string& weights_source)
      : source_(weights_source) {
    model_.config = config;
    const GptConfig& c = model_.config;
    // 2. the header: every tensor there, of its shape and dtype, nothing unexpected
    prefix_ = prefix_of(header);
    expected_ = expected_tensors(c);
    check_tensors(header, expected_, prefix_, c, weights_source);
    for (const Expected& e : expected_) by_name_[prefix_ + e.name] = &e;
    if (const TensorInfo* lm_head = header.find(kLmHead)) check_lm_head_shape(*lm_head, c, weights_source);
    // 3. the weights, to be filled in: check_tensors made sure the file has every one,
    // and a file cut short is an Error (finish), so none is read unset. c_attn goes
    // through one reused scratch.
    model_.weights = unset_weights(c);
    for (GptBlock& b : model_.weights.blocks) b.attn.b_o.resize(c.d_model);  // GPT-2's own: not in gpt_tensors
    qkv_weight_.resize(c.d_model, 3 * c.d_model);  // [C, 3C]
    qkv_bias_.resize(3 * c.d_model);              // [3C]
  }

  // Whether put() reads tensor t: a parameter or lm_head, whose shapes the config
  // bounds (check_tensors), not a mask buffer, whose shape nothing bounds.
  bool reads(const TensorInfo& t) const { return t.name == kLmHead || by_name_.count(t.name) > 0; }

  // One tensor of the file, from its own bytes (t.end - t.begin of them).
  void put(const TensorInfo& t, const uint8_t* bytes) {
    GptWeights& w = model_.weights;
    if (t.name == kLmHead) {  // decoded whole, to be compared with wte
      lm_head_.resize(w.tok_emb.rows(), w.tok_emb.cols());
      decode_tensor_bytes(t, bytes, lm_head_.data(), source_);
      return;
    }
    const auto found = by_name_.find(t.name);
    if (found == by_name_.end()) return;  // a mask buffer (check_tensors let nothing else through)
    const Expected& e = *found->second;
    decode_checked(t, bytes, destination(w, e, qkv_weight_, qkv_bias_), source_);
    if (e.part == Part::c_attn_weight) split_qkv_weight(qkv_weight_, w.blocks[size_t(e.layer)].attn);
    if (e.part == Part::c_attn_bias) split_qkv_bias(qkv_bias_, w.blocks[size_t(e.layer)].attn);
  }

  // 4. after every tensor: an lm_head, if any, is wte
  HfGpt2 finish() {
    if (lm_head_.size()) compare_lm_head(lm_head_, model_.weights.tok_emb, source_);
    lm_head_.resize(0, 0);
    return std::move(model_);
  }

 private:
  std::string source_, prefix_;
  HfGpt2 model_;
  std::vector<Expected> expected_;
  std::map<std::string, const Expected*> by_name_;  // the file's names
  Matrix qkv_weight_, lm_head_;
  RowVector qkv_bias_;
};

}  // namespace

HfGpt2 load_hf_gpt2(const std::string& config_json, const uint8_t* bytes, size_t size,
                    const std::string& config_source, const std::string& weights_source) {
  const GptConfig config = config_of(config_json, config_source);
  const SafetensorsHeader header = read_safetensors_header(bytes, size, weights_source, /*whole_file=*/true);
  Builder builder(config, header, weights_source);
  // The whole file is here, and the header's tensors tile its data exactly.
  for (const TensorInfo& t : header.tensors) builder.put(t, bytes + header.data_offset + t.begin);
  return builder.finish();
}

// ---- loading in pieces ----------------------------------------------------------------

struct HfGpt2Stream::State {
  SafetensorsHeader header;
  std::vector<const TensorInfo*> order;  // by their place in the file
  std::unique_ptr<Builder> builder;
  std::string source;
  uint64_t position = 0;       // bytes of the file fed so far
  size_t next = 0;             // order[next]: the tensor the next data bytes belong to
  std::vector<uint8_t> piece;  // its bytes so far, when it spans pieces
};

HfGpt2Stream::HfGpt2Stream(const std::string& config_json, const uint8_t* head, size_t head_size,
                           const std::string& config_source, const std::string& weights_source)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.source = weights_source;
  const GptConfig config = config_of(config_json, config_source);
  s.header = read_safetensors_header(head, head_size, weights_source, /*whole_file=*/false);
  s.builder = std::make_unique<Builder>(config, s.header, weights_source);
  for (const TensorInfo& t : s.header.tensors) s.order.push_back(&t);
  std::sort(s.order.begin(), s.order.end(), [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
}

HfGpt2Stream::~HfGpt2Stream() = default;

uint64_t HfGpt2Stream::file_bytes() const { return state_->header.data_offset + state_->header.data_bytes; }

void HfGpt2Stream::feed(const uint8_t* bytes, size_t n) {
  State& s = *state_;
  const uint64_t data_offset = s.header.data_offset;
  if (s.position + n > file_bytes())
    throw Error(s.source + ": the file goes on past byte " + std::to_string(file_bytes()) +
                ", where its header's tensors end");
  while (true) {
    if (s.position < data_offset) {  // the header, already read
      const uint64_t skip = std::min<uint64_t>(n, data_offset - s.position);
      bytes += skip, n -= size_t(skip), s.position += skip;
      if (s.position < data_offset) return;
    }
    if (s.next == s.order.size()) return;
    const TensorInfo& t = *s.order[s.next];
    const uint64_t missing = data_offset + t.end - s.position;  // bytes of t still to come
    if (!s.builder->reads(t)) {  // a mask buffer: its bytes pass by, never gathered
      const uint64_t skip = std::min<uint64_t>(n, missing);
      bytes += skip, n -= size_t(skip), s.position += skip;
      if (skip < missing) return;
      ++s.next;
      continue;
    }
    if (s.piece.empty() && n >= missing) {  // all of t in this piece (or t is empty): decode in place
      s.builder->put(t, bytes);
    } else {
      const size_t take = size_t(std::min<uint64_t>(n, missing));
      if (s.piece.empty()) s.piece.reserve(size_t(t.end - t.begin));  // once: growing would copy it
      s.piece.insert(s.piece.end(), bytes, bytes + take);
      bytes += take, n -= take, s.position += take;
      if (take < missing) return;  // t goes on in the next piece
      s.builder->put(t, s.piece.data());
      s.piece.clear();
      ++s.next;
      continue;
    }
    bytes += missing, n -= size_t(missing), s.position += missing;
    ++s.next;
  }
}

HfGpt2 HfGpt2Stream::finish() {
  State& s = *state_;
  if (s.position != file_bytes())
    throw Error(s.source + ": the file ended after " + std::to_string(s.position) + " of the " +
                std::to_string(file_bytes()) + " bytes its header describes (cut short?)");
  std::vector<uint8_t>().swap(s.piece);
  return s.builder->finish();
}

HfGpt2 load_hf_gpt2_dir(const std::string& dir) {
  const std::string config_path = dir + "/config.json", weights_path = dir + "/model.safetensors";
  const std::string config_json = read_whole_file(config_path);
  const std::string weights = read_whole_file(weights_path);
  return load_hf_gpt2(config_json, reinterpret_cast<const uint8_t*>(weights.data()), weights.size(),
                      config_path, weights_path);
}

}  // namespace llmsim
