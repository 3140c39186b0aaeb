// Hugging Face GPT-2 checkpoints (model/hf_gpt2.hpp): the forward pass against an
// independent numpy GPT-2 (tests/reference/gpt2_numpy.py, run by ctest as the
// fixture "gpt2_reference" into build/<preset>/gpt2_reference/, tag [numpy-reference]),
// the KV cache with biases, the config rules, and the errors of hostile files.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "error.hpp"
#include "error_of.hpp"
#include "io/read_file.hpp"
#include "io/safetensors.hpp"
#include "model/gpt.hpp"
#include "model/hf_gpt2.hpp"
#include "rng.hpp"
#include "train/train.hpp"

using namespace llmsim;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

#ifndef LLMSIM_GPT2_REFERENCE_DIR
#define LLMSIM_GPT2_REFERENCE_DIR "build/native/gpt2_reference"
#endif
const std::string kReferenceDir = LLMSIM_GPT2_REFERENCE_DIR;

// The reference folder's index, or a loud failure: a missing reference is never a pass.
json reference_index() {
  std::ifstream in(kReferenceDir + "/index.json");
  if (!in)
    FAIL("no numpy reference in " << kReferenceDir << ": run it through ctest (its fixture "
         "gpt2_reference runs tests/reference/gpt2_numpy.py), or run /usr/bin/python3 "
         "tests/reference/gpt2_numpy.py " << kReferenceDir << " yourself");
  return json::parse(in);
}

std::vector<float> read_floats(const std::string& path, size_t count) {
  const std::string bytes = read_whole_file(path);
  REQUIRE(bytes.size() == count * sizeof(float));
  std::vector<float> out(count);
  std::memcpy(out.data(), bytes.data(), bytes.size());  // little-endian, as this host
  return out;
}

float max_abs_diff(const Matrix& a, const float* b) {
  float worst = 0;
  for (Eigen::Index i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a.data()[i] - b[i]));
  return worst;
}

struct Comparison {
  float logits = 0, attention = 0;  // max |C++ − numpy|
};

// The C++ trace against the reference's logits [T, V] and attention [L, H, T, T].
Comparison compare(const Trace& trace, const std::vector<float>& logits,
                   const std::vector<float>& attention, int T) {
  Comparison c;
  c.logits = max_abs_diff(trace.logits, logits.data());
  for (size_t l = 0; l < trace.layers.size(); ++l)
    for (size_t h = 0; h < trace.layers[l].heads.size(); ++h) {
      const Matrix& w = trace.layers[l].heads[h].weights;  // [T, T]
      const size_t at = (l * trace.layers[l].heads.size() + h) * size_t(T) * T;
      c.attention = std::max(c.attention, max_abs_diff(w, attention.data() + at));
    }
  return c;
}

}  // namespace

// ---- against numpy -------------------------------------------------------------------

TEST_CASE("HF GPT-2 checkpoints in F32, F16 and BF16 give numpy's logits and attention within 1e-4",
          "[hf-gpt2][numpy-reference]") {
  const json index = reference_index();
  const std::vector<int> ids = index.at("ids").get<std::vector<int>>();
  const int T = int(ids.size()), V = index.at("vocab_size"), L = index.at("n_layer"), H = index.at("n_head");
  REQUIRE(index.at("variants").size() == 3);
  for (const std::string variant : {"f32", "f16", "bf16"}) {
    const std::string dir = kReferenceDir + "/" + variant;
    const HfGpt2 model = load_hf_gpt2_dir(dir);
    REQUIRE(model.config.vocab_size == V);
    REQUIRE(model.config.n_layer == L);
    REQUIRE(model.config.n_head == H);
    CHECK(model.config.layer_norm_eps == index["variants"][variant]["eps"].get<float>());
    CHECK(model.weights.blocks[0].attn.has_biases());
    const std::vector<float> logits = read_floats(dir + "/logits.f32", size_t(T) * V);
    const std::vector<float> attention = read_floats(dir + "/attention.f32", size_t(L) * H * T * T);

    Trace full;
    gpt_forward(model.config, model.weights, ids, ModelRun{}, full);
    const Comparison c = compare(full, logits, attention, T);
    // The measured figures, for the report (ctest -V shows them).
    std::printf("hf-gpt2 %-4s max |C++ - numpy|: logits %.3g, attention weights %.3g\n", variant.c_str(),
                double(c.logits), double(c.attention));
    INFO(variant);
    CHECK(c.logits < 1e-4f);
    CHECK(c.attention < 1e-4f);

    // The KV cache: ids[0, 7) first, then the rest reusing their rows, biases and all.
    Trace cached;
    gpt_forward(model.config, model.weights, std::vector<int>(ids.begin(), ids.begin() + 7), ModelRun{}, cached);
    gpt_forward(model.config, model.weights, ids, ModelRun{}, cached, /*reuse=*/7);
    const Comparison k = compare(cached, logits, attention, T);
    CHECK(k.logits < 1e-4f);
    CHECK(k.attention < 1e-4f);
    // Same as the full pass within float rounding, relative to the logits' size (the
    // sanitizer build's clang summed a few rows in another order: 1.0e-5 on logits of
    // tens, where the native build matched to 1e-5 absolute).
    const float scale = std::max(1.0f, full.logits.cwiseAbs().maxCoeff());
    CHECK((cached.logits - full.logits).cwiseAbs().maxCoeff() <= 1e-6f * scale);
  }
}

