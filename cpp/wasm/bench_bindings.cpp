// Embind bindings for the benchmark (build/wasm/llmsim_bench.js), a module of its own
// so the page's module carries none of this. Thin: each method runs core code and
// the caller (tests/bench) times it.
//
//   const b = new Module.AttentionBench(T, d_model, n_head);
//   b.input('x').set(x); b.input('w_q').set(wq); ...   // views: fill them at once
//   b.run(reps, 'full');        // attention_forward as the page runs it
//   b.output()                  // view of the last output [T, d_model]
//   b.stage('projections', reps)  // one kernel stage alone, for GFLOP/s per kernel
//   Module.peakMulAdd(iterations) // the SIMD128 mul+add ceiling loop
//
//   const p = new Module.PackingBench(V, d, n_head, N)   weights repacked per run or not (packing.js)
//   Module.setWasmGemms('all' | 'forward_only' | 'none')  which products run on SIMD128
//   const t = new Module.TrainBench(config_json, B, T)    the training step (train.js)
//   t.step(reps); t.forwardBackward(); t.gradients(); t.products(reps); t.productFlops()
//   const k = new Module.BlockBench(T, d, n_head, d_ff)   one GPT-2 block (gpt2-block.js)
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <emscripten/val.h>
#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "model/attention.hpp"
#include "model/attention_simd.hpp"
#include "model/gpt.hpp"
#include "model/gpt_block.hpp"
#include "model/gpt_ops.hpp"
#include "model/gpt_ops_simd.hpp"
#include "model/softmax.hpp"
#include "rng.hpp"
#include "simd/kernels.hpp"
#include "../tools/bench_gpt_model.hpp"
#include "../tools/bench_train_step.hpp"

using emscripten::val;

namespace {

val float_view(const llmsim::Matrix& m) {
  return val(emscripten::typed_memory_view(size_t(m.size()), m.data()));
}

class AttentionBench {
 public:
  AttentionBench(int T, int d_model, int n_head)
      : T_(T), d_(d_model), h_(n_head), d_k_(d_model / n_head),
        scale_(llmsim::attention_scale(d_model / n_head)) {
    x_.setZero(T, d_model);
    for (llmsim::Matrix* w : {&w_.w_q, &w_.w_k, &w_.w_v, &w_.w_o}) w->setZero(d_model, d_model);
  }

  // A writable view of an input: "x" [T, d_model], "w_q", "w_k", "w_v", "w_o" [d_model, d_model].
  val input(const std::string& name) {
    if (name == "x") return float_view(x_);
    if (name == "w_q") return float_view(w_.w_q);
    if (name == "w_k") return float_view(w_.w_k);
    if (name == "w_v") return float_view(w_.w_v);
    if (name == "w_o") return float_view(w_.w_o);
    return val::null();
  }

  // Runs the layer `reps` times. Modes:
  //   full   attention_forward with the full Trace (what the page runs)
  //   lean   the same with store_head_matrices = false
  //   eigen  the Eigen path that attention_forward used before the SIMD128 kernels
  //   no_packed_gemm, no_causal_skip, no_fused_softmax: full, one optimisation off
  // Returns false for an unknown mode.
  bool run(int reps, const std::string& mode) {
    llmsim::SimdAttentionConfig config;
    if (mode == "full" || mode == "lean") {
      llmsim::AttentionOptions options;
      options.store_head_matrices = mode == "full";
      for (int r = 0; r < reps; ++r) llmsim::attention_forward(x_, w_, h_, options, trace_);
      return true;
    }
    if (mode == "eigen") {
      for (int r = 0; r < reps; ++r)
        llmsim::attention_forward_reference(x_, w_, h_, scale_, true, trace_, nullptr);
      return true;
    }
    if (mode == "no_packed_gemm") config.packed_gemm = false;
    else if (mode == "no_causal_skip") config.causal_skip = false;
    else if (mode == "no_fused_softmax") config.fused_softmax = false;
    else return false;
    for (int r = 0; r < reps; ++r)
      llmsim::attention_forward_simd(x_, w_, h_, scale_, true, trace_, nullptr, true, config);
    return true;
  }

  val output() { return float_view(trace_.output); }

