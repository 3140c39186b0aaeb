#include "train/train.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <type_traits>

#include "error.hpp"

namespace llmsim {

// ---- parameter layout --------------------------------------------------------------

// The flat buffer holds the tensors of gpt_tensors in their order, each as one region,
// except that a block's W_Q, W_K and W_V share one [C, 3C] region side by side (one
// GEMM then makes q, k and v). Fills `placements` with where each tensor starts and
// its row stride in the buffer.
static std::vector<ParameterInfo> parameter_layout(const std::vector<GptTensor>& tensors,
                                                   std::vector<TensorPlacement>* placements = nullptr) {
  std::vector<ParameterInfo> layout;
  size_t offset = 0;
  size_t qkv_offset = 0;  // the region of the block's fused W_Q | W_K | W_V
  for (const GptTensor& t : tensors) {
    const bool fused = t.role == TensorRole::w_q || t.role == TensorRole::w_k || t.role == TensorRole::w_v;
    if (t.role == TensorRole::w_q) {
      qkv_offset = offset;
      const std::string name = "blocks." + std::to_string(t.layer) + ".attn.w_qkv";
      layout.push_back(ParameterInfo{name, t.rows, 3 * t.cols, offset, t.decay, t.init, t.role, t.layer});
      offset += 3 * t.size();
    } else if (!fused) {
      layout.push_back(ParameterInfo{t.name, t.rows, t.cols, offset, t.decay, t.init, t.role, t.layer});
      offset += t.size();
    }
    if (placements) {
      const int part = t.role == TensorRole::w_k ? 1 : t.role == TensorRole::w_v ? 2 : 0;
      placements->push_back(fused ? TensorPlacement{qkv_offset + size_t(part) * t.cols, 3 * t.cols}
                                  : TensorPlacement{layout.back().offset, t.cols});
    }
  }
  return layout;
}

GptTrainer::ModelTensors GptTrainer::tensors_at(float* base) const {
  ModelTensors m;
  m.blocks.resize(size_t(config_.n_layer));
  for (const ParameterInfo& p : layout_) {
    float* at = base + p.offset;
    BlockTensors& b = m.blocks[size_t(std::max(p.layer, 0))];
    switch (p.role) {
      case TensorRole::tok_emb: m.tok_emb = at; break;
      case TensorRole::pos_emb: m.pos_emb = at; break;
      case TensorRole::lnf_weight: m.lnf_w = at; break;
      case TensorRole::lnf_bias: m.lnf_b = at; break;
      case TensorRole::ln1_weight: b.ln1_w = at; break;
      case TensorRole::ln1_bias: b.ln1_b = at; break;
      case TensorRole::w_q: b.w_qkv = at; break;  // W_Q | W_K | W_V
      case TensorRole::w_k: case TensorRole::w_v: break;
      case TensorRole::w_o: b.w_o = at; break;
      case TensorRole::ln2_weight: b.ln2_w = at; break;
      case TensorRole::ln2_bias: b.ln2_b = at; break;
      case TensorRole::fc_weight: b.fc_w = at; break;
      case TensorRole::fc_bias: b.fc_b = at; break;
      case TensorRole::proj_weight: b.proj_w = at; break;
      case TensorRole::proj_bias: b.proj_b = at; break;
    }
  }
  return m;
}

Eigen::Map<Matrix, 0, Eigen::OuterStride<>> GptTrainer::placed(const AlignedFloats& buffer, size_t i) const {
  const GptTensor& t = tensors_[i];
  return Eigen::Map<Matrix, 0, Eigen::OuterStride<>>(const_cast<float*>(buffer.data()) + placements_[i].offset,
                                                     t.rows, t.cols, Eigen::OuterStride<>(placements_[i].stride));
}

Eigen::Map<Matrix> GptTrainer::view(float* p, int rows, int cols) {
  return Eigen::Map<Matrix>(p, rows, cols);
}

GptTrainer::GptTrainer(const GptConfig& config, int batch_size, int seq_len)
    : config_(config), B_(batch_size), T_(seq_len) {
  config.validate("model config");
  if (batch_size < 1) throw Error("batch size must be at least 1");
  if (seq_len < 1 || seq_len > config.context)
    throw Error("sequence length must be between 1 and the context " +
                std::to_string(config.context) + ", got " + std::to_string(seq_len));
  tensors_ = gpt_tensors(config);
  layout_ = parameter_layout(tensors_, &placements_);
  const size_t n_params = layout_.back().offset + size_t(layout_.back().rows) * layout_.back().cols;
  params_.assign(n_params, 0.0f);
  grads_.assign(n_params, 0.0f);
  adam_m_.assign(n_params, 0.0f);
  adam_v_.assign(n_params, 0.0f);
  p_ = tensors_at(params_.data());
  g_ = tensors_at(grads_.data());

  const int N = B_ * T_, C = config.d_model, F = config.d_ff, V = config.vocab_size;
  const int H = config.n_head;
  inputs_.assign(N, 0);
  targets_.assign(N, 0);
  x0_.resize(N, C);
  layers_.resize(config.n_layer);
  for (LayerActivations& a : layers_) {
    a.resize(N, C, F);
    a.qkv.resize(N, 3 * C);
    a.att.resize(B_ * H * T_, T_);
    a.atty.resize(N, C);
  }
  lnf_.resize(N, C);
  lnf_mean_.resize(N);
  lnf_rstd_.resize(N);
  logits_.resize(N, V);
  probs_.resize(N, V);
  losses_.resize(N);
  for (Matrix* m : {&d_a_, &d_b_, &d_branch_, &d_atty_, &d_ln_}) m->resize(N, C);
  d_qkv_.resize(N, 3 * C);
  d_fch_.resize(N, F);
  d_fch_gelu_.resize(N, F);
  d_logits_.resize(N, V);
}

// ---- weights -----------------------------------------------------------------------

void GptTrainer::init_weights(uint64_t seed, bool sinusoid_positions) {
  Rng rng(seed);
  const float residual_std = 0.02f / std::sqrt(2.0f * float(config_.n_layer));
  for (const ParameterInfo& p : layout_) {
    float* data = params_.data() + p.offset;
    const size_t n = size_t(p.rows) * p.cols;
    switch (p.init) {
      case TensorInit::ones: std::fill(data, data + n, 1.0f); break;
      case TensorInit::zeros: std::fill(data, data + n, 0.0f); break;
      case TensorInit::normal:
      case TensorInit::residual_normal: {
        const float stddev = p.init == TensorInit::residual_normal ? residual_std : 0.02f;
        for (size_t i = 0; i < n; ++i) data[i] = float(rng.normal() * stddev);
      }
    }
  }
  if (sinusoid_positions) {
    // pos_emb[t, 2k] = a·sin(t·ω_k), pos_emb[t, 2k+1] = a·cos(t·ω_k), ω_k = 10000^(−2k/C);
    // a = 0.02·√2 gives each column the 0.02 spread of the random start.
    const int C = config_.d_model;
    auto pos = view(p_.pos_emb, config_.context, C);
    const double a = 0.02 * std::sqrt(2.0);
    for (int t = 0; t < config_.context; ++t)
      for (int c = 0; c < C; ++c) {
        const double omega = std::pow(10000.0, -double(c - c % 2) / C);
        pos(t, c) = float(c % 2 == 0 ? a * std::sin(t * omega) : a * std::cos(t * omega));
      }
  }
  std::fill(adam_m_.begin(), adam_m_.end(), 0.0f);
  std::fill(adam_v_.begin(), adam_v_.end(), 0.0f);
}

void GptTrainer::set_weights(const GptWeights& w) {
  // The trainer's parameter buffer has no place for attention biases (the project's
  // models have none); dropping them would train a different model than was given.
  for (size_t l = 0; l < w.blocks.size(); ++l)
    if (w.blocks[l].attn.has_biases())
      throw Error("the trainer cannot train a model with attention biases (block " + std::to_string(l) +
                  " has them, as GPT-2's checkpoints do): training is bias-free");
  for (size_t i = 0; i < tensors_.size(); ++i) placed(params_, i) = tensor_in(w, tensors_[i]);
}

GptWeights GptTrainer::weights() const {
  GptWeights w = zero_weights(config_);
  for (size_t i = 0; i < tensors_.size(); ++i) tensor_in(w, tensors_[i]) = placed(params_, i);
  return w;
}

// ---- forward -----------------------------------------------------------------------

double GptTrainer::forward(const int* inputs, const int* targets) {
  const int N = B_ * T_, C = config_.d_model, F = config_.d_ff, V = config_.vocab_size;
  const int H = config_.n_head;
  std::copy(inputs, inputs + N, inputs_.begin());
  std::copy(targets, targets + N, targets_.begin());

  embedding_forward(inputs_.data(), B_, T_, view(p_.tok_emb, V, C),
                    view(p_.pos_emb, config_.context, C), x0_);  // [N, C]
  const Matrix* x = &x0_;  // the residual stream entering the block
  for (int l = 0; l < config_.n_layer; ++l) {
    const BlockTensors& w = p_.blocks[l];
    LayerActivations& a = layers_[l];
    const BlockParameters parameters{w.ln1_w, w.ln1_b, w.ln2_w, w.ln2_b,
                                     view(w.fc_w, C, F), w.fc_b, view(w.proj_w, F, C), w.proj_b,
                                     config_.layer_norm_eps};
    block_forward(*x, parameters, a, [&](const Matrix& ln1, Matrix& attproj) {
      matmul_forward(ln1, view(w.w_qkv, C, 3 * C), nullptr, a.qkv);  // [N, 3C]
      batched_attention_forward(a.qkv, B_, T_, H, attention_options_, a.att, a.atty, scratch_);
      matmul_forward(a.atty, view(w.w_o, C, C), nullptr, attproj);  // [N, C]
    });
    x = &a.res3;
  }
  layernorm_forward(*x, p_.lnf_w, p_.lnf_b, lnf_, lnf_mean_.data(), lnf_rstd_.data(),
                    config_.layer_norm_eps);
  unembedding_forward(lnf_, view(p_.tok_emb, V, C), logits_);  // [N, V]
  return cross_entropy_forward(logits_, targets_.data(), probs_, losses_.data());
}

// ---- backward ----------------------------------------------------------------------

void GptTrainer::backward() {
  const int N = B_ * T_, C = config_.d_model, F = config_.d_ff, V = config_.vocab_size;
  const int H = config_.n_head;
  std::fill(grads_.begin(), grads_.end(), 0.0f);

  // loss = mean of N per-token losses, so each one's weight is 1/N
  d_logits_.setZero();
  cross_entropy_backward(probs_, targets_.data(), 1.0f / float(N), d_logits_);
  d_ln_.setZero();
  unembedding_backward(d_logits_, lnf_, view(p_.tok_emb, V, C), d_ln_,
                       view(g_.tok_emb, V, C));
  // d_a_ holds the gradient of the residual stream, from the top down
  d_a_.setZero();
  const Matrix& last = config_.n_layer > 0 ? layers_.back().res3 : x0_;
  layernorm_backward(d_ln_, last, p_.lnf_w, lnf_mean_.data(), lnf_rstd_.data(), d_a_, g_.lnf_w,
                     g_.lnf_b);

  for (int l = config_.n_layer - 1; l >= 0; --l) {
    const BlockTensors& w = p_.blocks[l];
    const BlockTensors& gw = g_.blocks[l];
    const LayerActivations& a = layers_[l];
    const Matrix& x = l == 0 ? x0_ : layers_[l - 1].res3;

    // res3 = res2 + fcproj: d_a_ (wrt res3) -> d_b_ (wrt res2) and d_branch_
    d_b_.setZero();
    d_branch_.setZero();
    residual_backward(d_a_, d_b_, d_branch_);
    d_fch_gelu_.setZero();
    matmul_backward(d_branch_, a.fch_gelu, view(w.proj_w, F, C), d_fch_gelu_,
                    view(gw.proj_w, F, C), gw.proj_b);
    d_fch_.setZero();
    gelu_backward(d_fch_gelu_, a.fch, d_fch_);
    d_ln_.setZero();
    matmul_backward(d_fch_, a.ln2, view(w.fc_w, C, F), d_ln_, view(gw.fc_w, C, F),
                    gw.fc_b);
    layernorm_backward(d_ln_, a.res2, w.ln2_w, a.ln2_mean.data(), a.ln2_rstd.data(), d_b_,
                       gw.ln2_w, gw.ln2_b);

    // res2 = x + attproj: d_b_ (wrt res2) -> d_a_ (wrt x) and d_branch_
    d_a_.setZero();
    d_branch_.setZero();
    residual_backward(d_b_, d_a_, d_branch_);
    d_atty_.setZero();
    matmul_backward(d_branch_, a.atty, view(w.w_o, C, C), d_atty_, view(gw.w_o, C, C),
                    nullptr);
    d_qkv_.setZero();
    batched_attention_backward(d_atty_, a.qkv, a.att, B_, T_, H, attention_options_, d_qkv_,
                               scratch_);
    d_ln_.setZero();
    matmul_backward(d_qkv_, a.ln1, view(w.w_qkv, C, 3 * C), d_ln_,
                    view(gw.w_qkv, C, 3 * C), nullptr);
    layernorm_backward(d_ln_, x, w.ln1_w, a.ln1_mean.data(), a.ln1_rstd.data(), d_a_, gw.ln1_w,
                       gw.ln1_b);
  }
  embedding_backward(inputs_.data(), B_, T_, d_a_, view(g_.tok_emb, V, C),
                     view(g_.pos_emb, config_.context, C));
}

// ---- optimizer ---------------------------------------------------------------------

double GptTrainer::clip_gradients(double max_norm) {
  double sum = 0;
  for (float g : grads_) sum += double(g) * g;  // in order: the same bits every run
  const double norm = std::sqrt(sum);
  if (norm > max_norm && norm > 0) {
    const float factor = float(max_norm / norm);
    for (float& g : grads_) g *= factor;
  }
  return norm;
}

void GptTrainer::adamw_update(float lr, const AdamWOptions& o, int step) {
  // Bias corrections undo the moments' start at zero (Kingma & Ba); the weight decay
  // is decoupled from the gradient (Loshchilov & Hutter): p -= lr·wd·p.
  const float correction1 = 1.0f - std::pow(o.beta1, float(step));
  const float correction2 = 1.0f - std::pow(o.beta2, float(step));
  for (const ParameterInfo& info : layout_) {
    const Eigen::Index n = Eigen::Index(info.rows) * info.cols;
    Eigen::Map<Eigen::ArrayXf> p(params_.data() + info.offset, n);
    Eigen::Map<const Eigen::ArrayXf> g(grads_.data() + info.offset, n);
    Eigen::Map<Eigen::ArrayXf> m(adam_m_.data() + info.offset, n);
    Eigen::Map<Eigen::ArrayXf> v(adam_v_.data() + info.offset, n);
    m = o.beta1 * m + (1.0f - o.beta1) * g;
    v = o.beta2 * v + (1.0f - o.beta2) * g.square();
    const float decay = info.decay ? o.weight_decay : 0.0f;
    p -= lr * ((m / correction1) / ((v / correction2).sqrt() + o.eps) + decay * p);
  }
}

float learning_rate_at(int step, int total, int warmup, float max_lr, float min_lr) {
  if (step < warmup) return max_lr * float(step + 1) / float(warmup);
  if (step >= total) return min_lr;
  const double progress = double(step - warmup) / double(std::max(1, total - warmup));
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));  // 1 -> 0
  return float(min_lr + (max_lr - min_lr) * cosine);
}

