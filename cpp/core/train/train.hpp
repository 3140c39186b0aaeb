// Training the GPT of gpt.hpp by hand, as llm.c does: a batched forward pass that
// keeps every activation, a backward pass that runs the ops of gpt_ops.hpp in
// reverse, and AdamW. There is no autograd here: each op's backward is written out
// (and checked against finite differences in tests/cpp/train/test_gpt_grad.cpp).
//
// All parameters live in one flat float buffer (and so do their gradients and the
// optimizer's moments), in the order of layout(); the trainer reads them through
// views. The attention's W_Q, W_K, W_V are stored side by side as one [C, 3C]
// matrix so the three projections are one GEMM; weights() splits them for the
// inference model.
//
// Determinism: the same seed, data, thread count and binary give bit-identical
// weights, in one process or in two (checked: two 300-step runs wrote byte-identical
// safetensors). Every reduction runs in a fixed order (see gpt_ops.hpp); Eigen's
// threaded GEMM splits only the output, so a given thread count always sums in the
// same order; the weights, gradients and moments are AlignedFloats, so vectorised
// loops split them the same way whatever address malloc returns. A different build
// may round differently: today's binary retraining the shipped model gives loss
// 1.4654 at step 500 where the shipped run (an older build) logged 1.4701.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/gpt.hpp"
#include "model/gpt_block.hpp"
#include "model/gpt_ops.hpp"
#include "rng.hpp"

#include <Eigen/Core>

namespace llmsim {

// Float storage aligned to Eigen's widest packet (64 bytes with AVX-512), so that
// vectorised loops over it split the same way in every process.
using AlignedFloats = std::vector<float, Eigen::aligned_allocator<float>>;

// One region of the flat parameter buffer: one tensor of gpt_tensors (gpt_weights.hpp),
// or a block's W_Q | W_K | W_V side by side as one [C, 3C] region.
struct ParameterInfo {
  std::string name;  // as in the safetensors file; "blocks.{l}.attn.w_qkv" is the fused one
  int rows = 0, cols = 0;
  size_t offset = 0;   // into the flat buffer
  bool decay = false;  // from the table: matrices get weight decay; gains and biases do not
  TensorInit init = TensorInit::zeros;  // from the table
  TensorRole role = TensorRole::tok_emb;  // w_q for the fused region
  int layer = -1;
};

// Where one tensor of gpt_tensors lives in the flat buffer: its first element and the
// distance between its rows (3C for W_Q, W_K, W_V inside the fused region).
struct TensorPlacement {
  size_t offset = 0;
  int stride = 0;
};

struct AdamWOptions {
  float beta1 = 0.9f, beta2 = 0.95f, eps = 1e-8f;
  float weight_decay = 0.1f;
};

class GptTrainer {
 public:
  // Activations for `batch_size` sequences of `seq_len` tokens (seq_len ≤ context).
  GptTrainer(const GptConfig& config, int batch_size, int seq_len);

  const GptConfig& config() const { return config_; }
  int batch_size() const { return B_; }
  int seq_len() const { return T_; }
  const std::vector<ParameterInfo>& layout() const { return layout_; }
  AlignedFloats& parameters() { return params_; }
  const AlignedFloats& parameters() const { return params_; }
  const AlignedFloats& gradients() const { return grads_; }
  // AdamW's first and second moments, [n_params] in layout() order. With the
  // parameters they are the trainer's whole state between steps (the gradients and
  // activations are rewritten by every step), so they are what a checkpoint saves.
  AlignedFloats& adam_first_moments() { return adam_m_; }
  const AlignedFloats& adam_first_moments() const { return adam_m_; }
  AlignedFloats& adam_second_moments() { return adam_v_; }
  const AlignedFloats& adam_second_moments() const { return adam_v_; }

  // GPT-2's initialisation, drawn from `seed`, each region as the table's TensorInit
  // says (gpt_weights.hpp). With `sinusoid_positions` the position embedding
  // starts as the original Transformer's sinusoids instead (same 0.02 spread): there
  // the embedding of position t−1 is a fixed rotation of position t's, so a head that
  // reads "the previous token" has an exact linear solution from step 0 rather than
  // one it must first grow into random position vectors.
  void init_weights(uint64_t seed, bool sinusoid_positions = false);
  // Throws Error on weights with attention biases: training is bias-free.
  void set_weights(const GptWeights& weights);
  GptWeights weights() const;