  // One stage of the forward pass alone, on the matrices of the last full run:
  //   projections  x·W_Q, x·W_K, x·W_V per head and concat·W_O, packing included
  //   scores       causal q·kᵀ of every head by row blocks (kᵀ packing included)
  //   softmax      fused scale + mask + softmax of every head
  //   weights_v    causal weights·v of every head (v packing included)
  // Returns false if the stage is unknown or no full run came first.
  bool stage(const std::string& name, int reps) {
    if (trace_.heads.size() != size_t(h_) || trace_.heads[0].weights.rows() != T_) return false;
    const int block = llmsim::SimdAttentionConfig{}.row_block;
    packed_.resize(std::max({llmsim::kernels::packed_size(d_, d_k_),
                             llmsim::kernels::packed_size(d_k_, T_),
                             llmsim::kernels::packed_size(T_, d_k_),
                             llmsim::kernels::packed_size(d_, d_)}));
    scratch_.resize(size_t(T_) * d_);
    for (int r = 0; r < reps; ++r) {
      if (name == "projections") {
        for (const llmsim::Matrix* W : {&w_.w_q, &w_.w_k, &w_.w_v})
          for (int h = 0; h < h_; ++h) {
            llmsim::kernels::pack_b(W->data() + h * d_k_, d_, d_, d_k_, packed_.data());
            llmsim::kernels::gemm_packed(T_, d_k_, d_, x_.data(), d_, packed_.data(),
                                         trace_.heads[h].q.data(), d_k_);
          }
        llmsim::kernels::gemm(T_, d_, d_, trace_.concat.data(), d_, w_.w_o.data(), d_,
                              scratch_.data(), d_);
      } else if (name == "scores") {
        for (llmsim::HeadTrace& head : trace_.heads) {
          llmsim::kernels::pack_bt(head.k.data(), d_k_, d_k_, T_, packed_.data());
          for (int i0 = 0; i0 < T_; i0 += block)
            llmsim::kernels::gemm_packed(std::min(block, T_ - i0), T_, d_k_,
                                         head.q.data() + size_t(i0) * d_k_, d_k_, packed_.data(),
                                         head.scores.data() + size_t(i0) * T_, T_,
                                         llmsim::kernels::Causal::limit_n, i0);
        }
      } else if (name == "softmax") {
        for (llmsim::HeadTrace& head : trace_.heads)
          llmsim::kernels::scale_softmax_rows(head.scores.data(), T_, head.scaled.data(), T_,
                                              head.weights.data(), T_, T_, 0, T_, scale_, true);
      } else if (name == "weights_v") {
        for (llmsim::HeadTrace& head : trace_.heads) {
          llmsim::kernels::pack_b(head.v.data(), d_k_, T_, d_k_, packed_.data());
          for (int i0 = 0; i0 < T_; i0 += block)
            llmsim::kernels::gemm_packed(std::min(block, T_ - i0), d_k_, T_,
                                         head.weights.data() + size_t(i0) * T_, T_, packed_.data(),
                                         head.output.data() + size_t(i0) * d_k_, d_k_,
                                         llmsim::kernels::Causal::limit_k, i0);
        }
      } else {
        return false;
      }
    }
    return true;
  }

 private:
  int T_, d_, h_, d_k_;
  float scale_;
  llmsim::Matrix x_;
  llmsim::AttentionWeights w_;
  llmsim::LayerTrace trace_;
  std::vector<float> packed_, scratch_;
};

// The whole model's forward pass (gpt_forward, full Trace), for `npm run bench`:
//   const g = new Module.GptBench(config_json)             random weights of that shape
//   g.load(config_json, tokenizer_json, weights_bytes)     or the shipped model's files
//   g.run(T, reps); g.logits()
//   g.keystroke(T)   ms of one more token after T, the first T rows reused (KV cache)
class GptBench {
 public:
  explicit GptBench(const std::string& config_json)
      : config_(llmsim::GptConfig::from_json(nlohmann::json::parse(config_json), "config")),
        weights_(llmsim::random_gpt_weights(config_, 1, 0.02f)) {
    llmsim::pack_mlp_weights(weights_);  // as a loaded model (Gpt) keeps them in the browser
  }

