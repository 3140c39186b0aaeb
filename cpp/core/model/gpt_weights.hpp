// The GPT's shape (GptConfig), its weights (GptWeights) and the one table of its
// tensors: every tensor's name in the safetensors file, its shape, what it is for,
// how training starts it and whether weight decay applies. Loading, saving, counting
// parameters, the trainer's parameter buffer, its initialisation, its optimizer and
// the gradient checks all walk that table (gpt_tensors), so a tensor is added or
// renamed in one place.
//
// Tensor names and shapes (x·W convention, so a matrix is [in, out]; C = d_model,
// F = d_ff, V = vocab_size):
//   tok_emb [V, C]  pos_emb [context, C]
//   blocks.{l}.ln1.weight / .bias [C]       blocks.{l}.attn.w_q / w_k / w_v / w_o [C, C]
//   blocks.{l}.ln2.weight / .bias [C]       blocks.{l}.mlp.fc.weight [C, F]   .bias [F]
//                                           blocks.{l}.mlp.proj.weight [F, C] .bias [C]
//   ln_f.weight / .bias [C]
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/safetensors.hpp"
#include "matrix.hpp"
#include "model/attention.hpp"
#include "model/gpt_ops.hpp"

namespace llmsim {

struct GptConfig {
  int vocab_size = 1024;
  int d_model = 128;
  int n_layer = 4;
  int n_head = 4;
  int context = 128;  // longest sequence, BOS included: the rows of pos_emb
  int d_ff = 512;
  // LayerNorm's ε: 1e-5 (GPT-2's) for the project's models; an HF checkpoint's
  // layer_norm_epsilon (model/hf_gpt2.hpp). Optional in config.json ("layer_norm_eps"),
  // and written there only when it is not 1e-5, so the project's files do not change.
  float layer_norm_eps = kLayerNormEps;

  // Every key above but layer_norm_eps is required; unknown keys, wrong types and impossible shapes are
  // errors naming `source` (the file name).
  static GptConfig from_json(const nlohmann::json& j, const std::string& source);
  nlohmann::json to_json() const;
  void validate(const std::string& source) const;
  int64_t parameter_count() const;  // the sum of gpt_tensors' sizes
};

struct GptBlock {
  RowVector ln1_weight, ln1_bias;  // [C]
  AttentionWeights attn;           // w_q, w_k, w_v, w_o [C, C]
  RowVector ln2_weight, ln2_bias;  // [C]
  Matrix fc_weight;                // [C, F]; empty when packed (below)
  RowVector fc_bias;               // [F]
  Matrix proj_weight;              // [F, C]; empty when packed
  RowVector proj_bias;             // [C]
  // The MLP's matrices as the SIMD GEMM's panels instead (pack_mlp_weights), or empty.
  PackedWeight fc_packed, proj_packed;
};

struct GptWeights {
  Matrix tok_emb;  // [V, C], also the unembedding
  Matrix pos_emb;  // [context, C]
  std::vector<GptBlock> blocks;
  RowVector lnf_weight, lnf_bias;  // [C]
};

// What a tensor is: one role per member of GptWeights / GptBlock.
enum class TensorRole {
  tok_emb, pos_emb,
  ln1_weight, ln1_bias, w_q, w_k, w_v, w_o,
  ln2_weight, ln2_bias, fc_weight, fc_bias, proj_weight, proj_bias,
  lnf_weight, lnf_bias,
};

// How training starts a tensor (GPT-2's initialisation): matrices N(0, 0.02²); the
// two that write back into the residual stream (W_O, mlp.proj) scaled by
// 1/sqrt(2·n_layer), so the stream's variance does not grow with depth; LayerNorm
// gains 1; biases 0.
enum class TensorInit { normal, residual_normal, ones, zeros };

struct GptTensor {
  std::string name;  // as in the safetensors file, e.g. "blocks.0.attn.w_q"
  int layer = -1;    // its block; -1 for the embeddings and ln_f
  int rows = 1, cols = 1;  // a vector is [1, n]
  TensorRole role = TensorRole::tok_emb;
  TensorInit init = TensorInit::zeros;
  bool decay = false;  // weight decay: the matrices, not gains or biases
  size_t size() const { return size_t(rows) * size_t(cols); }
  // Its shape in a weight file: a vector as [n], a matrix as [rows, cols].
  std::vector<int64_t> file_shape() const {
    return rows == 1 ? std::vector<int64_t>{cols} : std::vector<int64_t>{rows, cols};
  }
};

// Every tensor of a model of this shape, in file order: the embeddings, each block's
// in the order of the block's computation, ln_f.
std::vector<GptTensor> gpt_tensors(const GptConfig& config);

// Weights of this shape, every tensor zero.
GptWeights zero_weights(const GptConfig& config);
// Weights of this shape whose numbers are not set, for a loader that writes every
// tensor (a checkpoint streamed in): zeroing half a gigabyte first touched every page
// of it before the file's first byte arrived, 1.3-1.6 s of a cold load in the page.
GptWeights unset_weights(const GptConfig& config);
// Weights of this shape drawn from `seed`, for a model that needs no training (tests,
// benchmarks): embeddings and matrices N(0, spread²), LayerNorm gains 1, biases
// N(0, (spread/5)²). Our own Rng, so the native and WASM builds draw the same values.
GptWeights random_gpt_weights(const GptConfig& config, uint64_t seed, float spread);
// The storage of `tensor` inside `weights` (which must have the config's shape), as a
// [rows, cols] matrix.
Eigen::Map<Matrix> tensor_in(GptWeights& weights, const GptTensor& tensor);
Eigen::Map<const Matrix> tensor_in(const GptWeights& weights, const GptTensor& tensor);

// In the WASM build a loaded model (Gpt) keeps its MLP's matrices only packed: the
// forward pass is their only reader there (the views, ablation and contributions read
// the attention's), so they are packed once at load instead of on every run, and the
// plain copies are freed as each is packed, so memory does not grow. Export
// (gpt_weights_to_tensors) unpacks them; tensor_in refuses a packed tensor. Does
// nothing to weights already packed.
void pack_mlp_weights(GptWeights& weights);

// Weights <-> the tensors of a safetensors file. Reading checks that every tensor
// the config needs is there with the right shape, finite, and that there are no
// others, throwing llmsim::Error "<source>: <problem>". Writing refuses weights with
// attention biases (GPT-2's, model/hf_gpt2.hpp): the table has no place for them.
TensorFile gpt_weights_to_tensors(const GptConfig& config, const GptWeights& weights);
GptWeights gpt_weights_from_tensors(const TensorFile& file, const GptConfig& config,
                                    const std::string& source);

// The same weights straight from a whole safetensors file, each tensor decoded into
// its place, without the TensorFile in between: that is a second copy of every weight
// (about 10 MB for the page's `english`), fresh memory whose first touch cost the
// page's worker about as much as the decoding itself. Only for a file that is exactly
// what the project writes for this config: every tensor in its shape (a vector as
// [n]), F32, F16, BF16, or I8 with its ".scale" partner in F32 or F16, nothing else,
// every value finite. For any other file it returns nullopt, and the caller reads it
// with parse_safetensors and gpt_weights_from_tensors, whose errors say what is wrong
// (a header that is not one throws here first, with parse_safetensors' own message).
std::optional<GptWeights> gpt_weights_from_safetensors(const uint8_t* bytes, size_t size,
                                                       const GptConfig& config,
                                                       const std::string& source);

}  // namespace llmsim
