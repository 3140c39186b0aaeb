// The GPT as the page uses it: configuration, files (from a folder and from bytes),
// the Trace of a text, predictions, and the errors a wrong file gives.
#include <catch2/catch.hpp>
#include <cmath>
#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>

#include "error.hpp"
#include "error_of.hpp"
#include "io/safetensors.hpp"
#include "io/trace_json.hpp"
#include "model/gpt.hpp"
#include "simulator/model_registry.hpp"
#include "simulator/simulator.hpp"
#include "random_gpt.hpp"
#include "train/train.hpp"

using namespace llmsim;
namespace fs = std::filesystem;

namespace {

const char* kText =
    "Once upon a time there was a little cat. The cat liked to play in the sun. "
    "One day the little cat saw a big dog. The dog said hello to the cat.\n\n";

struct TinyModel {
  GptConfig config;
  BpeTokenizer tokenizer = BpeTokenizer::train(kText, 280);
  GptWeights weights;
  TinyModel() {
    config.vocab_size = tokenizer.vocab_size();
    config.d_model = 16;
    config.n_layer = 2;
    config.n_head = 4;
    config.context = 32;
    config.d_ff = 24;
    GptTrainer trainer(config, 1, 8);
    trainer.init_weights(5);
    // GPT-2's initial weights are tiny; spread them so attention is not uniform.
    for (float& p : trainer.parameters()) p *= 20.0f;
    weights = trainer.weights();
  }
  Gpt model() const { return Gpt(config, weights, tokenizer); }
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("llmsim_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("config JSON: every key required, unknown keys and bad shapes rejected") {
  GptConfig c;
  CHECK(GptConfig::from_json(c.to_json(), "config.json").to_json() == c.to_json());
  nlohmann::json j = c.to_json();
  j.erase("d_ff");
  CHECK_THAT(error_of([&] { GptConfig::from_json(j, "config.json"); }),
             Catch::Contains("config.json") && Catch::Contains("d_ff"));
  j = c.to_json();
  j["dropout"] = 0.1;
  CHECK_THAT(error_of([&] { GptConfig::from_json(j, "config.json"); }), Catch::Contains("dropout"));
  j = c.to_json();
  j["n_head"] = 3;
  CHECK_THAT(error_of([&] { GptConfig::from_json(j, "config.json"); }), Catch::Contains("divisible"));
  // 128-wide, 4 layers, V = 1024, context 128, d_ff 512: counted by hand
  CHECK(c.parameter_count() == 1024 * 128 + 128 * 128 +
                                   4 * (4 * 128 + 4 * 128 * 128 + 128 * 512 + 512 + 512 * 128 + 128) +
                                   2 * 128);
}

TEST_CASE("layer_norm_eps: optional in config.json, written only when not 1e-5, used by the forward pass") {
  GptConfig c;
  CHECK(c.layer_norm_eps == 1e-5f);
  CHECK_FALSE(c.to_json().contains("layer_norm_eps"));  // the project's files are unchanged
  c.layer_norm_eps = 1e-3f;
  CHECK(GptConfig::from_json(c.to_json(), "config.json").layer_norm_eps == 1e-3f);
  nlohmann::json j = c.to_json();
  j["layer_norm_eps"] = 0;
  CHECK_THAT(error_of([&] { GptConfig::from_json(j, "config.json"); }), Catch::Contains("layer_norm_eps"));
  j["layer_norm_eps"] = "small";
  CHECK_THAT(error_of([&] { GptConfig::from_json(j, "config.json"); }), Catch::Contains("must be a number"));

  const Gpt model = random_gpt(3);
  GptConfig wide_eps = model.config();
  wide_eps.layer_norm_eps = 0.5f;
  Trace a, b;
  gpt_forward(model.config(), model.weights(), {1, 2, 3}, ModelRun{}, a);
  gpt_forward(wide_eps, model.weights(), {1, 2, 3}, ModelRun{}, b);
  CHECK((a.logits - b.logits).cwiseAbs().maxCoeff() > 1e-3f);
}

TEST_CASE("a text runs into a full Trace: BOS first, spans, logits, top-k") {
  const TinyModel tiny;
  const Gpt model = tiny.model();
  const std::string text = "The little cat saw a dog.";
  const Trace trace = model.run(text);
  const Encoding encoding = tiny.tokenizer.encode(text, true);
  REQUIRE(trace.ids == encoding.ids);
  CHECK(trace.ids[0] == tiny.tokenizer.bos_id());
  CHECK(trace.tokens[0] == "<bos>");
  CHECK(trace.tokens[1] == tiny.tokenizer.token_display(trace.ids[1]));
  CHECK(trace.spans.size() == trace.ids.size());
  const int T = int(trace.ids.size());
  CHECK(trace.logits.rows() == T);
  CHECK(trace.logits.cols() == tiny.config.vocab_size);
  REQUIRE(trace.layers.size() == 2);
  CHECK(trace.layers[1].heads.size() == 4);
  CHECK(trace.layers[0].heads[0].weights.rows() == T);
  CHECK(trace.n_layer == 2);
  CHECK(trace.d_model == 16);
  // Row 0 of a causal head sees only BOS.
  CHECK(trace.layers[0].heads[2].weights(0, 0) == Approx(1.0f));
  // top-k: sorted, probabilities of softmax(logits of the last token)
  REQUIRE(trace.top_k.size() == 10);
  const Eigen::RowVectorXd last = trace.logits.row(T - 1).cast<double>();
  const double log_z = last.maxCoeff() + std::log((last.array() - last.maxCoeff()).exp().sum());
  for (size_t i = 0; i < trace.top_k.size(); ++i) {
    const Prediction& p = trace.top_k[i];
    CHECK(p.probability == Approx(std::exp(last(p.id) - log_z)).epsilon(1e-4));
    CHECK(p.text == tiny.tokenizer.token_display(p.id));
    CHECK(p.raw == tiny.tokenizer.token_bytes(p.id));
    if (i > 0) CHECK(p.probability <= trace.top_k[i - 1].probability);
  }
  CHECK(trace.top_k[0].id == int(std::max_element(last.data(), last.data() + last.size()) - last.data()));
}

TEST_CASE("a prediction carries the token's own text beside its display form") {
  // Generating a newline must append a newline, not the two characters the page shows.
  const Gpt model = random_gpt(3);  // one token per byte
  ModelRun options;
  options.top_k = model.config().vocab_size;  // every token, so the newline is among them
  const Trace trace = model.run("The end.", options);
  const auto newline = std::find_if(trace.top_k.begin(), trace.top_k.end(),
                                    [](const Prediction& p) { return p.id == '\n'; });
  REQUIRE(newline != trace.top_k.end());
  CHECK(newline->text == "\\n");
  CHECK(newline->raw == "\n");
  const nlohmann::json j = predictions_to_json<nlohmann::json>({*newline});
  CHECK(j[0]["raw"] == "\n");
  CHECK(j[0]["text"] == "\\n");
}

TEST_CASE("temperature sharpens or flattens the top-k; a long text is cut to the context") {
  const Gpt model = TinyModel().model();
  ModelRun cold, hot;
  cold.temperature = 0.5f;
  hot.temperature = 2.0f;
  const Trace a = model.run("The cat", cold), b = model.run("The cat", hot);
  CHECK(a.top_k[0].id == b.top_k[0].id);
  CHECK(a.top_k[0].probability > b.top_k[0].probability);
  ModelRun frozen;
  frozen.temperature = 0.0f;
  CHECK_THROWS_AS(model.run("The cat", frozen), Error);

  std::string long_text;
  for (int i = 0; i < 20; ++i) long_text += "the cat saw a dog. ";
  const Trace cut = model.run(long_text);
  CHECK(cut.ids.size() == 32);
  CHECK(cut.n_input_tokens > 32);
  CHECK_THAT(cut.warning, Catch::Contains("32"));
}

TEST_CASE("switching heads off changes the output only through those heads") {
  const Gpt model = TinyModel().model();
  const Trace base = model.run("The little cat saw a big dog.");
  ModelRun options;
  options.ablation.assign(2, std::vector<HeadAblation>(4));
  const Trace none_off = model.run("The little cat saw a big dog.", options);
  CHECK((none_off.logits - base.logits).cwiseAbs().maxCoeff() == 0.0f);
  options.ablation[1][2].ablated = true;
  const Trace one_off = model.run("The little cat saw a big dog.", options);
  CHECK((one_off.logits - base.logits).cwiseAbs().maxCoeff() > 1e-4);
  // the layer before is untouched, and the head's own weights are still traced
  CHECK((one_off.layers[0].output - base.layers[0].output).cwiseAbs().maxCoeff() == 0.0f);
  CHECK((one_off.layers[1].heads[2].weights - base.layers[1].heads[2].weights).cwiseAbs().maxCoeff() == 0.0f);
  CHECK(one_off.layers[1].heads[2].output.norm() == 0.0f);
}

TEST_CASE("save, load and from_bytes give the same model, weights rounded to F16") {
  const TinyModel tiny;
  const fs::path dir = fresh_dir("gpt_roundtrip");
  tiny.model().save(dir.string());
  const Gpt loaded = Gpt::load(dir.string());
  const std::string weights = read_file(dir / "model.safetensors");
  const Gpt from_bytes = Gpt::from_bytes(read_file(dir / "config.json"), read_file(dir / "tokenizer.json"),
                                         reinterpret_cast<const uint8_t*>(weights.data()), weights.size());
  CHECK(loaded.config().to_json() == tiny.config.to_json());
  REQUIRE(loaded.bpe_tokenizer());
  CHECK(loaded.bpe_tokenizer()->to_json() == tiny.tokenizer.to_json());
  const Matrix& w = tiny.weights.blocks[1].attn.w_k;
  for (int i = 0; i < w.size(); ++i)
    CHECK(loaded.weights().blocks[1].attn.w_k.data()[i] == half_to_float(float_to_half(w.data()[i])));
  const Trace a = loaded.run("a little dog"), b = from_bytes.run("a little dog");
  CHECK((a.logits - b.logits).cwiseAbs().maxCoeff() == 0.0f);
  const Trace original = tiny.model().run("a little dog");
  CHECK((a.logits - original.logits).cwiseAbs().maxCoeff() <
        0.01f * original.logits.cwiseAbs().maxCoeff());  // F16 keeps about 3 digits
  fs::remove_all(dir);
}

TEST_CASE("weights that do not match the config are an error naming the file and the problem") {
  const TinyModel tiny;
  const fs::path dir = fresh_dir("gpt_mismatch");
  tiny.model().save(dir.string());
  const std::string config = read_file(dir / "config.json"), tokenizer = read_file(dir / "tokenizer.json");
  const std::string weights = read_file(dir / "model.safetensors");
  const auto* bytes = reinterpret_cast<const uint8_t*>(weights.data());

  nlohmann::json deeper = tiny.config.to_json();
  deeper["n_layer"] = 3;
  CHECK_THAT(error_of([&] { Gpt::from_bytes(deeper.dump(), tokenizer, bytes, weights.size()); }),
             Catch::Contains("model.safetensors") && Catch::Contains("blocks.2.ln1.weight"));
  nlohmann::json shallower = tiny.config.to_json();
  shallower["n_layer"] = 1;
  CHECK_THAT(error_of([&] { Gpt::from_bytes(shallower.dump(), tokenizer, bytes, weights.size()); }),
             Catch::Contains("model.safetensors") && Catch::Contains("blocks.1."));
  nlohmann::json wider = tiny.config.to_json();
  wider["d_ff"] = 32;
  CHECK_THAT(error_of([&] { Gpt::from_bytes(wider.dump(), tokenizer, bytes, weights.size()); }),
             Catch::Contains("model.safetensors") && Catch::Contains("mlp.fc.weight"));
  nlohmann::json other_vocab = tiny.config.to_json();
  other_vocab["vocab_size"] = tiny.config.vocab_size + 1;
  CHECK_THAT(error_of([&] { Gpt::from_bytes(other_vocab.dump(), tokenizer, bytes, weights.size()); }),
             Catch::Contains("tokenizer.json"));
  CHECK_THAT(error_of([&] { Gpt::from_bytes(config, tokenizer, bytes, weights.size() - 3); }),
             Catch::Contains("model.safetensors"));
  CHECK_THAT(error_of([&] { Gpt::from_bytes("{", tokenizer, bytes, weights.size()); }),
             Catch::Contains("config.json"));
  CHECK_THAT(error_of([&] { Gpt::load((dir / "missing").string()); }), Catch::Contains("config.json"));
  fs::remove_all(dir);
}

TEST_CASE("split_into_sequences: BOS + up to context − 1 tokens each") {
  const auto s = split_into_sequences({1, 2, 3, 4, 5}, 9, 3);
  REQUIRE(s.size() == 3);
  CHECK(s[0] == std::vector<int>{9, 1, 2});
  CHECK(s[1] == std::vector<int>{9, 3, 4});
  CHECK(s[2] == std::vector<int>{9, 5});
}

namespace {

// The largest difference between two Traces' matrices, each relative to the
// matrix's scale: max |x − y| / (1 + max |y|); -1 if their shapes differ.
float trace_difference(const Trace& a, const Trace& b) {
  float worst = 0;
  auto compare = [&](const Matrix& x, const Matrix& y) {
    if (x.rows() != y.rows() || x.cols() != y.cols()) return false;
    if (x.size() > 0)
      worst = std::max(worst, (x - y).cwiseAbs().maxCoeff() / (1 + y.cwiseAbs().maxCoeff()));
    return true;
  };
  if (a.layers.size() != b.layers.size() || !compare(a.logits, b.logits)) return -1;
  for (size_t l = 0; l < a.layers.size(); ++l) {
    const LayerTrace &p = a.layers[l], &q = b.layers[l];
    if (p.heads.size() != q.heads.size() || !compare(p.input, q.input) ||
        !compare(p.concat, q.concat) || !compare(p.output, q.output))
      return -1;
    for (size_t h = 0; h < p.heads.size(); ++h) {
      const HeadTrace &x = p.heads[h], &y = q.heads[h];
      for (auto [m, n] : {std::pair{&x.q, &y.q}, {&x.k, &y.k}, {&x.v, &y.v}, {&x.scores, &y.scores},
                          {&x.scaled, &y.scaled}, {&x.weights, &y.weights}, {&x.output, &y.output}})
        if (!compare(*m, *n)) return -1;
    }
  }
  return worst;
}

}  // namespace

TEST_CASE("typing on: an incremental run keeps the shared tokens' rows and equals a full run") {
  const Gpt model = TinyModel().model();
  ModelRun options;
  options.top_k = 5;
  std::string long_text;
  for (int i = 0; i < 20; ++i) long_text += "the cat saw a dog. ";
  // Each edit from the text before it: append, extend the last token, delete, change
  // an early token (little is reused), clear, and grow past the context (cut to 32).
  const std::vector<std::string> edits = {
      "The", "The cat", "The cats", "The cat", "The cat saw a big dog.", "A cat saw a big dog.", "",
      "the cat", long_text, long_text + "more", "The little cat"};
  Trace typed;
  for (const std::string& text : edits) {
    model.run_into(text, options, typed, /*incremental=*/true);
    const Trace full = model.run(text, options);
    INFO("text: \"" << text.substr(0, 30) << "\"");
    CHECK(typed.ids == full.ids);
    CHECK(typed.tokens == full.tokens);
    CHECK(typed.spans.size() == full.spans.size());
    CHECK(typed.warning == full.warning);
    CHECK(typed.n_input_tokens == full.n_input_tokens);
    const float diff = trace_difference(typed, full);
    CHECK(diff >= 0);       // same shapes
    // Natively Eigen may round a 1-row product differently from a 32-row one; this
    // model's scores run to thousands, and the softmax passes their last bits on.
    // (The WASM kernels give the same bits: tests/js/model.test.js.)
    CHECK(diff <= 1e-4f);
    REQUIRE(typed.top_k.size() == full.top_k.size());
    CHECK(typed.top_k[0].id == full.top_k[0].id);
  }

  // The kept rows really are kept, not recomputed: a mark written into a row of the
  // first token survives the next keystroke, and a row of a changed token does not.
  model.run_into("The cat saw", options, typed, false);
  const int T = int(typed.ids.size());
  typed.layers[1].heads[2].weights(0, 0) = 42.0f;
  typed.logits(T - 1, 0) = 42.0f;
  model.run_into("The cat sat", options, typed, true);  // the last token changes
  CHECK(typed.layers[1].heads[2].weights(0, 0) == 42.0f);
  CHECK(typed.logits(T - 1, 0) != 42.0f);
  // Without the causal mask every row depends on every token: nothing is reused.
  ModelRun bidirectional = options;
  bidirectional.attention.causal = false;
  Trace open;
  model.run_into("The cat", bidirectional, open, false);
  model.run_into("The cat saw", bidirectional, open, true);
  CHECK(trace_difference(open, model.run("The cat saw", bidirectional)) == 0.0f);
}

TEST_CASE("typing without predictions skips the logits, and a later run computes the rows it skipped") {
  // The page's views that show no prediction type with predict off; opening the
  // predictions view runs the same text again with it on.
  const Gpt model = TinyModel().model();
  ModelRun quiet, predicting;
  quiet.predict = false;
  predicting.top_k = 5;
  Trace typed;
  model.run_into("The cat", predicting, typed, false);
  const int predicted_rows = int(typed.ids.size());
  CHECK(typed.logits_rows == predicted_rows);
  // A keystroke, an edit of an early token and another keystroke, all without predictions.
  for (const std::string text : {"The cat saw", "A cat saw", "A cat saw a dog"}) {
    model.run_into(text, quiet, typed, true);
    const Trace full = model.run(text, predicting);
    INFO("text: \"" << text << "\"");
    CHECK(typed.top_k.empty());
    CHECK(typed.loss == -1.0f);
    CHECK(typed.logits_rows < int(typed.ids.size()));  // the new rows' logits were not computed
    CHECK(int(typed.log_sum_exp.size()) <= typed.logits_rows);
    CHECK(typed.layers.size() == full.layers.size());
    CHECK((typed.final_normed - full.final_normed).cwiseAbs().maxCoeff() <= 1e-4f);
  }
  // The same text with predictions: every row's logits, as a fresh run has them.
  for (const std::string text : {"A cat saw a dog", "A cat saw a dog."}) {
    model.run_into(text, predicting, typed, true);
    const Trace full = model.run(text, predicting);
    INFO("text: \"" << text << "\"");
    CHECK(typed.logits_rows == int(typed.ids.size()));
    const float diff = trace_difference(typed, full);
    CHECK(diff >= 0);
    CHECK(diff <= 1e-4f);
    CHECK(std::abs(typed.loss - full.loss) <= 1e-4f);
    REQUIRE(typed.top_k.size() == full.top_k.size());
    for (size_t i = 0; i < full.top_k.size(); ++i) CHECK(typed.top_k[i].id == full.top_k[i].id);
  }
}

TEST_CASE("a model loaded again under the same name never runs on the old model's rows") {
  // Found by hand: load a model, type, load other weights under the same name, type
  // on: the run reused the old model's KV rows (loss 3.16 where 9.03 was right).
  const TinyModel tiny;
  GptWeights changed = tiny.weights;
  changed.tok_emb *= -1.0f;  // the same shapes and tokenizer, other numbers
  const fs::path first = fresh_dir("swap-first"), second = fresh_dir("swap-second");
  tiny.model().save(first.string());
  Gpt(tiny.config, changed, tiny.tokenizer).save(second.string());
  auto load = [](const fs::path& dir) {
    model_registry().load("swap", "swap", read_file(dir / "config.json"),
                          read_file(dir / "tokenizer.json"), read_file(dir / "model.safetensors"));
  };
  const RunOptions options = parse_run_options(R"({"model": "swap"})");
  Simulator simulator;
  load(first);
  simulator.run("The cat", options);
  load(second);
  const Trace& typed_on = simulator.run("The cat sat", options);
  Simulator fresh;
  const Trace& expected = fresh.run("The cat sat", options);
  CHECK(trace_difference(typed_on, expected) == 0.0f);
  CHECK(typed_on.loss == expected.loss);
}

TEST_CASE("the simulator reuses a run's rows only for the same model and options") {
  const TinyModel tiny;
  const fs::path dir = fresh_dir("incremental");
  tiny.model().save(dir.string());
  model_registry().load("tiny-incremental", "tiny", read_file(dir / "config.json"),
                        read_file(dir / "tokenizer.json"), read_file(dir / "model.safetensors"));
  auto options = [](const std::string& json) {
    return parse_run_options(R"({"model": "tiny-incremental", "top_k": 3)" + json + "}");
  };
  // Mean ablation averages each head's output over the probe texts: two tiny ones.
  model_registry().set_probes("tiny-incremental", "The cat sat on the mat. | det The cat, nsubj cat sat, pobj on mat, det the mat\n",
                              "The [cat:animal] saw the [dog:animal] and a [red:colour] and [blue:colour] ball.\n", "A dog ran. The cat sat.\n", "");
  Simulator simulator;
  // A sequence a reader might make: type, switch scaling off, type, switch heads off
  // and type on, change the ablation, switch them on, turn the mask off. Every run,
  // and every baseline behind an ablated run, must equal a fresh simulator's.
  const std::string off = R"(, "ablate": ["1.2"])", off_mean = R"(, "ablate": ["1.2"], "ablate_mode": "mean")";
  const std::vector<std::pair<std::string, std::string>> steps = {
      {"The cat", ""}, {"The cat saw", ""}, {"The cat saw", R"(, "scale": false)"},
      {"The cat saw a", R"(, "scale": false)"}, {"The cat saw a dog", off},
      {"The cat saw a dog.", off}, {"The cat saw a cat.", off}, {"The cat saw a cat.", off_mean},
      {"The cat saw a cat. A", off_mean}, {"The cat saw a cat. A", R"(, "ablate": ["0.1", "1.2"])"},
      {"The cat saw a dog.", ""}, {"The cat saw a dog.", R"(, "causal": false)"}, {"The cat", ""}};
  for (const auto& [text, json] : steps) {
    INFO(text << json);
    const RunOptions o = options(json);
    const Trace& trace = simulator.run(text, o);
    Simulator fresh;
    const Trace& expected = fresh.run(text, o);
    const float diff = trace_difference(trace, expected);
    CHECK(diff >= 0);
    CHECK(diff <= 1e-4f);
    CHECK(trace.ablated == !o.ablate.empty());
    if (!o.ablate.empty()) {
      CHECK(trace.baseline.top_k[0].id == expected.baseline.top_k[0].id);
      CHECK(std::abs(trace.baseline.loss - expected.baseline.loss) <= 1e-4f * (1 + expected.baseline.loss));
      const float base_diff = trace_difference(simulator.baseline_trace(), fresh.baseline_trace());
      CHECK(base_diff >= 0);
      CHECK(base_diff <= 1e-4f);
    }
  }

  // With heads off, both the ablated run and the every-head-on run behind it keep
  // their rows: a mark in the first token's row survives the next keystroke.
  const RunOptions ablated = options(off);
  Trace& typed = const_cast<Trace&>(simulator.run("The dog", ablated));
  Trace& baseline = const_cast<Trace&>(simulator.baseline_trace());
  typed.layers[1].heads[2].weights(0, 0) = 42.0f;
  baseline.layers[0].heads[1].weights(0, 0) = 43.0f;
  simulator.run("The dog ran", ablated);
  CHECK(simulator.trace().layers[1].heads[2].weights(0, 0) == 42.0f);
  CHECK(simulator.baseline_trace().layers[0].heads[1].weights(0, 0) == 43.0f);
  // Another set of heads off: the ablated rows are recomputed, the baseline's kept.
  simulator.run("The dog ran", options(R"(, "ablate": ["0.1"])"));
  CHECK(simulator.trace().layers[1].heads[2].weights(0, 0) != 42.0f);
  CHECK(simulator.baseline_trace().layers[0].heads[1].weights(0, 0) == 43.0f);
}