  // Replaces the weights by a real model's; returns "" or the error message. The
  // model is kept as loaded (its weights not copied: at GPT-2's size a copy is 0.5 GB).
  std::string load(const std::string& config_json, const std::string& tokenizer_json,
                   const std::string& weights) {
    try {
      weights_ = {};  // the random ones go first
      loaded_ = std::make_unique<llmsim::Gpt>(llmsim::Gpt::from_bytes(
          config_json, tokenizer_json, reinterpret_cast<const uint8_t*>(weights.data()), weights.size()));
      config_ = loaded_->config();
      return "";
    } catch (const std::exception& e) {
      return e.what();
    }
  }

  // gpt_forward `reps` times on T tokens; returns "" or the error message.
  std::string run(int T, int reps) {
    try {
      const std::vector<int> ids = llmsim::bench_token_ids(T, config_.vocab_size);
      for (int r = 0; r < reps; ++r) llmsim::gpt_forward(config_, weights(), ids, {}, trace_);
      return "";
    } catch (const std::exception& e) {
      return e.what();
    }
  }

  // A keystroke while typing: gpt_forward on T tokens, then on the same T and one
  // more, reusing the first T rows (the KV cache, as the page's Simulator does).
  // Returns the second pass's milliseconds, or -1 on an error.
  double keystroke(int T) {
    try {
      std::vector<int> ids = llmsim::bench_token_ids(T + 1, config_.vocab_size);
      const std::vector<int> first(ids.begin(), ids.end() - 1);
      llmsim::gpt_forward(config_, weights(), first, {}, trace_);
      const double start = emscripten_get_now();
      llmsim::gpt_forward(config_, weights(), ids, {}, trace_, /*reuse=*/T);
      return emscripten_get_now() - start;
    } catch (const std::exception&) {
      return -1;
    }
  }

  val logits() { return float_view(trace_.logits); }
  int context() const { return config_.context; }

 private:
  const llmsim::GptWeights& weights() const { return loaded_ ? loaded_->weights() : weights_; }

  llmsim::GptConfig config_;
  llmsim::GptWeights weights_;             // random, until load()
  std::unique_ptr<llmsim::Gpt> loaded_;    // after load()
  llmsim::Trace trace_;
};

// Weights repacked on every run (before) against read in place or packed once (now),
// for tests/bench/packing.js: the unembedding (wte [V, d]) and one block's six
// projections (W_q, W_k, W_v, W_o [d, d], W_fc [d, 4d], W_proj [4d, d]) on N rows.
// Random weights: the timing depends on the shapes only.
//   const p = new Module.PackingBench(V, d, n_head, N)
//   p.run('unembedding' | 'projections', 'before' | 'now', reps); p.flops(what)
//   p.sameBits(what)   before and now give the same bits
class PackingBench {
 public:
  PackingBench(int V, int d, int n_head, int N) : d_(d), d_k_(d / n_head), h_(n_head) {
    llmsim::Rng rng(7);
    wte_ = rng.normal_matrix(V, d, 0.02f);
    for (int i = 0; i < 4; ++i) attn_[i] = rng.normal_matrix(d, d, 0.02f);
    fc_ = rng.normal_matrix(d, 4 * d, 0.02f);
    proj_ = rng.normal_matrix(4 * d, d, 0.02f);
    fc_packed_ = llmsim::pack_weight(fc_);
    proj_packed_ = llmsim::pack_weight(proj_);
    x_ = rng.normal_matrix(N, d, 1.0f);
    hidden_ = rng.normal_matrix(N, 4 * d, 1.0f);
    for (bool now : {false, true}) {
      logits_[now].resize(N, V);
      for (int i = 0; i < 4; ++i) attn_out_[now][i].resize(N, d);
      fc_out_[now].resize(N, 4 * d);
      proj_out_[now].resize(N, d);
    }
  }

  bool run(const std::string& what, const std::string& when, int reps) {
    const bool now = when == "now";
    if (!now && when != "before") return false;
    for (int r = 0; r < reps; ++r) {
      if (what == "unembedding") unembedding(now);
      else if (what == "projections") projections(now);
      else return false;
    }
    return true;
  }

  double flops(const std::string& what) const {
    const double N = double(x_.rows()), d = d_;
    if (what == "unembedding") return 2 * N * double(wte_.rows()) * d;
    return 2 * N * (4 * d * d + 2 * d * 4 * d);
  }