TEST_CASE("an HF GPT-2 checkpoint's size is known from its header alone", "[hf-gpt2][numpy-reference]") {
  reference_index();
  const std::string bytes = read_whole_file(kReferenceDir + "/f32/model.safetensors");
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const SafetensorsHeader header = read_safetensors_header(data, bytes.size(), "f32", true);
  // Only the first 8 + N bytes: what the page reads before the rest.
  const HfGpt2Size size = hf_gpt2_size(data, size_t(header.data_offset), "model.safetensors");
  const HfGpt2 model = load_hf_gpt2_dir(kReferenceDir + "/f32");
  const GptConfig& c = model.config;
  // the project's parameters plus GPT-2's four attention biases per block (3C + C);
  // the mask buffers and the tied lm_head are not counted
  CHECK(size.parameters == c.parameter_count() + int64_t(c.n_layer) * 4 * c.d_model);
  CHECK(size.file_bytes == bytes.size());
  CHECK(size.weight_bytes == uint64_t(size.parameters) * 4);
  // Streamed: the weights and the largest tensor's bytes (wte, F32 here); the f32
  // variant has a tied lm_head besides, decoded whole to compare it with wte
  const uint64_t wte_bytes = uint64_t(c.vocab_size) * c.d_model * 4;
  CHECK(size.peak_bytes == size.weight_bytes + wte_bytes + wte_bytes);
}

// ---- small checkpoints built here, and broken on purpose -------------------------------

namespace {

// A tiny GPT-2 in the HF layout: V 11, C 8, 2 heads, 1 layer, P 6.
struct TinyCheckpoint {
  json config = {{"model_type", "gpt2"}, {"n_layer", 1}, {"n_head", 2}, {"n_embd", 8},
                 {"n_positions", 6}, {"vocab_size", 11}, {"layer_norm_epsilon", 1e-5},
                 {"activation_function", "gelu_new"}};
  TensorFile file;
  TinyCheckpoint() {
    Rng rng(7);
    auto add = [&](const std::string& name, std::vector<int64_t> shape) {
      const Matrix m = rng.normal_matrix(1, int(element_count(shape)), 0.3f);
      file.tensors[name] = Tensor{shape, std::vector<float>(m.data(), m.data() + m.size())};
    };
    add("wte.weight", {11, 8});
    add("wpe.weight", {6, 8});
    for (const char* n : {"ln_1.weight", "ln_1.bias", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
                          "mlp.c_proj.bias"})
      add(std::string("h.0.") + n, {8});
    add("h.0.attn.c_attn.weight", {8, 24});
    add("h.0.attn.c_attn.bias", {24});
    add("h.0.attn.c_proj.weight", {8, 8});
    add("h.0.mlp.c_fc.weight", {8, 32});
    add("h.0.mlp.c_fc.bias", {32});
    add("h.0.mlp.c_proj.weight", {32, 8});
    add("ln_f.weight", {8});
    add("ln_f.bias", {8});
  }
  std::vector<uint8_t> bytes(DType dtype = DType::F32) const { return serialize_safetensors(file, dtype); }
  HfGpt2 load(const std::vector<uint8_t>& b) const {
    return load_hf_gpt2(config.dump(), b.data(), b.size(), "config.json", "model.safetensors");
  }
  HfGpt2 load() const { return load(bytes()); }
  std::string error(const std::vector<uint8_t>& b) const {
    return error_of([&] { load(b); });
  }
  std::string error() const { return error(bytes()); }
};

// The file with one header string replaced by another of the same length.
std::vector<uint8_t> patched(std::vector<uint8_t> bytes, const std::string& from, const std::string& to) {
  REQUIRE(from.size() == to.size());
  const std::string text(bytes.begin(), bytes.end());
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  std::memcpy(bytes.data() + at, to.data(), to.size());
  return bytes;
}

}  // namespace

