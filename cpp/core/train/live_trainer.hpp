// A training run that can be watched: the page's Train view (issue 20) drives one in a
// Web Worker, a few steps at a time, and between them asks how the model is doing
// (held-out loss, every head's scores, every head's attention on a sentence) and, at
// any moment, for the model's files.
//
// It is `llmsim train` cut into calls: the same generated corpus (corpus.hpp, word
// game on), the same BPE tokenizer trained on its first bytes, the same GptTrainer,
// initialisation and SequenceSampler with repeated random runs, the same AdamW and
// clipping. So the losses of its steps are those of `llmsim train` with the same
// options and `--min-lr` equal to `--lr` (a tested fact): the schedule warms up and
// then holds the learning rate, because the native search (docs/ISSUE-20-RECIPE.md)
// found that a decaying one delays the heads, and a watched run has no set end.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "heads/analysis.hpp"
#include "model/gpt.hpp"
#include "train/train.hpp"

namespace llmsim {

struct LiveTrainerOptions {
  // The model (GptConfig) ...
  int vocab = 512, d_model = 64, layers = 2, heads = 4, context = 128, d_ff = 128;
  // ... its training (TrainOptions) ...
  int batch = 8, warmup = 100;
  float lr = 3e-3f;
  double repeat_fraction = 0.7;  // share of sequences that are a random run repeated
  float weight_decay = 0.1f;
  bool sinusoid_positions = false;
  uint64_t seed = 1;  // the corpus, the weights and the data order
  // ... and its data (`llmsim train --train-bytes ...`).
  int64_t train_bytes = 3000000, val_bytes = 100000, tokenizer_bytes = 1000000;
  bool word_game = true;

  // From JSON with any of the keys above; an unknown key, a wrong type or a value out
  // of range is an Error naming it (and the range).
  static LiveTrainerOptions from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
  GptConfig config() const;  // vocab as asked (the tokenizer may stop short of it)
};

// Every head's scores, [layer][head] each (heads/pattern_scores.hpp's definitions).
struct LiveHeadScores {
  PerHead<float> prev_token, first_token;  // on the held-out stories' first documents
  PerHead<float> induction;                // on [BOS, R, R] probes of random tokens
  PerHead<float> prev_token_random;        // previous-token on those same probes
};

class LiveTrainer {
 public:
  // Makes the corpus and the tokenizer and initialises the model: about a second
  // natively at the default sizes, a few in WASM.
  explicit LiveTrainer(const LiveTrainerOptions& options);
  ~LiveTrainer();

  // Takes `steps` optimizer steps; returns each one's training loss (nats per token).
  std::vector<float> train(int steps);

  int steps_taken() const { return steps_; }
  int tokens_per_step() const { return options_.batch * config_.context; }
  int64_t parameter_count() const { return config_.parameter_count(); }
  const LiveTrainerOptions& options() const { return options_; }
  const GptConfig& config() const { return config_; }  // vocab as the tokenizer made it

  // Mean loss on the held-out stories (at most max_batches batches of them).
  double validation_loss(int max_batches);
  // The heads' scores with the weights as they are now.
  LiveHeadScores head_scores() const;
  // Every head's attention weights on `text` (cut to the context): the tokens as the
  // page shows them, and [layer][head] matrices [T, T] laid end to end.
  struct Attention {
    std::vector<std::string> tokens;
    std::vector<float> weights;  // [n_layer · n_head · T · T]
  };
  Attention attention(const std::string& text) const;
  // The model as it is now, as the files of a model folder (weights in F32: the page
  // loads them as they were trained).
  ModelFiles files() const;
  Gpt model() const;

 private:
  LiveTrainerOptions options_;
  GptConfig config_;
  TrainOptions train_options_;
  std::unique_ptr<BpeTokenizer> tokenizer_;
  std::vector<int> train_stream_, val_stream_;
  std::vector<size_t> doc_starts_;
  std::string pattern_text_;  // the held-out documents the pattern scores read
  std::unique_ptr<GptTrainer> trainer_;
  std::unique_ptr<SequenceSampler> sampler_;
  std::vector<int> inputs_, targets_;
  int steps_ = 0;
};

}  // namespace llmsim