  bool same_bits(const std::string& what) const {
    auto same = [](const llmsim::Matrix& a, const llmsim::Matrix& b) {
      return std::equal(a.data(), a.data() + a.size(), b.data());
    };
    if (what == "unembedding") return same(logits_[0], logits_[1]);
    bool all = same(fc_out_[0], fc_out_[1]) && same(proj_out_[0], proj_out_[1]);
    for (int i = 0; i < 4; ++i) all = all && same(attn_out_[0][i], attn_out_[1][i]);
    return all;
  }

 private:
  void unembedding(bool now) {
    namespace k = llmsim::kernels;
    const int N = int(x_.rows()), V = int(wte_.rows());
    if (now) return llmsim::unembedding_forward_simd(x_, wte_, logits_[1]);
    // before: wteᵀ packed as the right-hand side on every call
    packed_.resize(k::packed_size(d_, V));
    k::pack_bt(wte_.data(), d_, d_, V, packed_.data());
    k::gemm_packed(N, V, d_, x_.data(), d_, packed_.data(), logits_[0].data(), V);
  }

  // W_q, W_k, W_v head by head and W_o, as attention_simd.cpp projects (before: always
  // packing), then the MLP's two (before: packed per call; now: packed once).
  void projections(bool now) {
    namespace k = llmsim::kernels;
    const int N = int(x_.rows());
    if (now && N <= k::kFewRows) {  // a keystroke's rows: every head's q, k, v in one product each, as the model does
      all_heads_.resize(size_t(N) * d_);
      for (int i = 0; i < 3; ++i) {
        k::gemm_b_in_place(N, d_, d_, x_.data(), d_, attn_[i].data(), d_, all_heads_.data(), d_);
        for (int h = 0; h < h_; ++h)
          for (int r = 0; r < N; ++r)
            std::copy_n(all_heads_.data() + size_t(r) * d_ + h * d_k_, d_k_,
                        attn_out_[now][i].data() + size_t(h) * N * d_k_ + size_t(r) * d_k_);
      }
    } else {
      for (int i = 0; i < 3; ++i)
        for (int h = 0; h < h_; ++h) {
          const float* w = attn_[i].data() + h * d_k_;
          float* out = attn_out_[now][i].data() + size_t(h) * N * d_k_;  // [N, d_k] per head
          if (now && llmsim::projection_reads_weight_in_place(N, d_k_)) {
            k::gemm_b_in_place(N, d_k_, d_, x_.data(), d_, w, d_, out, d_k_);
          } else {
            packed_.resize(k::packed_size(d_, d_k_));
            k::pack_b(w, d_, d_, d_k_, packed_.data());
            k::gemm_packed(N, d_k_, d_, x_.data(), d_, packed_.data(), out, d_k_);
          }
        }
    }
    float* out = attn_out_[now][3].data();
    if (now && llmsim::projection_reads_weight_in_place(N, d_))
      k::gemm_b_in_place(N, d_, d_, x_.data(), d_, attn_[3].data(), d_, out, d_);
    else
      k::gemm(N, d_, d_, x_.data(), d_, attn_[3].data(), d_, out, d_);
    if (now) {
      llmsim::matmul_forward(x_, fc_packed_, nullptr, fc_out_[1]);
      llmsim::matmul_forward(hidden_, proj_packed_, nullptr, proj_out_[1]);
    } else {
      llmsim::matmul_forward_simd(x_, fc_, nullptr, fc_out_[0]);
      llmsim::matmul_forward_simd(hidden_, proj_, nullptr, proj_out_[0]);
    }
  }

  int d_, d_k_, h_;
  llmsim::Matrix wte_, attn_[4], fc_, proj_, x_, hidden_;
  llmsim::PackedWeight fc_packed_, proj_packed_;
  llmsim::Matrix logits_[2], attn_out_[2][4], fc_out_[2], proj_out_[2];  // [before, now]
  std::vector<float> packed_, all_heads_;
};

// The training step (TrainStepBench, bench_train_step.hpp) and its products alone
// (StepProducts), for `npm run bench:train`. Which kernels run is setWasmGemms's.
class TrainBench {
 public:
  TrainBench(const std::string& config_json, int B, int T)
      : config_(llmsim::GptConfig::from_json(nlohmann::json::parse(config_json), "config")),
        B_(B), T_(T), step_(config_, B, T), products_(config_, B, T) {}

