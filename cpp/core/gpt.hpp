// A small GPT (decoder-only transformer) the page runs on real text:
//
//   x = wte[ids] + wpe[0..T)                              [T, C]   token + position
//   for each of n_layer blocks (pre-LayerNorm, as GPT-2):
//     x = x + attention(LN1(x))                           [T, C]   attention_forward()
//     x = x + W2·GELU(W1·LN2(x) + b1) + b2                [T, C]   the MLP, d_ff wide
//   logits = LN_f(x) · wteᵀ                               [T, V]
//
// C = d_model, V = vocab_size, T ≤ context. The attention has no biases (the
// LayerNorm before it has one, which acts as the query/key/value bias) and is the
// very attention_forward of attention.hpp, so each layer's LayerTrace is filled by
// the code the page explains. The unembedding is tied to the token embedding
// (logits = x·wteᵀ, as GPT-2): it saves V·C parameters, a sixth of this model.
//
// Weights live in a safetensors file; tensor names and shapes (x·W convention, so a
// matrix is [in, out]):
//   tok_emb [V, C]  pos_emb [context, C]
//   blocks.{l}.ln1.weight / .bias [C]       blocks.{l}.attn.w_q / w_k / w_v / w_o [C, C]
//   blocks.{l}.ln2.weight / .bias [C]       blocks.{l}.mlp.fc.weight [C, F]   .bias [F]
//                                           blocks.{l}.mlp.proj.weight [F, C] .bias [C]
//   ln_f.weight / .bias [C]
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attention.hpp"
#include "matrix.hpp"
#include "safetensors.hpp"
#include "trace.hpp"

namespace llmsim {

struct GptConfig {
  int vocab_size = 1024;
  int d_model = 128;
  int n_layer = 4;
  int n_head = 4;
  int context = 128;  // longest sequence, BOS included: the rows of pos_emb
  int d_ff = 512;

  // Every key above is required; unknown keys, wrong types and impossible shapes are
  // errors naming `source` (the file name).
  static GptConfig from_json(const nlohmann::json& j, const std::string& source);
  nlohmann::json to_json() const;
  void validate(const std::string& source) const;
  int64_t parameter_count() const;
};

struct GptBlock {
  RowVector ln1_weight, ln1_bias;  // [C]
  AttentionWeights attn;           // w_q, w_k, w_v, w_o [C, C]
  RowVector ln2_weight, ln2_bias;  // [C]
  Matrix fc_weight;                // [C, F]
  RowVector fc_bias;               // [F]
  Matrix proj_weight;              // [F, C]
  RowVector proj_bias;             // [C]
};

struct GptWeights {
  Matrix tok_emb;  // [V, C], also the unembedding
  Matrix pos_emb;  // [context, C]
  std::vector<GptBlock> blocks;
  RowVector lnf_weight, lnf_bias;  // [C]
};

// Weights <-> the tensors of a safetensors file. Reading checks that every tensor
// the config needs is there with the right shape and that there are no others,
// throwing llmsim::Error "<source>: <problem>".
TensorFile gpt_weights_to_tensors(const GptWeights& weights);
GptWeights gpt_weights_from_tensors(const TensorFile& file, const GptConfig& config,
                                    const std::string& source);

// Everything the inference forward can switch, on top of the attention options.
struct GptRunOptions {
  AttentionOptions attention;  // scale and causal mask, as for the random model
  int top_k = 10;              // predictions after the last token
  float temperature = 1.0f;    // divides the logits before the softmax of top_k
  // Heads switched off: ablation[l][h] (see HeadAblation in attention.hpp); empty
  // means every head is on.
  std::vector<std::vector<HeadAblation>> ablation;
};

// The forward pass on token ids (ids.size() between 1 and context): fills
// trace.layers (one LayerTrace per block; its input is the LN1 output) and
// trace.logits [T, V]. Leaves tokens, spans and top_k to the caller.
void gpt_forward(const GptConfig& config, const GptWeights& weights, const std::vector<int>& ids,
                 const GptRunOptions& options, Trace& trace);

}  // namespace llmsim