// ---- data --------------------------------------------------------------------------

SequenceSampler::SequenceSampler(const std::vector<int>& stream, std::vector<size_t> doc_starts,
                                 int bos_id, int seq_len, uint64_t seed, RepeatedRuns runs)
    : stream_(stream), bos_(bos_id), T_(seq_len), rng_(seed), runs_(runs) {
  if (runs.fraction < 0 || runs.fraction > 1)
    throw Error("the share of repeated random runs must be in [0, 1], got " +
                std::to_string(runs.fraction));
  if (runs.fraction > 0 && (runs.vocab_size < 2 || runs.min_length < 1 ||
                            runs.max_length < runs.min_length))
    throw Error("repeated random runs need a vocabulary of at least 2 tokens and "
                "1 <= min_length <= max_length");
  if (stream.size() < size_t(seq_len) + 1)
    throw Error("the training text has " + std::to_string(stream.size()) +
                " tokens, fewer than one sequence of " + std::to_string(seq_len + 1));
  const size_t last = stream.size() - size_t(seq_len);  // a start must leave T tokens after it
  for (size_t s : doc_starts)
    if (s <= last) doc_starts_.push_back(s);
}

uint64_t SequenceSampler::draw() {
  ++draws_;
  return rng_.next_u64();
}

uint64_t SequenceSampler::next_draw() const {
  Rng copy = rng_;
  return copy.next_u64();
}