  // `reps` whole training steps; returns the last one's loss.
  double step(int reps) {
    double loss = 0;
    for (int r = 0; r < reps; ++r) loss = step_.step();
    return loss;
  }
  // Forward and backward on the current weights; returns the loss.
  double forward_backward() { return step_.forward_backward(); }
  // The last backward's gradients, [n_params] in GptTrainer::layout() order.
  val gradients() {
    const llmsim::AlignedFloats& g = step_.trainer().gradients();
    return val(emscripten::typed_memory_view(g.size(), g.data()));
  }
  void products(int reps) {
    for (int r = 0; r < reps; ++r) products_.run();
  }
  double product_flops() const { return llmsim::train_step_product_flops(config_, B_, T_); }
  int tokens_per_step() const { return B_ * T_; }

 private:
  llmsim::GptConfig config_;
  int B_, T_;
  llmsim::TrainStepBench step_;
  llmsim::StepProducts products_;
};

bool set_wasm_gemms(const std::string& name) {
  using llmsim::WasmGemms;
  if (name == "all") llmsim::wasm_gemms() = WasmGemms::all;
  else if (name == "forward_only") llmsim::wasm_gemms() = WasmGemms::forward_only;
  else if (name == "none") llmsim::wasm_gemms() = WasmGemms::none;
  else return false;
  return true;
}

std::string default_gpt_config() { return llmsim::GptConfig{}.to_json().dump(); }

float peak_mul_add(int iterations) { return llmsim::kernels::peak_mul_add(iterations, 1.0f); }

void set_gemm_config(int mr, int mc, int kc) { llmsim::kernels::gemm_config() = {mr, mc, kc}; }

val gemm_config() {
  const auto& c = llmsim::kernels::gemm_config();
  val result = val::object();
  result.set("mr", c.mr);
  result.set("mc", c.mc);
  result.set("kc", c.kc);
  return result;
}

// One GPT-2-shaped block as the model runs it (block_forward with attention_forward,
// the MLP packed once, every head's matrices kept as the page keeps them), for
// tests/bench/gpt2-block.js, which runs the same weights through onnxruntime-web:
//   const b = new Module.BlockBench(T, d_model, n_head, d_ff)   random weights, biases included
//   b.tensor(name)   a view of an input or weight ("x", "ln1_weight", "w_q", "b_q", ..., "proj_bias"),
//                    the MLP's as they were before packing
//   b.run(reps); b.output()   the block's output [T, d_model]
class BlockBench {
 public:
  BlockBench(int T, int d_model, int n_head, int d_ff) : n_head_(n_head) {
    llmsim::Rng rng(11);
    const float s = 0.02f;
    x_ = rng.normal_matrix(T, d_model, 1.0f);
    llmsim::GptBlock& b = block_;
    for (llmsim::Matrix* w : {&b.attn.w_q, &b.attn.w_k, &b.attn.w_v, &b.attn.w_o})
      *w = rng.normal_matrix(d_model, d_model, s);
    for (llmsim::RowVector* v : {&b.attn.b_q, &b.attn.b_k, &b.attn.b_v, &b.attn.b_o, &b.ln1_bias,
                                 &b.ln2_bias, &b.proj_bias})
      *v = rng.normal_matrix(1, d_model, s);
    b.fc_bias = rng.normal_matrix(1, d_ff, s);
    for (llmsim::RowVector* g : {&b.ln1_weight, &b.ln2_weight})
      *g = (rng.normal_matrix(1, d_model, 0.1f).array() + 1.0f).matrix();
    fc_ = rng.normal_matrix(d_model, d_ff, s);
    proj_ = rng.normal_matrix(d_ff, d_model, s);
    b.fc_packed = llmsim::pack_weight(fc_);  // as a loaded model keeps them (pack_mlp_weights)
    b.proj_packed = llmsim::pack_weight(proj_);
  }

