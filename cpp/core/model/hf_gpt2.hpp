// A Hugging Face GPT-2 checkpoint (config.json + model.safetensors, as transformers'
// GPT2LMHeadModel / GPT2Model save them) as the project's GPT: a GptConfig and
// GptWeights that gpt_forward runs on token ids. The architecture is the project's
// own (pre-LayerNorm, tanh GELU, learned positions, unembedding tied to wte, x·W
// convention); what GPT-2 adds is attention biases (AttentionWeights::b_q .. b_o) and
// its LayerNorm ε (GptConfig::layer_norm_eps).
//
// config.json: the keys read, and what they become
//   n_embd → d_model   n_layer → n_layer   n_head → n_head   vocab_size → vocab_size
//   n_positions → context (the rows of wpe)   n_inner → d_ff (absent or null: 4·n_embd)
//   layer_norm_epsilon → layer_norm_eps (absent: 1e-5, transformers' default)
// and the keys that would change the mathematics, refused unless they say GPT-2's:
//   activation_function "gelu_new" (the default), "gelu_pytorch_tanh" or "gelu_fast"
//   (all three the tanh form; "gelu" is the exact erf form, refused), model_type "gpt2",
//   scale_attn_weights true, scale_attn_by_inverse_layer_idx false,
//   add_cross_attention false, tie_word_embeddings true. Other keys (dropout, task
//   settings, token ids, n_ctx) are ignored: they do not change the forward pass.
//
// model.safetensors: names, shapes (C = n_embd, F = d_ff, V = vocab_size, P = n_positions)
//   wte.weight [V, C]   wpe.weight [P, C]
//   h.{l}.ln_1.weight / .bias [C]
//   h.{l}.attn.c_attn.weight [C, 3C]   .bias [3C]    Conv1D: stored [in, out], Q | K | V
//                                                    side by side in the columns
//   h.{l}.attn.c_proj.weight [C, C]    .bias [C]
//   h.{l}.ln_2.weight / .bias [C]
//   h.{l}.mlp.c_fc.weight [C, F]       .bias [F]
//   h.{l}.mlp.c_proj.weight [F, C]     .bias [C]
//   ln_f.weight / .bias [C]
// every name with or without the prefix "transformer." (GPT2LMHeadModel writes it,
// GPT2Model does not; one file uses one or the other). Dtypes F32, F16 or BF16.
// Also accepted, and not loaded:
//   h.{l}.attn.bias, h.{l}.attn.masked_bias  the causal-mask buffers older versions
//                                            saved (the mask is attention_forward's own)
//   lm_head.weight [V, C]                    only if it equals wte.weight value for
//                                            value (tied, as GPT-2 is): the project's
//                                            GPT computes logits = x·wteᵀ. An untied
//                                            lm_head is an Error, not silently dropped.
// Anything else (a missing tensor, a wrong shape, another tensor, a non-finite value,
// another dtype) is an Error naming the file and the tensor, with expected and found.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "model/gpt_weights.hpp"

namespace llmsim {

struct HfGpt2 {
  GptConfig config;
  GptWeights weights;  // with attention biases
};

// Whether a config.json is a Hugging Face GPT-2 one rather than the project's own, by
// its structure: an object with "n_embd" (GPT-2's name for the width) and without
// "d_model" (the project's). The project's GptConfig::from_json refuses "n_embd" as
// an unknown key, so no file is read both ways. (A config of another HF model that
// also says n_embd, e.g. GPT-J, counts as HF GPT-2 here and is then refused by
// hf_gpt2_config for its model_type.)
bool is_hf_gpt2_config(const nlohmann::json& config);

// config.json as the project's GptConfig (above), or Error "<source>: <problem>":
// a key missing or of the wrong type, a setting the project's GPT does not compute,
// a shape beyond the project's limits (GptConfig::validate).
GptConfig hf_gpt2_config(const nlohmann::json& config, const std::string& source);

// What a checkpoint needs, from its safetensors header alone: `bytes` may be just the
// file's first 8 + N bytes (the length and the header), so the page can say it
// before reading the rest. Counts every tensor but the mask buffers and lm_head.weight
// (which must be tied to wte to load at all).
struct HfGpt2Size {
  int64_t parameters = 0;     // the model's parameters
  uint64_t file_bytes = 0;    // the whole safetensors file: 8 + header + data
  uint64_t weight_bytes = 0;  // the parameters as the project holds them (float32): ×4
  // Loading in pieces (HfGpt2Stream, as the page loads): the weights, the bytes of the
  // largest tensor (gathered whole when it spans pieces), and, if the file has one,
  // lm_head.weight as float to compare it with wte (and one [C, 3C] c_attn at a time).
  // load_hf_gpt2, from the whole file, holds the file's bytes besides.
  uint64_t peak_bytes = 0;
};
HfGpt2Size hf_gpt2_size(const uint8_t* bytes, size_t size, const std::string& source);

// The checkpoint from its two files' contents (the WASM build has no filesystem);
// `config_source` and `weights_source` name them in errors.
HfGpt2 load_hf_gpt2(const std::string& config_json, const uint8_t* weights, size_t weights_size,
                    const std::string& config_source = "config.json",
                    const std::string& weights_source = "model.safetensors");
// From a folder holding config.json and model.safetensors.
HfGpt2 load_hf_gpt2_dir(const std::string& dir);

// The same checkpoint read in pieces, so the file need not be held whole beside the
// weights (the page streams a big model.safetensors into the worker): each tensor is
// decoded into its place as its last byte arrives, holding at most one tensor's bytes
// that span pieces (wte: 154 MB for GPT-2 small in F32) besides the weights.
//   HfGpt2Stream s(config_json, head, head_size);  // head: the file's first bytes,
//                                                  // through its header at least
//   s.feed(bytes, n) ...                           // the whole file, from byte 0, in order
//   HfGpt2 model = s.finish();                     // an Error if bytes are missing
// Every check load_hf_gpt2 makes is made, the header's before any weight is allocated.
class HfGpt2Stream {
 public:
  HfGpt2Stream(const std::string& config_json, const uint8_t* head, size_t head_size,
               const std::string& config_source = "config.json",
               const std::string& weights_source = "model.safetensors");
  ~HfGpt2Stream();
  uint64_t file_bytes() const;  // 8 + header + data: what feed must be given in all
  void feed(const uint8_t* bytes, size_t n);
  HfGpt2 finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace llmsim
