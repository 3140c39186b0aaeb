#include "train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "error.hpp"

namespace llmsim {

// ---- parameter layout --------------------------------------------------------------

static std::vector<ParameterInfo> parameter_layout(const GptConfig& c) {
  std::vector<ParameterInfo> layout;
  size_t offset = 0;
  auto add = [&](const std::string& name, int rows, int cols, bool decay) {
    layout.push_back(ParameterInfo{name, rows, cols, offset, decay});
    offset += size_t(rows) * size_t(cols);
  };
  const int V = c.vocab_size, C = c.d_model, F = c.d_ff;
  add("tok_emb", V, C, true);
  add("pos_emb", c.context, C, true);
  for (int l = 0; l < c.n_layer; ++l) {
    const std::string b = "blocks." + std::to_string(l) + ".";
    add(b + "ln1.weight", 1, C, false);
    add(b + "ln1.bias", 1, C, false);
    add(b + "attn.w_qkv", C, 3 * C, true);
    add(b + "attn.w_o", C, C, true);
    add(b + "ln2.weight", 1, C, false);
    add(b + "ln2.bias", 1, C, false);
    add(b + "mlp.fc.weight", C, F, true);
    add(b + "mlp.fc.bias", 1, F, false);
    add(b + "mlp.proj.weight", F, C, true);
    add(b + "mlp.proj.bias", 1, C, false);
  }
  add("ln_f.weight", 1, C, false);
  add("ln_f.bias", 1, C, false);
  return layout;
}

GptTrainer::ModelTensors GptTrainer::tensors_at(float* base) const {
  std::map<std::string, size_t> offset;
  for (const ParameterInfo& p : layout_) offset[p.name] = p.offset;
  auto at = [&](const std::string& name) { return base + offset.at(name); };
  ModelTensors t;
  t.tok_emb = at("tok_emb");
  t.pos_emb = at("pos_emb");
  for (int l = 0; l < config_.n_layer; ++l) {
    const std::string b = "blocks." + std::to_string(l) + ".";
    t.blocks.push_back(BlockTensors{at(b + "ln1.weight"), at(b + "ln1.bias"), at(b + "attn.w_qkv"),
                                    at(b + "attn.w_o"), at(b + "ln2.weight"), at(b + "ln2.bias"),
                                    at(b + "mlp.fc.weight"), at(b + "mlp.fc.bias"),
                                    at(b + "mlp.proj.weight"), at(b + "mlp.proj.bias")});
  }
  t.lnf_w = at("ln_f.weight");
  t.lnf_b = at("ln_f.bias");
  return t;
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
  layout_ = parameter_layout(config);
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
    a.ln1.resize(N, C);
    a.ln1_mean.resize(N);
    a.ln1_rstd.resize(N);
    a.qkv.resize(N, 3 * C);
    a.att.resize(B_ * H * T_, T_);
    a.atty.resize(N, C);
    a.attproj.resize(N, C);
    a.res2.resize(N, C);
    a.ln2.resize(N, C);
    a.ln2_mean.resize(N);
    a.ln2_rstd.resize(N);
    a.fch.resize(N, F);
    a.fch_gelu.resize(N, F);
    a.fcproj.resize(N, C);
    a.res3.resize(N, C);
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

void GptTrainer::init_weights(uint64_t seed) {
  Rng rng(seed);
  const float residual_std = 0.02f / std::sqrt(2.0f * float(config_.n_layer));
  for (const ParameterInfo& p : layout_) {
    float* data = params_.data() + p.offset;
    const size_t n = size_t(p.rows) * p.cols;
    const auto ends_with = [&](const std::string& suffix) {
      return p.name.size() >= suffix.size() &&
             p.name.compare(p.name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (!p.decay) {  // LayerNorm gains start at 1; every bias at 0
      std::fill(data, data + n, ends_with("ln1.weight") || ends_with("ln2.weight") ||
                                        p.name == "ln_f.weight" ? 1.0f : 0.0f);
      continue;
    }
    const float stddev = ends_with("attn.w_o") || ends_with("mlp.proj.weight") ? residual_std : 0.02f;
    for (size_t i = 0; i < n; ++i) data[i] = float(rng.normal() * stddev);
  }
  std::fill(adam_m_.begin(), adam_m_.end(), 0.0f);
  std::fill(adam_v_.begin(), adam_v_.end(), 0.0f);
}

void GptTrainer::set_weights(const GptWeights& w) {
  const int V = config_.vocab_size, C = config_.d_model, F = config_.d_ff;
  view(p_.tok_emb, V, C) = w.tok_emb;
  view(p_.pos_emb, config_.context, C) = w.pos_emb;
  for (int l = 0; l < config_.n_layer; ++l) {
    const BlockTensors& t = p_.blocks[l];
    const GptBlock& b = w.blocks.at(l);
    view(t.ln1_w, 1, C) = b.ln1_weight;
    view(t.ln1_b, 1, C) = b.ln1_bias;
    auto qkv = view(t.w_qkv, C, 3 * C);
    qkv.leftCols(C) = b.attn.w_q;
    qkv.middleCols(C, C) = b.attn.w_k;
    qkv.rightCols(C) = b.attn.w_v;
    view(t.w_o, C, C) = b.attn.w_o;
    view(t.ln2_w, 1, C) = b.ln2_weight;
    view(t.ln2_b, 1, C) = b.ln2_bias;
    view(t.fc_w, C, F) = b.fc_weight;
    view(t.fc_b, 1, F) = b.fc_bias;
    view(t.proj_w, F, C) = b.proj_weight;
    view(t.proj_b, 1, C) = b.proj_bias;
  }
  view(p_.lnf_w, 1, C) = w.lnf_weight;
  view(p_.lnf_b, 1, C) = w.lnf_bias;
}

GptWeights GptTrainer::weights() const {
  const int V = config_.vocab_size, C = config_.d_model, F = config_.d_ff;
  GptWeights w;
  w.tok_emb = view(p_.tok_emb, V, C);
  w.pos_emb = view(p_.pos_emb, config_.context, C);
  for (int l = 0; l < config_.n_layer; ++l) {
    const BlockTensors& t = p_.blocks[l];
    GptBlock b;
    b.ln1_weight = view(t.ln1_w, 1, C);
    b.ln1_bias = view(t.ln1_b, 1, C);
    const auto qkv = view(t.w_qkv, C, 3 * C);
    b.attn.w_q = qkv.leftCols(C);
    b.attn.w_k = qkv.middleCols(C, C);
    b.attn.w_v = qkv.rightCols(C);
    b.attn.w_o = view(t.w_o, C, C);
    b.ln2_weight = view(t.ln2_w, 1, C);
    b.ln2_bias = view(t.ln2_b, 1, C);
    b.fc_weight = view(t.fc_w, C, F);
    b.fc_bias = view(t.fc_b, 1, F);
    b.proj_weight = view(t.proj_w, F, C);
    b.proj_bias = view(t.proj_b, 1, C);
    w.blocks.push_back(std::move(b));
  }
  w.lnf_weight = view(p_.lnf_w, 1, C);
  w.lnf_bias = view(p_.lnf_b, 1, C);
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
    // x + attention(LN1(x))
    layernorm_forward(*x, w.ln1_w, w.ln1_b, a.ln1, a.ln1_mean.data(), a.ln1_rstd.data());
    matmul_forward(a.ln1, view(w.w_qkv, C, 3 * C), nullptr, a.qkv);  // [N, 3C]
    batched_attention_forward(a.qkv, B_, T_, H, attention_options_, a.att, a.atty, scratch_);
    matmul_forward(a.atty, view(w.w_o, C, C), nullptr, a.attproj);  // [N, C]
    residual_forward(*x, a.attproj, a.res2);
    // res2 + proj(GELU(fc(LN2(res2))))
    layernorm_forward(a.res2, w.ln2_w, w.ln2_b, a.ln2, a.ln2_mean.data(), a.ln2_rstd.data());
    matmul_forward(a.ln2, view(w.fc_w, C, F), w.fc_b, a.fch);  // [N, F]
    gelu_forward(a.fch, a.fch_gelu);                               // [N, F]
    matmul_forward(a.fch_gelu, view(w.proj_w, F, C), w.proj_b, a.fcproj);  // [N, C]
    residual_forward(a.res2, a.fcproj, a.res3);
    x = &a.res3;
  }
  layernorm_forward(*x, p_.lnf_w, p_.lnf_b, lnf_, lnf_mean_.data(), lnf_rstd_.data());
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
                                 int bos_id, int seq_len, uint64_t seed)
    : stream_(stream), bos_(bos_id), T_(seq_len), rng_(seed) {
  if (stream.size() < size_t(seq_len) + 1)
    throw Error("the training text has " + std::to_string(stream.size()) +
                " tokens, fewer than one sequence of " + std::to_string(seq_len + 1));
  const size_t last = stream.size() - size_t(seq_len);  // a start must leave T tokens after it
  for (size_t s : doc_starts)
    if (s <= last) doc_starts_.push_back(s);
}

size_t SequenceSampler::position(bool at_document_start) {
  if (at_document_start && !doc_starts_.empty())
    return doc_starts_[rng_.next_u64() % doc_starts_.size()];
  return rng_.next_u64() % (stream_.size() - size_t(T_) + 1);
}

void SequenceSampler::sample(int B, int* inputs, int* targets) {
  for (int b = 0; b < B; ++b) {
    const size_t s = position(b % 2 == 0);
    int* in = inputs + size_t(b) * T_;
    int* out = targets + size_t(b) * T_;
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

// ---- the training loop -------------------------------------------------------------

TrainResult train_gpt(const GptConfig& config, const TrainOptions& options,
                      const std::vector<int>& train_stream,
                      const std::vector<size_t>& train_doc_starts,
                      const std::vector<int>& val_stream, int bos_id,
                      const std::function<void(const TrainProgress&)>& on_progress) {
  const int T = options.seq_len > 0 ? options.seq_len : config.context;
  const int B = options.batch_size;
  GptTrainer trainer(config, B, T);
  trainer.init_weights(options.seed);
  // The data order has its own stream, derived from the seed.
  SequenceSampler sampler(train_stream, train_doc_starts, bos_id, T, options.seed ^ 0x5eed0da7aULL);
  std::vector<int> inputs(size_t(B) * T), targets(size_t(B) * T);

  TrainResult result;
  const auto start = std::chrono::steady_clock::now();
  for (int step = 0; step < options.steps; ++step) {
    sampler.sample(B, inputs.data(), targets.data());
    TrainProgress p;
    p.step = step + 1;
    p.steps = options.steps;
    p.loss = trainer.forward(inputs.data(), targets.data());
    trainer.backward();
    p.grad_norm = trainer.clip_gradients(options.grad_clip);
    p.learning_rate =
        learning_rate_at(step, options.steps, options.warmup, options.max_lr, options.min_lr);
    trainer.adamw_update(float(p.learning_rate), options.adamw, step + 1);

    const bool last = step + 1 == options.steps;
    if (!val_stream.empty() && options.eval_every > 0 &&
        ((step + 1) % options.eval_every == 0 || last)) {
      p.val_loss = evaluate_loss(trainer, val_stream, bos_id, options.eval_batches).first;
      if (last) result.final_val_loss = p.val_loss;
    }
    p.elapsed_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    p.tokens_per_second = double(step + 1) * B * T / std::max(p.elapsed_seconds, 1e-9);
    p.eta_seconds = p.elapsed_seconds / (step + 1) * (options.steps - step - 1);
    result.curve.push_back(p);
    if (on_progress) on_progress(p);
  }
  result.weights = trainer.weights();
  return result;
}

}  // namespace llmsim