  val tensor(const std::string& name) {
    llmsim::GptBlock& b = block_;
    const std::pair<const char*, const llmsim::Matrix*> matrices[] = {
        {"x", &x_}, {"w_q", &b.attn.w_q}, {"w_k", &b.attn.w_k}, {"w_v", &b.attn.w_v},
        {"w_o", &b.attn.w_o}, {"fc_weight", &fc_}, {"proj_weight", &proj_}};
    for (const auto& [n, m] : matrices)
      if (name == n) return float_view(*m);
    const std::pair<const char*, const llmsim::RowVector*> vectors[] = {
        {"b_q", &b.attn.b_q}, {"b_k", &b.attn.b_k}, {"b_v", &b.attn.b_v}, {"b_o", &b.attn.b_o},
        {"ln1_weight", &b.ln1_weight}, {"ln1_bias", &b.ln1_bias}, {"ln2_weight", &b.ln2_weight},
        {"ln2_bias", &b.ln2_bias}, {"fc_bias", &b.fc_bias}, {"proj_bias", &b.proj_bias}};
    for (const auto& [n, v] : vectors)
      if (name == n) return val(emscripten::typed_memory_view(size_t(v->size()), v->data()));
    return val::null();
  }

  // gpt_forward's loop body for one block, `reps` times.
  void run(int reps) {
    const llmsim::GptBlock& b = block_;
    const llmsim::BlockParameters parameters = llmsim::block_parameters(b, llmsim::kLayerNormEps);
    for (int r = 0; r < reps; ++r)
      llmsim::block_forward(x_, parameters, a_, [&](const llmsim::Matrix& ln1, llmsim::Matrix& attproj) {
        attproj = llmsim::attention_forward(ln1, b.attn, n_head_, llmsim::AttentionOptions{}, trace_);
      });
  }

  val output() { return float_view(a_.res3); }

 private:
  int n_head_;
  llmsim::Matrix x_, fc_, proj_;
  llmsim::GptBlock block_;
  llmsim::BlockActivations a_;
  llmsim::LayerTrace trace_;
};

// Bytes malloc has handed out now, the most malloc ever took from the WASM memory
// (dlmalloc's max footprint: the peak), and the WASM memory's size (it never shrinks).
double heap_in_use() { return double(mallinfo().uordblks); }
double heap_peak() { return double(mallinfo().usmblks); }
double heap_size() { return double(emscripten::val::module_property("HEAPU8")["length"].as<double>()); }

}  // namespace

EMSCRIPTEN_BINDINGS(llmsim_bench) {
  emscripten::class_<AttentionBench>("AttentionBench")
      .constructor<int, int, int>()
      .function("input", &AttentionBench::input)
      .function("run", &AttentionBench::run)
      .function("output", &AttentionBench::output)
      .function("stage", &AttentionBench::stage);
  emscripten::function("peakMulAdd", &peak_mul_add);
  emscripten::constant("peakFlopsPerIteration", llmsim::kernels::peak_flops_per_iteration);
  emscripten::function("setGemmConfig", &set_gemm_config);
  emscripten::function("gemmConfig", &gemm_config);
  emscripten::class_<GptBench>("GptBench")
      .constructor<std::string>()
      .function("load", &GptBench::load)
      .function("run", &GptBench::run)
      .function("keystroke", &GptBench::keystroke)
      .function("logits", &GptBench::logits)
      .function("context", &GptBench::context);
  emscripten::function("defaultGptConfig", &default_gpt_config);
  emscripten::class_<BlockBench>("BlockBench")
      .constructor<int, int, int, int>()
      .function("tensor", &BlockBench::tensor)
      .function("run", &BlockBench::run)
      .function("output", &BlockBench::output);
  emscripten::class_<TrainBench>("TrainBench")
      .constructor<std::string, int, int>()
      .function("step", &TrainBench::step)
      .function("forwardBackward", &TrainBench::forward_backward)
      .function("gradients", &TrainBench::gradients)
      .function("products", &TrainBench::products)
      .function("productFlops", &TrainBench::product_flops)
      .function("tokensPerStep", &TrainBench::tokens_per_step);
  emscripten::class_<PackingBench>("PackingBench")
      .constructor<int, int, int, int>()
      .function("run", &PackingBench::run)
      .function("flops", &PackingBench::flops)
      .function("sameBits", &PackingBench::same_bits);
  emscripten::function("setWasmGemms", &set_wasm_gemms);
  emscripten::function("heapInUse", &heap_in_use);
  emscripten::function("heapPeak", &heap_peak);
  emscripten::function("heapSize", &heap_size);
}
