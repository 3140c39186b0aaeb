// A small GPT (decoder-only transformer) the page runs on real text:
//
//   x = wte[ids] + wpe[0..T)                              [T, C]   token + position
//   for each of n_layer blocks (pre-LayerNorm, as GPT-2; block_forward, gpt_block.hpp):
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
// The config, the weights and the table of their tensors (names, shapes, roles) are
// in gpt_weights.hpp; this file is the forward pass, the predictions and the model
// with its tokenizer.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "matrix.hpp"
#include "model/attention.hpp"
#include "model/gpt_weights.hpp"
#include "model/model.hpp"
#include "text/bpe_tokenizer.hpp"
#include "text/tokens.hpp"
#include "trace.hpp"

namespace llmsim {

// The forward pass on token ids (ids.size() between 1 and context): fills
// trace.layers (one LayerTrace per block; its input is the LN1 output),
// trace.final_normed [T, C] and, unless options.predict is false, trace.logits [T, V]
// (trace.logits_rows says how many rows hold logits). Leaves tokens, spans and top_k
// to the caller.
//
// reuse > 0 (0 <= reuse < T): `trace` already holds this pass on ids[0, reuse) with
// the same weights and options (causal mask on). Those rows are kept and only
// positions [reuse, T) are computed, attending to the kept keys and values — the KV
// cache, which makes typing at the end of a text cost one token, not T. Same bits as
// a full pass in the WASM build; natively within float rounding (Eigen may sum a
// few rows in another order than many).
void gpt_forward(const GptConfig& config, const GptWeights& weights, const std::vector<int>& ids,
                 const ModelRun& options, Trace& trace, int reuse = 0);

// A long text's tokens (without BOS) as the model reads them: consecutive pieces of
// up to context − 1 tokens, each with BOS in front.
std::vector<std::vector<int>> split_into_sequences(const std::vector<int>& stream, int bos_id,
                                                   int context);

// The k most probable next tokens from one row of logits, softmax(logits / temperature),
// most probable first (ties: lower id first). Text comes from `tokenizer`.
std::vector<Prediction> top_k_predictions(const RowVector& logits, int k, float temperature,
                                          const Tokenizer& tokenizer);

// The three files of a model folder, in memory: config.json, tokenizer.json and
// model.safetensors.
struct ModelFiles {
  std::string config, tokenizer;
  std::vector<uint8_t> safetensors;
};

// What loading a model folder needs, from its config.json (either layout) and the
// first bytes of its model.safetensors (its length and header, or more): the page says
// it before reading the weights, and refuses what would not fit.
struct CheckpointSize {
  int64_t parameters = 0;
  uint64_t file_bytes = 0;  // the whole model.safetensors
  uint64_t peak_bytes = 0;  // held at once while loading in pieces (GptStream): for a Hugging
                            // Face checkpoint the weights (float32) and its largest tensor's bytes
                            // (HfGpt2Size), for the project's own the file and the weights
};
CheckpointSize checkpoint_size(const std::string& config_json, const uint8_t* header, size_t size);

// A model folder's config.json, in either layout (the project's own, or a Hugging Face
// GPT-2 one: model/hf_gpt2.hpp), checked against its tokenizer's vocabulary.
struct FolderConfig {
  bool hf = false;
  GptConfig config;
};
FolderConfig read_folder_config(const std::string& config_json, const std::string& config_name,
                                const Tokenizer& tokenizer, const std::string& tokenizer_name);

// A trained model with its tokenizer: what web/models/tinygpt/ holds.
class Gpt : public Model {
 public:
  Gpt(GptConfig config, GptWeights weights, BpeTokenizer tokenizer);
  // Any tokenizer (GPT-2's for a Hugging Face checkpoint, model/hf_gpt2.hpp).
  Gpt(GptConfig config, GptWeights weights, std::shared_ptr<const Tokenizer> tokenizer);

  // From the three files' contents (the WASM build has no filesystem), in either
  // layout (load, below); the tokenizer as a tokenizer.json of either kind.
  static Gpt from_bytes(const std::string& config_json, const std::string& tokenizer_json,
                        const uint8_t* weights, size_t weights_size);
  // The same with the tokenizer already read (model/gpt_stream.hpp).
  static Gpt from_bytes(const std::string& config_json, std::shared_ptr<const Tokenizer> tokenizer,
                        const uint8_t* weights, size_t weights_size);
  // From a folder holding config.json, tokenizer.json and model.safetensors: the
  // project's own, or a Hugging Face GPT-2 checkpoint (its config.json, with GPT-2's
  // tokenizer as tokenizer.json or vocab.json + merges.txt; model/hf_gpt2.hpp).
  static Gpt load(const std::string& dir);
  // Writes those three files into `dir` (which must exist); weights as F16 (the
  // default) or I8 with per-row scales (safetensors.hpp).
  void save(const std::string& dir, DType dtype = DType::F16) const;
  // The same three files' contents (the WASM build has no filesystem).
  ModelFiles files(DType dtype = DType::F16) const;

  const GptConfig& config() const { return config_; }
  const GptWeights& weights() const { return weights_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const std::shared_ptr<const Tokenizer>& shared_tokenizer() const { return tokenizer_; }
  // The project's own tokenizer, or nullptr when the model reads through another
  // (only the project's own can be written as its tokenizer.json).
  const BpeTokenizer* bpe_tokenizer() const { return dynamic_cast<const BpeTokenizer*>(tokenizer_.get()); }

  // The Model interface. run_into tokenises `text` (BOS first), cuts it to the
  // context, runs the forward pass and fills every field of the Trace but its
  // model_name; with `incremental`, the tokens the new text shares with the trace's
  // (a common prefix) are not computed again (gpt_forward's reuse; used while the
  // reader types).
  int n_layer() const override { return config_.n_layer; }
  int n_head() const override { return config_.n_head; }
  void run_into(const std::string& text, const ModelRun& run, Trace& trace,
                bool incremental) const override;
  const AttentionWeights& attention_weights(int layer) const override;

  // run_into on a fresh Trace.
  Trace run(const std::string& text, const ModelRun& run = {}) const;
  // The forward pass on ids (BOS included), every field but spans filled.
  Trace run_ids(const std::vector<int>& ids, const ModelRun& run = {}) const;

 private:
  TensorFile tensors() const;

  GptConfig config_;
  GptWeights weights_;
  std::shared_ptr<const Tokenizer> tokenizer_;
};

}  // namespace llmsim
