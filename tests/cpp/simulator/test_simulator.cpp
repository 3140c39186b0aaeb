#include <catch2/catch.hpp>
#include <string>

#include "error.hpp"
#include "simulator/simulator.hpp"
#include "text/word_tokenizer.hpp"

using namespace llmsim;

static std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  for (const TokenSpan& s : split_words(text)) out.push_back(text.substr(s.begin, s.end - s.begin));
  return out;
}

TEST_CASE("the word tokenizer splits words and punctuation and keeps UTF-8 whole") {
  CHECK(words("The cat, sat.") == std::vector<std::string>{"The", "cat", ",", "sat", "."});
  CHECK(words("  \t\n ").empty());
  CHECK(words("naïve café 🙂!") == std::vector<std::string>{"naïve", "café", "🙂", "!"});
  CHECK(words("שלום עולם") == std::vector<std::string>{"שלום", "עולם"});
  CHECK(words("a\x01"
              "b") == std::vector<std::string>{"a", "b"});  // control characters separate
  const std::string text = "x = y+1";
  const auto spans = split_words(text);
  REQUIRE(spans.size() == 5);
  CHECK(spans[3].begin == 5);
  CHECK(spans[3].end == 6);
}

TEST_CASE("empty text gives an empty trace that still names the model's shape") {
  Simulator sim;
  const Trace& t = sim.run("", RunOptions{});
  CHECK(t.tokens.empty());
  CHECK(t.layers.empty());
  CHECK(t.n_layer == 2);
  CHECK(t.n_head == 4);
  CHECK(t.warning.empty());
}

TEST_CASE("text over the token limit is cut to the limit with a message naming it") {
  std::string text;
  for (int i = 0; i < kMaxTokens + 20; ++i) text += "w" + std::to_string(i) + " ";
  Simulator sim;
  const Trace& t = sim.run(text, RunOptions{});
  CHECK(int(t.tokens.size()) == kMaxTokens);
  CHECK(t.n_input_tokens == kMaxTokens + 20);
  CHECK(t.tokens.front() == "w0");
  CHECK(t.warning.find(std::to_string(kMaxTokens)) != std::string::npos);
  CHECK(t.layers[0].heads[0].weights.rows() == kMaxTokens);
}

TEST_CASE("the same seed gives the same trace and another seed a different one") {
  Simulator a, b;
  RunOptions o;
  o.seed = 5;
  const Matrix w1 = a.run("one two three", o).layers[1].heads[2].weights;
  const Matrix w2 = b.run("one two three", o).layers[1].heads[2].weights;
  CHECK(w1 == w2);
  o.seed = 6;
  CHECK(a.run("one two three", o).layers[1].heads[2].weights != w1);
}

TEST_CASE("options parse from JSON and bad options are clear errors") {
  const RunOptions o = parse_run_options(R"({"seed": 9, "scale": false, "causal": false})");
  CHECK(o.seed == 9);
  CHECK_FALSE(o.scale);
  CHECK_FALSE(o.causal);
  CHECK(parse_run_options("").scale);
  CHECK_THROWS_WITH(parse_run_options("{"), Catch::Contains("not valid JSON"));
  CHECK_THROWS_WITH(parse_run_options("[]"), Catch::Contains("JSON object"));
  CHECK_THROWS_WITH(parse_run_options(R"({"scale": 1})"), Catch::Contains("true or false"));
  CHECK_THROWS_WITH(parse_run_options(R"({"n_head": 0})"), Catch::Contains("between 1 and 16"));
  CHECK_THROWS_WITH(parse_run_options(R"({"d_model": 30, "n_head": 4})"),
                    Catch::Contains("divisible"));
  CHECK_THROWS_WITH(parse_run_options(R"({"colour": 1})"), Catch::Contains("unknown option"));
  CHECK_THROWS_AS(parse_run_options(R"({"seed": -1})"), Error);
}

TEST_CASE("the weights of the last run's model: W_Q of the random model is its layer's") {
  Simulator sim;
  CHECK_THROWS_AS(sim.attention_weights(0), Error);  // nothing has run yet
  RunOptions o;
  o.seed = 5;
  sim.run("one two three", o);
  const RandomModel model(RandomModelConfig{o.d_model, o.n_head, o.n_layer, o.seed});
  CHECK(sim.attention_weights(1).w_q == model.attention_weights(1).w_q);
  CHECK(sim.attention_weights(0).w_o == model.attention_weights(0).w_o);
  // and what the trace computed is x·W_Q with them: head 0's q is the first d_k columns
  const Trace& t = sim.trace();
  const int d_k = o.d_model / o.n_head;
  const Matrix q = t.layers[1].input * sim.attention_weights(1).w_q;
  CHECK((q.leftCols(d_k) - t.layers[1].heads[0].q).cwiseAbs().maxCoeff() < 1e-5f);
  CHECK_THROWS_AS(sim.attention_weights(o.n_layer), Error);
}

TEST_CASE("the simulator switches heads off the same way for every model: random weights too") {
  // The Simulator has no model-specific code: a head of the random model switched off
  // by zeros outputs zeros, and the every-head-on run beside it does not.
  ModelRegistry registry;  // its own, so this test shares nothing with others
  Simulator sim(registry);
  RunOptions options;
  options.ablate = {{1, 2}};
  const Trace& trace = sim.run("the cat sat on the mat", options);
  CHECK(trace.ablated);
  CHECK(trace.layers[1].heads[2].output.norm() == 0.0f);
  CHECK(trace.layers[1].heads[1].output.norm() > 0.1f);
  CHECK(sim.baseline_trace().layers[1].heads[2].output.norm() > 0.1f);
  // weights and scores are still traced, so the page can show what the head would do
  CHECK(trace.layers[1].heads[2].weights == sim.baseline_trace().layers[1].heads[2].weights);
  CHECK(trace.baseline.loss == -1);  // no vocabulary, no loss
  options.ablate_mode = "mean";
  CHECK_THROWS_WITH(sim.run("the cat", options), Catch::Contains("trained model"));
  options.ablate = {{2, 0}};
  options.ablate_mode = "zero";
  CHECK_THROWS_WITH(sim.run("the cat", options), Catch::Contains("does not exist"));
}

TEST_CASE("the registry builds a random model once per seed and shape, each with its own id") {
  ModelRegistry registry;
  RunOptions a, b;
  b.seed = 2;
  const ModelHandle first = registry.model(a), again = registry.model(a), other = registry.model(b);
  CHECK(first.model == again.model);
  CHECK(first.id == again.id);
  CHECK(other.id != first.id);
  CHECK(other.model->attention_weights(0).w_q != first.model->attention_weights(0).w_q);
  CHECK_THROWS_WITH(first.model->attention_weights(2), Catch::Contains("layer 2 does not exist"));
}
