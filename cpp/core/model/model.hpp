// What every model the simulator runs offers: text in, a Trace out. The seeded random
// model (random_model.hpp) and the trained GPT (gpt.hpp) implement it, and the
// Simulator holds models only through it, so a new kind of model (another checkpoint
// format, a model trained in the page) plugs in here and every view, the CLI and the
// head analysis's callers see it without a change.
#pragma once
#include <cstdint>
#include <string>

#include "model/attention.hpp"
#include "trace.hpp"

namespace llmsim {

// Longest input the random model reads, in tokens (a trained model reads up to its
// context). Longer text is cut to this many tokens and the Trace says so. The limit
// keeps the per-head [T, T] matrices of every layer well inside a browser tab's memory.
constexpr int kMaxTokens = 512;

// What the Trace of one run of a trained model may take (model/token_cap.hpp): beside
// the largest model the page opens (3 GB while it loads, web/src/open-model.js,
// MAX_PEAK_BYTES) it keeps a run inside wasm32's 4 GB; with GPT-2 small's weights in
// F32 (0.5 GB) a run at the cap needs about 1.1 GB of WASM memory in all.
constexpr uint64_t kTraceBudgetBytes = uint64_t(512) << 20;

// Everything one run can switch.
struct ModelRun {
  AttentionOptions attention;  // scale by 1/√d_k, causal mask
  int top_k = 10;              // predictions after the last token (models with a vocabulary)
  // The next-token logits, and with them top_k and the loss on the text. false skips
  // the unembedding of the run's new rows (a view that shows no prediction; at GPT-2's
  // size a keystroke's largest product, V·C): top_k stays empty, loss −1, and a later
  // run that predicts computes the skipped rows then (Trace::logits_rows).
  bool predict = true;
  float temperature = 1.0f;    // divides the logits before the softmax of top_k
  HeadAblations ablation;      // ablation[l][h], heads switched off; empty: every head on
  uint64_t trace_budget = kTraceBudgetBytes;  // caps the tokens a run reads (token_cap)
};

// What every model's run does first: the Trace's header (shape, mask, scale, even for
// empty text), and an Error if `ablation` is not empty and not one entry per layer.
void begin_trace(Trace& trace, int n_layer, int n_head, int d_model, const ModelRun& run);

class Model {
 public:
  virtual ~Model() = default;
  virtual int n_layer() const = 0;
  virtual int n_head() const = 0;

  // Tokenises `text`, cuts it to what the model reads (the Trace's warning says so),
  // runs the forward pass and fills the Trace: its header (shape, scale, mask),
  // tokens, spans, ids and layers; a model with a vocabulary also fills the logits,
  // the top-k predictions and the loss on the text (else ids are −1, loss −1).
  // incremental: `trace` holds this model's previous run with the same options, so
  // the rows of the tokens the new text shares with it may be kept, as an LLM's KV
  // cache does (a model may also ignore it and compute everything).
  virtual void run_into(const std::string& text, const ModelRun& run, Trace& trace,
                        bool incremental) const = 0;

  // W_Q, W_K, W_V and W_O of one layer ([d_model, d_model], x·W convention), for views
  // that show what multiplies the vectors. Error for a layer the model lacks.
  virtual const AttentionWeights& attention_weights(int layer) const = 0;

 protected:
  // The error attention_weights gives for a layer outside [0, n_layer).
  void check_layer(int layer) const;
};

}  // namespace llmsim