void SequenceSampler::skip(uint64_t draws) {
  for (uint64_t i = 0; i < draws; ++i) draw();
}

size_t SequenceSampler::position(bool at_document_start) {
  if (at_document_start && !doc_starts_.empty())
    return doc_starts_[draw() % doc_starts_.size()];
  return draw() % (stream_.size() - size_t(T_) + 1);
}

void SequenceSampler::repeated_run(int* in, int* out) {
  const int span = runs_.max_length - runs_.min_length + 1;
  const int n = runs_.min_length + int(draw() % uint64_t(span));
  std::vector<int> run(static_cast<size_t>(n));
  for (int& id : run) {
    do id = int(draw() % uint64_t(runs_.vocab_size));
    while (id == bos_);
  }
  // The sequence is BOS, R, R, R, … cut at T tokens; the targets are the same shifted by one.
  in[0] = bos_;
  for (int t = 1; t < T_; ++t) in[t] = run[size_t((t - 1) % n)];
  for (int t = 0; t < T_; ++t) out[t] = run[size_t(t % n)];
}

void SequenceSampler::sample(int B, int* inputs, int* targets) {
  for (int b = 0; b < B; ++b) {
    int* in = inputs + size_t(b) * T_;
    int* out = targets + size_t(b) * T_;
    // Drawn only when runs are on, so the plain data order stays what it was.
    // uniform() is one next_u64(): counted as one draw (skip() replays it as one, and
    // a resume checks the replay against next_draw()).
    if (runs_.fraction > 0 && (++draws_, rng_.uniform()) < runs_.fraction) {
      repeated_run(in, out);
      continue;
    }
    const size_t s = position(b % 2 == 0);
    in[0] = bos_;  // BOS, then stream[s .. s+T-2]; targets stream[s .. s+T-1]
    for (int t = 1; t < T_; ++t) in[t] = stream_[s + t - 1];
    for (int t = 0; t < T_; ++t) out[t] = stream_[s + t];
  }
}