TEST_CASE("an HF GPT-2 checkpoint lands where the project's GPT reads it", "[hf-gpt2]") {
  const TinyCheckpoint tiny;
  const HfGpt2 m = tiny.load();
  CHECK(m.config.d_model == 8);
  CHECK(m.config.d_ff == 32);  // n_inner absent: 4·n_embd
  CHECK(m.config.context == 6);
  const Tensor& qkv = tiny.file.tensors.at("h.0.attn.c_attn.weight");  // [8, 24]
  const Tensor& qkv_bias = tiny.file.tensors.at("h.0.attn.c_attn.bias");
  const AttentionWeights& a = m.weights.blocks[0].attn;
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) {  // Q | K | V side by side, rows are inputs
      CHECK(a.w_q(i, j) == qkv.data[size_t(i * 24 + j)]);
      CHECK(a.w_k(i, j) == qkv.data[size_t(i * 24 + 8 + j)]);
      CHECK(a.w_v(i, j) == qkv.data[size_t(i * 24 + 16 + j)]);
    }
  CHECK(a.b_k(3) == qkv_bias.data[8 + 3]);
  CHECK(a.b_v(7) == qkv_bias.data[16 + 7]);
  CHECK(a.b_o(2) == tiny.file.tensors.at("h.0.attn.c_proj.bias").data[2]);
  CHECK(m.weights.blocks[0].fc_weight(7, 31) == tiny.file.tensors.at("h.0.mlp.c_fc.weight").data[7 * 32 + 31]);

  // The same checkpoint under "transformer.", with the mask buffers and a tied lm_head.
  TinyCheckpoint prefixed;
  prefixed.file.tensors.clear();
  for (const auto& [name, t] : tiny.file.tensors) prefixed.file.tensors["transformer." + name] = t;
  prefixed.file.tensors["transformer.h.0.attn.bias"] = Tensor{{1, 1, 6, 6}, std::vector<float>(36, 1.0f)};
  prefixed.file.tensors["transformer.h.0.attn.masked_bias"] = Tensor{{}, {-1e4f}};
  prefixed.file.tensors["lm_head.weight"] = tiny.file.tensors.at("wte.weight");
  const HfGpt2 p = prefixed.load();
  CHECK(p.weights.tok_emb == m.weights.tok_emb);
  CHECK(p.weights.blocks[0].attn.b_q == a.b_q);

  // The model runs; the trainer and the project's weight file refuse its biases.
  Trace trace;
  gpt_forward(m.config, m.weights, {10, 0, 3}, ModelRun{}, trace);
  CHECK(trace.logits.allFinite());
  CHECK_THAT(error_of([&] { gpt_weights_to_tensors(m.config, m.weights); }), Contains("attention biases"));
  GptTrainer trainer(m.config, 1, 4);
  CHECK_THAT(error_of([&] { trainer.set_weights(m.weights); }), Contains("training is bias-free"));
}

TEST_CASE("HF GPT-2 config.json: told apart from the project's, its keys mapped or refused", "[hf-gpt2]") {
  TinyCheckpoint tiny;
  CHECK(is_hf_gpt2_config(tiny.config));
  CHECK_FALSE(is_hf_gpt2_config(GptConfig{}.to_json()));
  CHECK_FALSE(is_hf_gpt2_config(json::array()));
  CHECK_THAT(error_of([&] { GptConfig::from_json(tiny.config, "config.json"); }),
             Contains("is a Hugging Face GPT-2 config"));

  json c = tiny.config;
  c["n_inner"] = 20;
  c["layer_norm_epsilon"] = 1e-3;
  CHECK(hf_gpt2_config(c, "config.json").d_ff == 20);
  CHECK(hf_gpt2_config(c, "config.json").layer_norm_eps == 1e-3f);
  c.erase("layer_norm_epsilon");
  CHECK(hf_gpt2_config(c, "config.json").layer_norm_eps == 1e-5f);  // transformers' default
  c.erase("n_positions");
  CHECK_THAT(error_of([&] { hf_gpt2_config(c, "config.json"); }),
             Contains("config.json: missing \"n_positions\""));
  c = tiny.config;
  c["activation_function"] = "gelu";
  CHECK_THAT(error_of([&] { hf_gpt2_config(c, "config.json"); }),
             Contains("\"activation_function\" is \"gelu\"") && Contains("tanh"));
  c["activation_function"] = "gelu_pytorch_tanh";
  CHECK(hf_gpt2_config(c, "config.json").n_head == 2);
  c["model_type"] = "gptj";
  CHECK_THAT(error_of([&] { hf_gpt2_config(c, "config.json"); }), Contains("\"model_type\" is \"gptj\""));
  c = tiny.config;
  c["scale_attn_by_inverse_layer_idx"] = true;
  CHECK_THAT(error_of([&] { hf_gpt2_config(c, "config.json"); }), Contains("scale_attn_by_inverse_layer_idx"));
  c = tiny.config;
  c["tie_word_embeddings"] = false;
  CHECK_THAT(error_of([&] { hf_gpt2_config(c, "config.json"); }), Contains("tie_word_embeddings"));
  c = tiny.config;
  c["n_embd"] = 9;  // not divisible by n_head 2
  CHECK_THAT(error_of([&] { hf_gpt2_config(c, "config.json"); }), Contains("divisible") && Contains("n_embd"));
  c = tiny.config;
  c["n_head"] = "two";
  CHECK_THAT(error_of([&] { hf_gpt2_config(c, "config.json"); }), Contains("\"n_head\" must be an integer"));
  CHECK_THAT(error_of([&] { load_hf_gpt2("{not json", nullptr, 0); }), Contains("not valid JSON"));
}

