#include "model/gpt_weights.hpp"

#include <cmath>
#include <set>

#include "error.hpp"
#include "rng.hpp"

namespace llmsim {

using nlohmann::json;

// ---- configuration -----------------------------------------------------------------

static const char* const kConfigKeys[] = {"vocab_size", "d_model", "n_layer",       "n_head",
                                          "context",    "d_ff",    "layer_norm_eps"};

GptConfig GptConfig::from_json(const json& j, const std::string& source) {
  if (!j.is_object()) throw Error(source + ": the model config must be a JSON object");
  // the rule of is_hf_gpt2_config (hf_gpt2.hpp)
  if (j.contains("n_embd") && !j.contains("d_model"))
    throw Error(source + ": is a Hugging Face GPT-2 config (it has \"n_embd\", not \"d_model\"); "
                "it is read with its model.safetensors by load_hf_gpt2, not as the project's config");
  for (const auto& item : j.items()) {
    bool known = false;
    for (const char* key : kConfigKeys) known = known || item.key() == key;
    if (!known)
      throw Error(source + ": unknown key \"" + item.key() +
                  "\" (known: vocab_size, d_model, n_layer, n_head, context, d_ff, layer_norm_eps)");
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
  if (j.contains("layer_norm_eps")) {
    const json& eps = j.at("layer_norm_eps");
    if (!eps.is_number()) throw Error(source + ": \"layer_norm_eps\" must be a number");
    c.layer_norm_eps = eps.get<float>();
  }
  c.validate(source);
  return c;
}

json GptConfig::to_json() const {
  json j{{"vocab_size", vocab_size}, {"d_model", d_model}, {"n_layer", n_layer},
         {"n_head", n_head},         {"context", context}, {"d_ff", d_ff}};
  if (layer_norm_eps != kLayerNormEps) j["layer_norm_eps"] = layer_norm_eps;
  return j;
}

void GptConfig::validate(const std::string& source) const {
  auto in_range = [&](const char* key, int value, int lo, int hi) {
    if (value < lo || value > hi)
      throw Error(source + ": \"" + key + "\" must be between " + std::to_string(lo) + " and " +
                  std::to_string(hi) + ", got " + std::to_string(value));
  };
  // Limits that keep every tensor well inside wasm32's memory and the page responsive.
  in_range("vocab_size", vocab_size, 2, 65536);
  in_range("d_model", d_model, 1, 1024);
  in_range("n_layer", n_layer, 1, 48);
  in_range("n_head", n_head, 1, 64);
  in_range("context", context, 1, 4096);
  in_range("d_ff", d_ff, 1, 8192);
  // ε keeps LayerNorm's 1/sqrt(var + ε) finite on a constant row; GPT-2's is 1e-5.
  if (!(layer_norm_eps > 0.0f && layer_norm_eps <= 1.0f))
    throw Error(source + ": \"layer_norm_eps\" must be in (0, 1], got " + std::to_string(layer_norm_eps));
  if (d_model % n_head != 0)
    throw Error(source + ": d_model " + std::to_string(d_model) +
                " must be divisible by n_head " + std::to_string(n_head));
}

int64_t GptConfig::parameter_count() const {
  int64_t count = 0;
  for (const GptTensor& t : gpt_tensors(*this)) count += int64_t(t.size());
  return count;
}

// ---- the table of tensors -----------------------------------------------------------

namespace {

enum class Dim { one, vocab, context, model, ff };  // a shape's side, by what sets it

struct TensorRow {
  TensorRole role;
  const char* name;  // in a block, after "blocks.{l}."
  Dim rows, cols;
  TensorInit init;
};

// The model's tensors outside the blocks, and one block's, in file order. The single
// place that names them.
constexpr TensorRow kEmbeddings[] = {
    {TensorRole::tok_emb, "tok_emb", Dim::vocab, Dim::model, TensorInit::normal},
    {TensorRole::pos_emb, "pos_emb", Dim::context, Dim::model, TensorInit::normal},
};
constexpr TensorRow kBlock[] = {
    {TensorRole::ln1_weight, "ln1.weight", Dim::one, Dim::model, TensorInit::ones},
    {TensorRole::ln1_bias, "ln1.bias", Dim::one, Dim::model, TensorInit::zeros},
    {TensorRole::w_q, "attn.w_q", Dim::model, Dim::model, TensorInit::normal},
    {TensorRole::w_k, "attn.w_k", Dim::model, Dim::model, TensorInit::normal},
    {TensorRole::w_v, "attn.w_v", Dim::model, Dim::model, TensorInit::normal},
    {TensorRole::w_o, "attn.w_o", Dim::model, Dim::model, TensorInit::residual_normal},
    {TensorRole::ln2_weight, "ln2.weight", Dim::one, Dim::model, TensorInit::ones},
    {TensorRole::ln2_bias, "ln2.bias", Dim::one, Dim::model, TensorInit::zeros},
    {TensorRole::fc_weight, "mlp.fc.weight", Dim::model, Dim::ff, TensorInit::normal},
    {TensorRole::fc_bias, "mlp.fc.bias", Dim::one, Dim::ff, TensorInit::zeros},
    {TensorRole::proj_weight, "mlp.proj.weight", Dim::ff, Dim::model, TensorInit::residual_normal},
    {TensorRole::proj_bias, "mlp.proj.bias", Dim::one, Dim::model, TensorInit::zeros},
};
constexpr TensorRow kFinal[] = {
    {TensorRole::lnf_weight, "ln_f.weight", Dim::one, Dim::model, TensorInit::ones},
    {TensorRole::lnf_bias, "ln_f.bias", Dim::one, Dim::model, TensorInit::zeros},
};

int size_of(Dim dim, const GptConfig& c) {
  switch (dim) {
    case Dim::one: return 1;
    case Dim::vocab: return c.vocab_size;
    case Dim::context: return c.context;
    case Dim::model: return c.d_model;
    case Dim::ff: return c.d_ff;
  }
  return 0;
}

GptTensor tensor_of(const TensorRow& row, int layer, const GptConfig& c) {
  GptTensor t;
  t.name = layer < 0 ? row.name : "blocks." + std::to_string(layer) + "." + row.name;
  t.layer = layer;
  t.rows = size_of(row.rows, c);
  t.cols = size_of(row.cols, c);
  t.role = row.role;
  t.init = row.init;
  t.decay = row.init == TensorInit::normal || row.init == TensorInit::residual_normal;
  return t;
}

// One member of GptWeights: a matrix or a row vector.
struct Slot {
  Matrix* matrix = nullptr;
  RowVector* vector = nullptr;
  PackedWeight* packed = nullptr;  // where the matrix is kept instead, when packed
};

Slot slot(GptWeights& w, const GptTensor& t) {
  if (t.layer < 0) {
    switch (t.role) {
      case TensorRole::tok_emb: return {&w.tok_emb, nullptr};
      case TensorRole::pos_emb: return {&w.pos_emb, nullptr};
      case TensorRole::lnf_weight: return {nullptr, &w.lnf_weight};
      case TensorRole::lnf_bias: return {nullptr, &w.lnf_bias};
      default: break;
    }
  } else {
    GptBlock& b = w.blocks.at(size_t(t.layer));
    switch (t.role) {
      case TensorRole::ln1_weight: return {nullptr, &b.ln1_weight};
      case TensorRole::ln1_bias: return {nullptr, &b.ln1_bias};
      case TensorRole::w_q: return {&b.attn.w_q, nullptr};
      case TensorRole::w_k: return {&b.attn.w_k, nullptr};
      case TensorRole::w_v: return {&b.attn.w_v, nullptr};
      case TensorRole::w_o: return {&b.attn.w_o, nullptr};
      case TensorRole::ln2_weight: return {nullptr, &b.ln2_weight};
      case TensorRole::ln2_bias: return {nullptr, &b.ln2_bias};
      case TensorRole::fc_weight: return {&b.fc_weight, nullptr, &b.fc_packed};
      case TensorRole::fc_bias: return {nullptr, &b.fc_bias};
      case TensorRole::proj_weight: return {&b.proj_weight, nullptr, &b.proj_packed};
      case TensorRole::proj_bias: return {nullptr, &b.proj_bias};
      default: break;
    }
  }
  throw Error("tensor \"" + t.name + "\" has no place in the weights");
}

}  // namespace

std::vector<GptTensor> gpt_tensors(const GptConfig& c) {
  std::vector<GptTensor> tensors;
  for (const TensorRow& row : kEmbeddings) tensors.push_back(tensor_of(row, -1, c));
  for (int l = 0; l < c.n_layer; ++l)
    for (const TensorRow& row : kBlock) tensors.push_back(tensor_of(row, l, c));
  for (const TensorRow& row : kFinal) tensors.push_back(tensor_of(row, -1, c));
  return tensors;
}

GptWeights unset_weights(const GptConfig& c) {
  GptWeights w;
  w.blocks.resize(size_t(c.n_layer));
  for (const GptTensor& t : gpt_tensors(c)) {
    const Slot s = slot(w, t);
    if (s.matrix) s.matrix->resize(t.rows, t.cols);
    else s.vector->resize(t.cols);
  }
  return w;
}

GptWeights zero_weights(const GptConfig& c) {
  GptWeights w = unset_weights(c);
  for (const GptTensor& t : gpt_tensors(c)) tensor_in(w, t).setZero();
  return w;
}

GptWeights random_gpt_weights(const GptConfig& c, uint64_t seed, float spread) {
  GptWeights w = zero_weights(c);
  Rng rng(seed);
  for (const GptTensor& t : gpt_tensors(c)) {
    auto m = tensor_in(w, t);
    if (t.init == TensorInit::ones) m.setOnes();
    else m = rng.normal_matrix(t.rows, t.cols, t.init == TensorInit::zeros ? spread / 5 : spread);
  }
  return w;
}

static float* data_of(const Slot& s, const GptTensor& t) {
  if (s.packed && !s.packed->empty())
    throw Error("tensor \"" + t.name + "\" is kept packed for the SIMD GEMM: unpack_weight reads it");
  const Eigen::Index size = s.matrix ? s.matrix->size() : s.vector->size();
  if (size_t(size) != t.size())
    throw Error("tensor \"" + t.name + "\": the weights do not have the config's shape");
  return s.matrix ? s.matrix->data() : s.vector->data();
}

Eigen::Map<Matrix> tensor_in(GptWeights& w, const GptTensor& t) {
  return Eigen::Map<Matrix>(data_of(slot(w, t), t), t.rows, t.cols);
}

Eigen::Map<const Matrix> tensor_in(const GptWeights& w, const GptTensor& t) {
  return Eigen::Map<const Matrix>(data_of(slot(const_cast<GptWeights&>(w), t), t), t.rows, t.cols);
}

void pack_mlp_weights(GptWeights& w) {
  for (GptBlock& b : w.blocks)
    for (auto [plain, packed] :
         {std::pair{&b.fc_weight, &b.fc_packed}, std::pair{&b.proj_weight, &b.proj_packed}})
      if (packed->empty()) {
        *packed = pack_weight(*plain);
        *plain = Matrix();  // freed now, so at most one matrix is held twice
      }
}

// ---- weights <-> safetensors -------------------------------------------------------

// A tensor's values in row-major order, unpacked if the weights keep it packed.
static std::vector<float> tensor_values(const GptWeights& w, const GptTensor& t) {
  const PackedWeight* packed = slot(const_cast<GptWeights&>(w), t).packed;
  if (packed && !packed->empty()) {
    const Matrix m = unpack_weight(*packed);
    return std::vector<float>(m.data(), m.data() + m.size());
  }
  const auto m = tensor_in(w, t);
  return std::vector<float>(m.data(), m.data() + m.size());
}

TensorFile gpt_weights_to_tensors(const GptConfig& c, const GptWeights& w) {
  // The file's table (gpt_tensors) has no attention biases: writing a GPT-2 checkpoint's
  // weights in this format would silently drop them.
  for (size_t l = 0; l < w.blocks.size(); ++l)
    if (w.blocks[l].attn.has_biases())
      throw Error("the project's weight file has no attention biases, but block " + std::to_string(l) +
                  " has them (a GPT-2 checkpoint): keep it in its own format");
  TensorFile f;
  for (const GptTensor& t : gpt_tensors(c)) {
    f.tensors[t.name] = Tensor{t.file_shape(), tensor_values(w, t)};
  }
  return f;
}

GptWeights gpt_weights_from_tensors(const TensorFile& f, const GptConfig& c,
                                    const std::string& source) {
  GptWeights w = zero_weights(c);
  std::set<std::string> used;
  for (const GptTensor& t : gpt_tensors(c)) {
    used.insert(t.name);
    const std::string shape = t.rows == 1 ? "[" + std::to_string(t.cols) + "]"
                                          : "[" + std::to_string(t.rows) + ", " + std::to_string(t.cols) + "]";
    if (!f.tensors.count(t.name))
      throw Error(source + ": has no tensor \"" + t.name + "\" " + shape +
                  ", which the config needs (is it the weight file for this config.json?)");
    if (t.rows == 1) tensor_in(w, t) = tensor_vector(f, t.name, t.cols, source).transpose();
    else tensor_in(w, t) = tensor_matrix(f, t.name, t.rows, t.cols, source);
  }
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

std::optional<GptWeights> gpt_weights_from_safetensors(const uint8_t* bytes, size_t size,
                                                       const GptConfig& c, const std::string& source) {
  const SafetensorsHeader header = read_safetensors_header(bytes, size, source, /*whole_file=*/true);
  // 1. Every tensor the config needs, in its shape and a dtype read as-is, and nothing
  // else (the file's tensors are the config's plus one scale per I8 tensor).
  struct Place {
    const GptTensor* tensor;
    const TensorInfo* info;
    const TensorInfo* scales;  // an I8 tensor's, one per row; else null
  };
  const std::vector<GptTensor> tensors = gpt_tensors(c);
  std::vector<Place> places;
  size_t expected = tensors.size();
  for (const GptTensor& t : tensors) {
    const std::vector<int64_t> shape = t.file_shape();
    const TensorInfo* info = header.find(t.name);
    if (!info || info->dtype == DType::other || info->shape != shape) return std::nullopt;
    const TensorInfo* scales = nullptr;
    if (info->dtype == DType::I8) {
      scales = header.find(t.name + std::string(kRowScaleSuffix));
      if (!scales || (scales->dtype != DType::F32 && scales->dtype != DType::F16) ||
          scales->shape != std::vector<int64_t>{shape[0]})
        return std::nullopt;
      ++expected;
    }
    places.push_back({&t, info, scales});
  }
  if (header.tensors.size() != expected) return std::nullopt;

  // 2. Each decoded into its place (every element written: no zeroing first); an I8
  // tensor's rows times their scales, as parse_safetensors multiplies them.
  GptWeights w = unset_weights(c);
  std::vector<float> row_scales;
  for (const Place& p : places) {
    float* out = tensor_in(w, *p.tensor).data();
    decode_tensor(bytes, size, header, *p.info, out, source);
    if (!p.scales) continue;
    row_scales.resize(size_t(p.scales->count));
    decode_tensor(bytes, size, header, *p.scales, row_scales.data(), source);
    scale_rows(out, size_t(p.info->count), row_scales);
  }
  // 3. Finite, or the long way says which tensor is not.
  for (const Place& p : places)
    if (!tensor_in(w, *p.tensor).allFinite()) return std::nullopt;
  return w;
}

}  // namespace llmsim