int consecutive_sequences(const std::vector<int>& stream, int bos_id, int seq_len,
                          std::vector<int>& inputs, std::vector<int>& targets) {
  const int n = int(stream.size() / size_t(seq_len));
  inputs.assign(size_t(n) * seq_len, 0);
  targets.assign(size_t(n) * seq_len, 0);
  for (int i = 0; i < n; ++i) {
    const size_t s = size_t(i) * seq_len;
    inputs[size_t(i) * seq_len] = bos_id;
    for (int t = 1; t < seq_len; ++t) inputs[size_t(i) * seq_len + t] = stream[s + t - 1];
    for (int t = 0; t < seq_len; ++t) targets[size_t(i) * seq_len + t] = stream[s + t];
  }
  return n;
}

std::pair<double, int64_t> evaluate_loss(GptTrainer& trainer, const std::vector<int>& stream,
                                         int bos_id, int max_batches) {
  const int B = trainer.batch_size(), T = trainer.seq_len();
  std::vector<int> inputs, targets;
  const int n = std::min(consecutive_sequences(stream, bos_id, T, inputs, targets), B * max_batches);
  double total = 0;
  int64_t count = 0;
  std::vector<int> in(size_t(B) * T), out(size_t(B) * T);
  for (int first = 0; first < n; first += B) {
    const int real = std::min(B, n - first);
    for (int b = 0; b < B; ++b) {  // pad a last partial batch with its first sequence
      const size_t src = size_t(first + (b < real ? b : 0)) * T;
      std::copy(inputs.begin() + src, inputs.begin() + src + T, in.begin() + size_t(b) * T);
      std::copy(targets.begin() + src, targets.begin() + src + T, out.begin() + size_t(b) * T);
    }
    trainer.forward(in.data(), out.data());
    for (int i = 0; i < real * T; ++i) total += trainer.losses()[i];
    count += int64_t(real) * T;
  }
  return {count > 0 ? total / double(count) : 0.0, count};
}

// ---- checkpoints -------------------------------------------------------------------