TEST_CASE("hostile HF GPT-2 files give errors that name the tensor, never a crash", "[hf-gpt2]") {
  TinyCheckpoint tiny;
  SECTION("a missing tensor") {
    tiny.file.tensors.erase("h.0.attn.c_proj.bias");
    CHECK_THAT(tiny.error(), Contains("model.safetensors: has no tensor \"h.0.attn.c_proj.bias\" [8]") &&
                                 Contains("n_layer 1, n_embd 8"));
  }
  SECTION("a wrong shape: expected and found, and a transposed Conv1D weight said so") {
    Tensor& t = tiny.file.tensors.at("h.0.attn.c_attn.weight");
    t.shape = {24, 8};
    CHECK_THAT(tiny.error(), Contains("tensor \"h.0.attn.c_attn.weight\" has shape [24, 8], expected [8, 24]") &&
                                 Contains("transposed"));
    tiny.file.tensors.at("wpe.weight").shape = {3, 16};
    CHECK_THAT(tiny.error(), Contains("\"wpe.weight\" has shape [3, 16], expected [6, 8]"));
  }
  SECTION("truncated data") {
    std::vector<uint8_t> b = tiny.bytes();
    for (size_t cut : {b.size() - 1, b.size() / 2, size_t(20), size_t(7)}) {
      b.resize(cut);
      CHECK_THAT(tiny.error(b), Contains("model.safetensors:") &&
                                    (Contains("truncated") || Contains("too short")));
    }
  }
  SECTION("a dtype the loader does not take") {
    // I32 is a dtype of the format (its bytes are stepped over), but not a weight's
    CHECK_THAT(tiny.error(patched(tiny.bytes(), "\"F32\"", "\"I32\"")),
               Contains("has dtype I32; a GPT-2 checkpoint's tensors must be F32, F16 or BF16"));
    CHECK_THAT(tiny.error(patched(tiny.bytes(), "\"F32\"", "\"F17\"")), Contains("dtype \"F17\""));
    CHECK_THAT(tiny.error(tiny.bytes(DType::I8)), Contains("has dtype I8"));
  }
  SECTION("a tensor the model does not have") {
    tiny.file.tensors["h.1.ln_1.weight"] = Tensor{{8}, std::vector<float>(8, 1.0f)};
    CHECK_THAT(tiny.error(), Contains("has a tensor \"h.1.ln_1.weight\" that a GPT-2 with n_layer 1"));
  }
  SECTION("an untied lm_head") {
    tiny.file.tensors["lm_head.weight"] = tiny.file.tensors.at("wte.weight");
    tiny.file.tensors["lm_head.weight"].data[17] += 1.0f;
    CHECK_THAT(tiny.error(), Contains("\"lm_head.weight\" differs from wte.weight (row 2)"));
    tiny.file.tensors["lm_head.weight"].shape = {8, 11};
    CHECK_THAT(tiny.error(), Contains("\"lm_head.weight\"") && Contains("ties its unembedding"));
  }
  SECTION("a value that is not finite") {
    tiny.file.tensors.at("h.0.mlp.c_fc.bias").data[5] = std::nanf("");
    CHECK_THAT(tiny.error(), Contains("\"h.0.mlp.c_fc.bias\" holds a value that is not finite (element 5)"));
  }
  SECTION("every truncation and random corruption of a file is an Error or a model") {
    const std::vector<uint8_t> good = tiny.bytes(DType::BF16);
    Rng rng(3);
    for (int trial = 0; trial < 2000; ++trial) {
      std::vector<uint8_t> b = good;
      if (trial < 200) b.resize(size_t(rng.uniform() * double(b.size())));
      else
        for (int k = 0; k < 3; ++k) b[size_t(rng.uniform() * double(b.size() - 1))] = uint8_t(rng.uniform() * 256);
      try {
        tiny.load(b);
      } catch (const Error&) {
      }
    }
    CHECK(tiny.load(good).weights.blocks[0].attn.b_q.size() == 8);
  }
}