  // inputs, targets: [B·T] token ids, row b·T + t. Returns the mean cross-entropy.
  double forward(const int* inputs, const int* targets);
  // Per-token losses of the last forward, [B·T].
  const std::vector<float>& losses() const { return losses_; }
  // Gradients of the last forward's mean loss (overwrites, no need to zero first).
  void backward();
  // Scales the gradients so their global L2 norm is at most max_norm; returns the
  // norm before clipping.
  double clip_gradients(double max_norm);
  // One AdamW step (decoupled weight decay), `step` counting from 1.
  void adamw_update(float learning_rate, const AdamWOptions& options, int step);

 private:
  struct BlockTensors {
    float *ln1_w, *ln1_b, *w_qkv, *w_o, *ln2_w, *ln2_b, *fc_w, *fc_b, *proj_w, *proj_b;
  };
  struct ModelTensors {
    float *tok_emb, *pos_emb, *lnf_w, *lnf_b;
    std::vector<BlockTensors> blocks;
  };
  // One block's activations: block_forward's (gpt_block.hpp), and the attention's own.
  struct LayerActivations : BlockActivations {
    Matrix qkv;   // [N, 3C] q | k | v
    Matrix att;   // [B·H·T, T] softmax weights
    Matrix atty;  // [N, C] heads' outputs, concatenated
  };


  ModelTensors tensors_at(float* base) const;
  // Tensor i of tensors_ inside `buffer` (params_ or grads_), as a strided matrix.
  Eigen::Map<Matrix, 0, Eigen::OuterStride<>> placed(const AlignedFloats& buffer, size_t i) const;
  static Eigen::Map<Matrix> view(float* p, int rows, int cols);  // a tensor in a flat buffer

  GptConfig config_;
  int B_, T_;
  AttentionOptions attention_options_;  // training always uses scale and the causal mask
  std::vector<GptTensor> tensors_;          // the model's tensors, gpt_tensors(config_)
  std::vector<TensorPlacement> placements_;  // where each of them lives in the buffers
  std::vector<ParameterInfo> layout_;       // the buffers' regions
  AlignedFloats params_, grads_, adam_m_, adam_v_;
  ModelTensors p_, g_;  // views into params_ and grads_

  // forward activations, kept for the backward
  std::vector<int> inputs_, targets_;
  Matrix x0_;  // [N, C] embeddings
  std::vector<LayerActivations> layers_;
  Matrix lnf_;  // [N, C]
  std::vector<float> lnf_mean_, lnf_rstd_;
  Matrix logits_, probs_;  // [N, V]
  std::vector<float> losses_;
  // backward scratch, reused every step
  Matrix d_a_, d_b_, d_branch_, d_atty_, d_ln_;  // [N, C]
  Matrix d_qkv_;                                 // [N, 3C]
  Matrix d_fch_, d_fch_gelu_;                    // [N, F]
  Matrix d_logits_;                              // [N, V]
  AttentionScratch scratch_;
};

// Learning rate at `step` (0-based): linear warmup over `warmup` steps to max_lr,
// then a cosine decay to min_lr at `total` steps.
float learning_rate_at(int step, int total, int warmup, float max_lr, float min_lr);

// Training sequences from a token stream. Each sequence is BOS followed by
// seq_len − 1 tokens of the stream, and its targets are the next seq_len tokens:
// every sequence starts with BOS, as every text the page runs does.
// Synthetic sequences mixed into training: BOS, then a run R of random token ids
// repeated until the sequence is full. The first copy of R cannot be predicted; every
// later token can, by looking back to the token after the earlier occurrence of the
// current one, which is exactly what an induction head does (Olsson et al. 2022).
// Natural text repeats itself too rarely for a small model to learn that in minutes.
struct RepeatedRuns {
  double fraction = 0;  // share of training sequences that are synthetic; 0 = none
  int vocab_size = 0;   // R's ids are drawn uniformly from [0, vocab_size) minus BOS
  int min_length = 8, max_length = 48;  // length of R, uniform in [min, max]
};

class SequenceSampler {
 public:
  // doc_starts: stream positions where a document begins (may be empty).
  SequenceSampler(const std::vector<int>& stream, std::vector<size_t> doc_starts, int bos_id,
                  int seq_len, uint64_t seed, RepeatedRuns runs = {});
  // Fills inputs and targets [B·seq_len] with B random sequences: half start at a
  // document's first token, half anywhere (so the model sees both beginnings and
  // text picked up mid-way). With runs.fraction > 0, each sequence is instead a
  // repeated random run with that probability.
  void sample(int B, int* inputs, int* targets);