namespace {

constexpr char kCheckpointMagic[8] = {'L', 'L', 'M', 'S', 'I', 'M', 'C', 'K'};
constexpr uint32_t kCheckpointVersion = 1;
constexpr uint32_t kByteOrderMark = 0x01020304;  // reads back differently on the other byte order
constexpr size_t kCheckpointHeaderBytes = 32;    // magic, version, mark, payload size, hash

uint64_t fnv1a(const void* data, size_t n, uint64_t h = 0xcbf29ce484222325ULL) {
  const unsigned char* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= bytes[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

size_t parameter_count_of(const GptConfig& config) { return size_t(config.parameter_count()); }

// The payload is plain values as their bytes, in the order of TrainCheckpoint. Flags
// go as one byte (a bool read from a foreign byte would be undefined behaviour).
class PayloadWriter {
 public:
  template <class T>
  void put(const T& value) {
    static_assert(std::is_arithmetic<T>::value && !std::is_same<T, bool>::value, "plain numbers");
    bytes_.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  void floats(const AlignedFloats& v) {
    put(uint64_t(v.size()));
    bytes_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// Reads the payload back; every read is checked against the bytes that are left, so
// a file that ends early is an Error, never a read past the end.
class PayloadReader {
 public:
  PayloadReader(const std::string& bytes, size_t begin, const std::string& path)
      : bytes_(bytes), pos_(begin), path_(path) {}
  template <class T>
  T get(const char* what) {
    static_assert(std::is_arithmetic<T>::value && !std::is_same<T, bool>::value, "plain numbers");
    need(sizeof(T), what);
    T value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  bool flag(const char* what) {
    const uint8_t b = get<uint8_t>(what);
    if (b > 1) throw Error(path_ + ": not a valid checkpoint (" + what + " is neither 0 nor 1)");
    return b == 1;
  }
  void floats(AlignedFloats& v, size_t expected, const char* what) {
    const uint64_t n = get<uint64_t>(what);
    if (n != expected)
      throw Error(path_ + ": the checkpoint's " + what + " hold " + std::to_string(n) +
                  " numbers where its config has " + std::to_string(expected) + " parameters");
    need(n * sizeof(float), what);  // before allocating: n is bounded by the config's size
    v.resize(n);
    std::memcpy(v.data(), bytes_.data() + pos_, n * sizeof(float));
    pos_ += n * sizeof(float);
  }
  void need(size_t n, const char* what) const {
    if (n > bytes_.size() - pos_)
      throw Error(path_ + ": the checkpoint ends early (truncated?): " + std::to_string(n) +
                  " bytes of " + what + " at byte " + std::to_string(pos_) + ", " +
                  std::to_string(bytes_.size() - pos_) + " left");
  }
  size_t left() const { return bytes_.size() - pos_; }

 private:
  const std::string& bytes_;
  size_t pos_;
  const std::string& path_;
};

// One TrainProgress on disk: 2 ints, a flag, 7 doubles.
constexpr size_t kProgressBytes = 2 * 4 + 1 + 7 * 8;

template <class T>
std::string number_text(T value) {
  std::ostringstream out;
  out.precision(std::numeric_limits<T>::max_digits10);  // floats in full: they must match exactly
  out << value;
  return out.str();
}

// Every setting of this run that differs from the checkpointed run's, in words; empty
// when the run continues the same one.
std::vector<std::string> run_differences(const TrainCheckpoint& c, const GptConfig& config,
                                         const TrainOptions& o, int threads,
                                         uint64_t train_hash, uint64_t val_hash) {
  std::vector<std::string> d;
  auto compare = [&](const char* name, auto there, auto here) {
    if (!(there == here))
      d.push_back(std::string(name) + " " + number_text(there) + " there, " + number_text(here) +
                  " here");
  };
  compare("vocab_size", c.config.vocab_size, config.vocab_size);
  compare("d_model", c.config.d_model, config.d_model);
  compare("n_layer", c.config.n_layer, config.n_layer);
  compare("n_head", c.config.n_head, config.n_head);
  compare("context", c.config.context, config.context);
  compare("d_ff", c.config.d_ff, config.d_ff);
  const TrainOptions& t = c.options;
  compare("steps", t.steps, o.steps);
  compare("batch_size", t.batch_size, o.batch_size);
  compare("seq_len", t.seq_len, o.seq_len);
  compare("max_lr", t.max_lr, o.max_lr);
  compare("min_lr", t.min_lr, o.min_lr);
  compare("warmup", t.warmup, o.warmup);
  compare("beta1", t.adamw.beta1, o.adamw.beta1);
  compare("beta2", t.adamw.beta2, o.adamw.beta2);
  compare("eps", t.adamw.eps, o.adamw.eps);
  compare("weight_decay", t.adamw.weight_decay, o.adamw.weight_decay);
  compare("grad_clip", t.grad_clip, o.grad_clip);
  compare("seed", t.seed, o.seed);
  compare("eval_every", t.eval_every, o.eval_every);
  compare("eval_batches", t.eval_batches, o.eval_batches);
  compare("repeat fraction", t.repeated_runs.fraction, o.repeated_runs.fraction);
  compare("repeat vocab_size", t.repeated_runs.vocab_size, o.repeated_runs.vocab_size);
  compare("repeat min_length", t.repeated_runs.min_length, o.repeated_runs.min_length);
  compare("repeat max_length", t.repeated_runs.max_length, o.repeated_runs.max_length);
  compare("threads (Eigen's GEMMs sum in an order that depends on them)", c.threads, threads);
  if (c.train_tokens_hash != train_hash)
    d.push_back("the training tokens (a different corpus or tokenizer: hash " +
                std::to_string(c.train_tokens_hash) + " there, " + std::to_string(train_hash) +
                " here)");
  if (c.val_tokens_hash != val_hash)
    d.push_back("the validation tokens (hash " + std::to_string(c.val_tokens_hash) + " there, " +
                std::to_string(val_hash) + " here)");
  return d;
}

}  // namespace

uint64_t token_stream_hash(const std::vector<int>& stream, const std::vector<size_t>& doc_starts,
                           int bos_id) {
  // The sizes go first, so one sequence cannot pass for another cut differently.
  const uint64_t sizes[2] = {stream.size(), doc_starts.size()};
  uint64_t h = fnv1a(sizes, sizeof sizes);
  h = fnv1a(stream.data(), stream.size() * sizeof(int), h);
  for (size_t s : doc_starts) {
    const uint64_t s64 = s;
    h = fnv1a(&s64, sizeof s64, h);
  }
  const int32_t bos = bos_id;
  return fnv1a(&bos, sizeof bos, h);
}

namespace {

// The scalar fields of a checkpoint in their order on disk, each with the type it is
// stored as: the one list the writer and the reader share. `field(value, stored)` is
// called once per field; `stored` is a value of the on-disk type.
template <class Checkpoint, class Field>
void scalar_fields(Checkpoint& c, Field&& field) {
  auto& g = c.config;
  auto& o = c.options;
  for (auto* v : {&g.vocab_size, &g.d_model, &g.n_layer, &g.n_head, &g.context, &g.d_ff})
    field(*v, int32_t{});
  field(o.steps, int32_t{});
  field(o.batch_size, int32_t{});
  field(o.seq_len, int32_t{});
  field(o.max_lr, float{});
  field(o.min_lr, float{});
  field(o.warmup, int32_t{});
  field(o.adamw.beta1, float{});
  field(o.adamw.beta2, float{});
  field(o.adamw.eps, float{});
  field(o.adamw.weight_decay, float{});
  field(o.grad_clip, double{});
  field(o.seed, uint64_t{});
  field(o.eval_every, int32_t{});
  field(o.eval_batches, int32_t{});
  field(o.repeated_runs.fraction, double{});
  field(o.repeated_runs.vocab_size, int32_t{});
  field(o.repeated_runs.min_length, int32_t{});
  field(o.repeated_runs.max_length, int32_t{});
  field(c.threads, int32_t{});
  field(c.train_tokens_hash, uint64_t{});
  field(c.val_tokens_hash, uint64_t{});
  field(c.step, int32_t{});
  field(c.sampler_draws, uint64_t{});
  field(c.sampler_next, uint64_t{});
}

}  // namespace

void save_checkpoint(const std::string& path, const TrainCheckpoint& c) {
  PayloadWriter w;
  scalar_fields(c, [&](const auto& value, auto stored) { w.put(decltype(stored)(value)); });
  w.floats(c.parameters);
  w.floats(c.adam_m);
  w.floats(c.adam_v);
  w.put(uint64_t(c.curve.size()));
  for (const TrainProgress& p : c.curve) {
    w.put(int32_t(p.step));
    w.put(int32_t(p.steps));
    w.put(uint8_t(p.checkpoint_written ? 1 : 0));
    for (double v : {p.loss, p.val_loss, p.learning_rate, p.grad_norm, p.tokens_per_second,
                     p.elapsed_seconds, p.eta_seconds})
      w.put(v);
  }

  const std::string& payload = w.bytes();
  const uint64_t payload_size = payload.size(), payload_hash = fnv1a(payload.data(), payload.size());
  char header[kCheckpointHeaderBytes];
  std::memcpy(header, kCheckpointMagic, 8);
  std::memcpy(header + 8, &kCheckpointVersion, 4);
  std::memcpy(header + 12, &kByteOrderMark, 4);
  std::memcpy(header + 16, &payload_size, 8);
  std::memcpy(header + 24, &payload_hash, 8);

  // Written whole beside the target, then renamed over it: rename replaces a file in
  // one step, so a kill at any moment leaves either the old checkpoint or the new one.
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(header, sizeof header);
    out.write(payload.data(), std::streamsize(payload.size()));
    out.close();
    if (!out) throw Error(temporary + ": cannot write the checkpoint (does the folder exist? is the disk full?)");
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    throw Error("cannot rename " + temporary + " to " + path + ": " + std::strerror(errno));
}

TrainCheckpoint load_checkpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(path + ": cannot open the checkpoint (no such file? a run writes one every "
                              "--checkpoint-every steps)");
  const std::streamoff file_size = in.tellg();
  in.seekg(0);
  char header[kCheckpointHeaderBytes] = {};
  in.read(header, std::streamsize(std::min<std::streamoff>(file_size, sizeof header)));
  if (file_size < 8 || std::memcmp(header, kCheckpointMagic, 8) != 0)
    throw Error(path + " is not an llmsim checkpoint (it does not start with \"LLMSIMCK\")");
  if (file_size < std::streamoff(kCheckpointHeaderBytes))
    throw Error(path + ": the checkpoint ends inside its header (truncated: " +
                std::to_string(file_size) + " bytes)");
  uint32_t version, mark;
  uint64_t payload_size, payload_hash;
  std::memcpy(&version, header + 8, 4);
  std::memcpy(&mark, header + 12, 4);
  std::memcpy(&payload_size, header + 16, 8);
  std::memcpy(&payload_hash, header + 24, 8);
  if (mark != kByteOrderMark)
    throw Error(path + ": the checkpoint was written on a machine of the other byte order");
  if (version != kCheckpointVersion)
    throw Error(path + ": checkpoint format version " + std::to_string(version) +
                "; this build reads version " + std::to_string(kCheckpointVersion));
  const uint64_t held = uint64_t(file_size) - kCheckpointHeaderBytes;
  if (held < payload_size)
    throw Error(path + ": the checkpoint is truncated: its header promises " +
                std::to_string(payload_size) + " bytes of state, the file holds " +
                std::to_string(held));
  if (held > payload_size)
    throw Error(path + ": the checkpoint has " + std::to_string(held - payload_size) +
                " bytes after the state its header describes (not a file this program wrote)");
  std::string payload(payload_size, '\0');
  in.read(&payload[0], std::streamsize(payload_size));
  if (!in) throw Error(path + ": cannot read the checkpoint");
  if (fnv1a(payload.data(), payload.size()) != payload_hash)
    throw Error(path + ": the checkpoint is corrupted (its contents do not match the hash in "
                       "its header)");

  // The hash says these are the bytes the writer wrote; the reader checks every size
  // anyway, so even a file crafted to pass the hash is never read out of bounds.
  PayloadReader r(payload, 0, path);
  TrainCheckpoint c;
  scalar_fields(c, [&](auto& value, auto stored) {
    value = static_cast<std::remove_reference_t<decltype(value)>>(r.get<decltype(stored)>("the run's settings"));
  });
  const GptConfig& g = c.config;
  const TrainOptions& o = c.options;
  g.validate(path + " (its config)");
  if (c.step < 0 || c.step > o.steps)
    throw Error(path + ": the checkpoint's step " + std::to_string(c.step) +
                " is outside its run of " + std::to_string(o.steps) + " steps");
  const size_t n_params = parameter_count_of(g);
  r.floats(c.parameters, n_params, "parameters");
  r.floats(c.adam_m, n_params, "AdamW first moments");
  r.floats(c.adam_v, n_params, "AdamW second moments");
  const uint64_t n_curve = r.get<uint64_t>("the loss curve");
  if (n_curve != uint64_t(c.step))
    throw Error(path + ": the checkpoint's loss curve has " + std::to_string(n_curve) +
                " steps, not its step " + std::to_string(c.step));
  r.need(n_curve * kProgressBytes, "the loss curve");  // before allocating
  c.curve.resize(n_curve);
  for (TrainProgress& p : c.curve) {
    p.step = r.get<int32_t>("the loss curve");
    p.steps = r.get<int32_t>("the loss curve");
    p.checkpoint_written = r.flag("a checkpoint flag");
    for (double* v : {&p.loss, &p.val_loss, &p.learning_rate, &p.grad_norm, &p.tokens_per_second,
                      &p.elapsed_seconds, &p.eta_seconds})
      *v = r.get<double>("the loss curve");
  }
  if (r.left() != 0)
    throw Error(path + ": the checkpoint has " + std::to_string(r.left()) +
                " bytes after its loss curve (not a file this program wrote)");
  return c;
}

// ---- the training loop -------------------------------------------------------------

SequenceSampler training_sampler(const GptConfig& config, const TrainOptions& options,
                                 const std::vector<int>& train_stream,
                                 const std::vector<size_t>& train_doc_starts, int bos_id) {
  const int T = options.seq_len > 0 ? options.seq_len : config.context;
  // The data order has its own stream, derived from the seed.
  RepeatedRuns runs = options.repeated_runs;
  if (runs.vocab_size == 0) runs.vocab_size = config.vocab_size;
  return SequenceSampler(train_stream, train_doc_starts, bos_id, T, options.seed ^ 0x5eed0da7aULL,
                         runs);
}

StepResult train_step(GptTrainer& trainer, SequenceSampler& sampler, const TrainOptions& options,
                      int step, std::vector<int>& inputs, std::vector<int>& targets) {
  const size_t n = size_t(trainer.batch_size()) * trainer.seq_len();
  inputs.resize(n);
  targets.resize(n);
  sampler.sample(trainer.batch_size(), inputs.data(), targets.data());
  StepResult r;
  r.loss = trainer.forward(inputs.data(), targets.data());
  trainer.backward();
  r.grad_norm = trainer.clip_gradients(options.grad_clip);
  r.learning_rate =
      learning_rate_at(step, options.steps, options.warmup, options.max_lr, options.min_lr);
  trainer.adamw_update(float(r.learning_rate), options.adamw, step + 1);
  return r;
}

TrainResult train_gpt(const GptConfig& config, const TrainOptions& options,
                      const std::vector<int>& train_stream,
                      const std::vector<size_t>& train_doc_starts,
                      const std::vector<int>& val_stream, int bos_id,
                      const std::function<void(const TrainProgress&)>& on_progress) {
  return train_gpt(config, options, train_stream, train_doc_starts, val_stream, bos_id,
                   CheckpointOptions{}, on_progress);
}

TrainResult train_gpt(const GptConfig& config, const TrainOptions& options,
                      const std::vector<int>& train_stream,
                      const std::vector<size_t>& train_doc_starts,
                      const std::vector<int>& val_stream, int bos_id,
                      const CheckpointOptions& checkpoint,
                      const std::function<void(const TrainProgress&)>& on_progress) {
  if (checkpoint.every < 0 || checkpoint.stop_after < 0)
    throw Error("the checkpoint interval and the stopping step must be 0 or more");
  const bool checkpoints = checkpoint.every > 0 || checkpoint.resume;
  if (checkpoints && checkpoint.path.empty())
    throw Error("checkpoints need a file to be written to or resumed from");
  const int T = options.seq_len > 0 ? options.seq_len : config.context;
  const int B = options.batch_size;
  GptTrainer trainer(config, B, T);
  trainer.init_weights(options.seed, options.sinusoid_positions);
  SequenceSampler sampler = training_sampler(config, options, train_stream, train_doc_starts, bos_id);
  std::vector<int> inputs(size_t(B) * T), targets(size_t(B) * T);
  // What a checkpoint records of the data and the machine (hashing reads every token,
  // so only when there are checkpoints).
  const int threads = Eigen::nbThreads();
  const uint64_t train_hash =
      checkpoints ? token_stream_hash(train_stream, train_doc_starts, bos_id) : 0;
  const uint64_t val_hash = checkpoints ? token_stream_hash(val_stream, {}, bos_id) : 0;

  TrainResult result;
  int first_step = 0;         // 0-based index of the first step this call takes
  double elapsed_before = 0;  // training seconds of the sessions before a resume
  if (checkpoint.resume) {
    TrainCheckpoint saved = load_checkpoint(checkpoint.path);
    const std::vector<std::string> differences =
        run_differences(saved, config, options, threads, train_hash, val_hash);
    if (!differences.empty()) {
      std::string list;
      for (const std::string& d : differences) list += (list.empty() ? "" : "; ") + d;
      throw Error("cannot resume " + checkpoint.path +
                  ": it was written by a run with other settings, which this run would not "
                  "continue bit for bit: " + list +
                  ". Resume with the options the run was started with, or start afresh.");
    }
    std::copy(saved.parameters.begin(), saved.parameters.end(), trainer.parameters().begin());
    std::copy(saved.adam_m.begin(), saved.adam_m.end(), trainer.adam_first_moments().begin());
    std::copy(saved.adam_v.begin(), saved.adam_v.end(), trainer.adam_second_moments().begin());
    sampler.skip(saved.sampler_draws);
    if (sampler.next_draw() != saved.sampler_next)
      throw Error("cannot resume " + checkpoint.path + ": replaying the sampler's " +
                  std::to_string(saved.sampler_draws) +
                  " draws did not reach the state the checkpoint recorded (did the sampler "
                  "change since the run was checkpointed?)");
    result.curve = std::move(saved.curve);
    first_step = result.resumed_from = saved.step;
    elapsed_before = result.curve.empty() ? 0 : result.curve.back().elapsed_seconds;
    if (checkpoint.on_resume) checkpoint.on_resume(saved.step);
  }

  // The state after `steps_taken` steps, as a resumed run needs it.
  auto save = [&](int steps_taken) {
    TrainCheckpoint c;
    c.config = config;
    c.options = options;
    c.threads = threads;
    c.train_tokens_hash = train_hash;
    c.val_tokens_hash = val_hash;
    c.step = steps_taken;
    c.sampler_draws = sampler.draws();
    c.sampler_next = sampler.next_draw();
    c.parameters = trainer.parameters();
    c.adam_m = trainer.adam_first_moments();
    c.adam_v = trainer.adam_second_moments();
    c.curve = result.curve;
    save_checkpoint(checkpoint.path, c);
  };

  const auto start = std::chrono::steady_clock::now();
  for (int step = first_step; step < options.steps; ++step) {
    if (checkpoint.stop_after > 0 && step >= checkpoint.stop_after) {
      result.complete = false;
      break;
    }
    TrainProgress p;
    p.step = step + 1;
    p.steps = options.steps;
    const StepResult taken = train_step(trainer, sampler, options, step, inputs, targets);
    p.loss = taken.loss;
    p.grad_norm = taken.grad_norm;
    p.learning_rate = taken.learning_rate;

    const bool last = step + 1 == options.steps;
    if (!val_stream.empty() && options.eval_every > 0 &&
        ((step + 1) % options.eval_every == 0 || last))
      p.val_loss = evaluate_loss(trainer, val_stream, bos_id, options.eval_batches).first;
    // Rates over this session only: a resumed run's clock restarts at the resume.
    const double session =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int session_steps = step + 1 - first_step;
    p.elapsed_seconds = elapsed_before + session;
    p.tokens_per_second = double(session_steps) * B * T / std::max(session, 1e-9);
    p.eta_seconds = session / session_steps * (options.steps - step - 1);
    p.checkpoint_written = checkpoint.every > 0 && (step + 1) % checkpoint.every == 0;
    result.curve.push_back(p);
    if (p.checkpoint_written) save(step + 1);
    if (on_progress) on_progress(p);
  }
  // The last step's validation, also when it was taken before a resume at the end.
  if (result.complete && !result.curve.empty() && result.curve.back().val_loss >= 0)
    result.final_val_loss = result.curve.back().val_loss;
  result.weights = trainer.weights();
  return result;
}

}  // namespace llmsim