  // Where the sampler is in its random stream, for checkpoints: the numbers it has
  // drawn so far, and the next one it would draw. Rng keeps its state private, so a
  // resumed run does not copy that state: it replays the draws on a fresh sampler of
  // the same seed (skip), which is exact (each draw is one xoshiro step) and cheap
  // (about five draws per sequence: milliseconds for the shipped run's 12,000
  // steps), and checks the replay against next_draw().
  uint64_t draws() const { return draws_; }
  uint64_t next_draw() const;
  void skip(uint64_t draws);

 private:
  const std::vector<int>& stream_;
  std::vector<size_t> doc_starts_;
  int bos_, T_;
  Rng rng_;
  uint64_t draws_ = 0;  // rng_.next_u64() calls so far (uniform() is one)
  RepeatedRuns runs_;
  uint64_t draw();
  size_t position(bool at_document_start);
  void repeated_run(int* inputs, int* targets);
};

// Cuts a token stream into consecutive non-overlapping sequences of the same shape
// (BOS + seq_len − 1 tokens; targets the next seq_len), as the validation loss and
// `llmsim eval` read a text. Returns the number of sequences (the tail that does not
// fill one is dropped).
int consecutive_sequences(const std::vector<int>& stream, int bos_id, int seq_len,
                          std::vector<int>& inputs, std::vector<int>& targets);

struct TrainOptions {
  int steps = 1000;
  int batch_size = 32;
  int seq_len = 0;  // 0: the model's context
  float max_lr = 3e-3f, min_lr = 3e-4f;
  int warmup = 100;
  AdamWOptions adamw;
  double grad_clip = 1.0;
  uint64_t seed = 1;  // initial weights and the order of the data
  bool sinusoid_positions = false;  // start pos_emb as sinusoids (init_weights)
  int eval_every = 100;  // steps between validation losses (and at the last step)
  int eval_batches = 16;  // at most this many batches of validation sequences
  RepeatedRuns repeated_runs;  // synthetic induction data (vocab_size 0: the model's)
};

struct TrainProgress {
  int step = 0;  // 1-based, the step just taken
  bool checkpoint_written = false;  // a checkpoint of the state after this step was saved
  int steps = 0;
  double loss = 0;      // training loss of this step's batch
  double val_loss = -1;  // validation loss, or −1 when not measured at this step
  double learning_rate = 0;
  double grad_norm = 0;
  double tokens_per_second = 0;  // training tokens over wall time so far
  double elapsed_seconds = 0, eta_seconds = 0;
};

struct TrainResult {
  GptWeights weights;
  std::vector<TrainProgress> curve;  // one entry per step (a resumed run's too: from step 1)
  double final_val_loss = 0;
  // False when CheckpointOptions::stop_after ended the run early: weights and curve
  // are then those of step curve.size(), and there is nothing final to save.
  bool complete = true;
  int resumed_from = 0;  // the checkpoint's step a resumed run started from; 0: from scratch
};

// The sampler train_gpt draws its batches from: seq_len and repeated runs from the
// options, and a random stream of its own derived from options.seed.
SequenceSampler training_sampler(const GptConfig& config, const TrainOptions& options,
                                 const std::vector<int>& train_stream,
                                 const std::vector<size_t>& train_doc_starts, int bos_id);

// One optimizer step of train_gpt, `step` counting from 0: a batch from the sampler
// (into inputs and targets, resized to [B·T]), forward, backward, clipping to
// options.grad_clip, and AdamW at learning_rate_at(step, options.steps, ...). The
// page's trainer (live_trainer.hpp) takes its steps with it too, so the two train alike.
struct StepResult {
  double loss = 0, grad_norm = 0, learning_rate = 0;
};
StepResult train_step(GptTrainer& trainer, SequenceSampler& sampler, const TrainOptions& options,
                      int step, std::vector<int>& inputs, std::vector<int>& targets);

// Trains from scratch. train_doc_starts as for SequenceSampler. on_progress is
// called after every step.
TrainResult train_gpt(const GptConfig& config, const TrainOptions& options,
                      const std::vector<int>& train_stream,
                      const std::vector<size_t>& train_doc_starts,
                      const std::vector<int>& val_stream, int bos_id,
                      const std::function<void(const TrainProgress&)>& on_progress = {});

// ---- checkpoints ---------------------------------------------------------------------
//
// A long run survives a stopped session: every `every` steps train_gpt saves its whole
// state, and a run resumed from that file continues bit for bit as if it had never
// stopped (same weights, same loss curve; only the timings differ). The state after a
// step is the parameters, AdamW's two moments and the sampler's place in its random
// stream; everything else (learning rate, AdamW's bias correction, which steps
// validate) is a function of the step number. The loss curve so far comes along so
// the resumed run's curve (and loss.csv) is the whole run's.
//
// A checkpoint also records what the run was started with: the config, the
// TrainOptions, the thread count (Eigen's GEMMs sum in an order that depends on it)
// and hashes of the training and validation tokens (the corpus and tokenizer are
// rebuilt from the same options, not stored). Resuming with anything different would
// not continue the same run, so it is an Error naming every difference.

struct TrainCheckpoint {
  GptConfig config;
  TrainOptions options;
  int threads = 1;  // Eigen::nbThreads() of the run
  uint64_t train_tokens_hash = 0;  // token_stream_hash(train stream, doc starts, BOS)
  uint64_t val_tokens_hash = 0;    // token_stream_hash(validation stream, {}, BOS)
  int step = 0;  // steps taken
  uint64_t sampler_draws = 0;  // SequenceSampler::draws() after `step` steps
  uint64_t sampler_next = 0;   // SequenceSampler::next_draw(), to check the replay
  AlignedFloats parameters, adam_m, adam_v;  // [n_params] each, GptTrainer::layout() order
  std::vector<TrainProgress> curve;  // steps 1..step
};

// On disk (one file, native little-endian): a 32-byte header, "LLMSIMCK", version
// (u32), a byte-order mark (u32), the payload's size and its FNV-1a hash (u64 each),
// then the payload: the fields above in order. The file is written beside its path
// and renamed over it, so a run killed mid-write leaves the previous checkpoint whole.
void save_checkpoint(const std::string& path, const TrainCheckpoint& checkpoint);
// Error (naming the file and what is wrong) for a missing, foreign, truncated,
// corrupted or newer-format file; every size is checked before it is read.
TrainCheckpoint load_checkpoint(const std::string& path);

// FNV-1a over the token ids, the document starts and BOS: what a checkpoint keeps of
// the data instead of the data.
uint64_t token_stream_hash(const std::vector<int>& stream, const std::vector<size_t>& doc_starts,
                           int bos_id);

struct CheckpointOptions {
  std::string path;  // the checkpoint file, written and (with resume) read; empty: none
  int every = 0;     // save after every `every`-th step (the last included); 0: never
  bool resume = false;  // continue the run saved in `path` instead of starting afresh
  // Testing an interruption: return after this step (and its checkpoint, if one falls
  // due there) with complete = false, as if the process had been killed then; a
  // resume continues from the last checkpoint. 0: run to the end.
  int stop_after = 0;
  // Called once a resumed checkpoint has been read and checked against this run,
  // before the first step: with its step.
  std::function<void(int step)> on_resume;
};

// train_gpt with checkpoints: the same run, saved as it goes and/or resumed. Error
// when the checkpoint cannot be read or was written by a different run (see above).
TrainResult train_gpt(const GptConfig& config, const TrainOptions& options,
                      const std::vector<int>& train_stream,
                      const std::vector<size_t>& train_doc_starts,
                      const std::vector<int>& val_stream, int bos_id,
                      const CheckpointOptions& checkpoint,
                      const std::function<void(const TrainProgress&)>& on_progress = {});

// Mean loss of the trainer's current weights on consecutive sequences of `stream`
// (at most max_batches batches; a last partial batch is padded and the padding not
// counted). Returns {mean loss, predicted tokens}.
std::pair<double, int64_t> evaluate_loss(GptTrainer& trainer, const std::vector<int>& stream,
                                         int bos_id, int max_batches);

}  // namespace llmsim
