// The watched training run of the Train view (live_trainer.hpp): its steps are
// train_gpt's steps for the same data and options (bit for bit), a seed gives the same
// run twice, its files load back as the same model, its head scores agree with the
// head analysis on that model, and bad options are Errors that name the option.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "error.hpp"
#include "rng.hpp"
#include "heads/analysis.hpp"
#include "heads/gpt_head_model.hpp"
#include "train/corpus.hpp"
#include "train/live_trainer.hpp"
#include "train/text_corpus.hpp"

using namespace llmsim;

namespace {

// A small run that still exercises everything: two layers, repeated runs, warmup.
LiveTrainerOptions small_options(uint64_t seed = 3) {
  LiveTrainerOptions o;
  o.vocab = 300;
  o.d_model = 16;
  o.layers = 2;
  o.heads = 2;
  o.context = 32;
  o.d_ff = 32;
  o.batch = 2;
  o.warmup = 3;
  o.repeat_fraction = 0.5;
  o.seed = seed;
  o.train_bytes = 40000;
  o.val_bytes = 6000;
  o.tokenizer_bytes = 20000;
  return o;
}

}  // namespace

TEST_CASE("a watched run takes the steps of train_gpt with the rate held after warmup, bit for bit") {
  const LiveTrainerOptions o = small_options();
  LiveTrainer live(o);
  std::vector<float> losses = live.train(4);
  const std::vector<float> more = live.train(3);  // steps in two calls: one run
  losses.insert(losses.end(), more.begin(), more.end());
  REQUIRE(live.steps_taken() == 7);

  // The same run the way `llmsim train` makes it (train_command.cpp), written out here.
  CorpusOptions corpus;
  corpus.word_game = o.word_game;
  const TrainingText text = training_text(o.seed, size_t(o.train_bytes), size_t(o.val_bytes), corpus, "");
  const BpeTokenizer tokenizer = BpeTokenizer::train(tokenizer_training_text(text, size_t(o.tokenizer_bytes)), o.vocab);
  std::vector<int> train_stream, val_stream;
  std::vector<size_t> starts, val_starts;
  encode_documents(tokenizer, text.split.train, train_stream, starts);
  encode_documents(tokenizer, text.split.validation, val_stream, val_starts);
  GptConfig config = o.config();
  config.vocab_size = tokenizer.vocab_size();
  TrainOptions t;
  t.steps = 7;
  t.batch_size = o.batch;
  t.max_lr = t.min_lr = o.lr;
  t.warmup = o.warmup;
  t.seed = o.seed;
  t.eval_every = 0;
  t.repeated_runs.fraction = o.repeat_fraction;
  const TrainResult reference = train_gpt(config, t, train_stream, starts, val_stream, tokenizer.bos_id());
  REQUIRE(reference.curve.size() == 7);
  for (size_t i = 0; i < 7; ++i) {
    INFO("step " << i + 1);
    CHECK(losses[i] == float(reference.curve[i].loss));
  }
  const GptWeights a = live.model().weights(), &b = reference.weights;
  CHECK(a.tok_emb == b.tok_emb);
  CHECK(a.blocks[1].attn.w_o == b.blocks[1].attn.w_o);
  CHECK(a.blocks[0].proj_bias == b.blocks[0].proj_bias);
}

TEST_CASE("a watched run is the same for a seed and different for another") {
  LiveTrainer a(small_options(5)), b(small_options(5)), c(small_options(6));
  const std::vector<float> la = a.train(5), lb = b.train(5), lc = c.train(5);
  CHECK(la == lb);
  CHECK(la != lc);
  CHECK(a.validation_loss(2) == b.validation_loss(2));
}

TEST_CASE("a watched run's files load back as the model it has, and its scores are the analysis's") {
  LiveTrainer live(small_options());
  live.train(6);
  const ModelFiles files = live.files();
  const Gpt loaded = Gpt::from_bytes(files.config, files.tokenizer, files.safetensors.data(), files.safetensors.size());
  const Gpt current = live.model();
  const std::string text = "The little cat saw a red ball.";
  const Trace x = loaded.run(text), y = current.run(text);
  REQUIRE(x.tokens == y.tokens);
  CHECK(x.logits == y.logits);  // F32 files: the same weights exactly

  // attention(): every head's weights of that trace, laid end to end.
  const LiveTrainer::Attention att = live.attention(text);
  const size_t T = x.tokens.size();
  REQUIRE(att.tokens == x.tokens);
  REQUIRE(att.weights.size() == 2 * 2 * T * T);
  CHECK(att.weights[(1 * 2 + 1) * T * T + 5 * T + 3] == x.layers[1].heads[1].weights(5, 3));

  // head_scores(): the induction scores are the head analysis's on the same model.
  const LiveHeadScores scores = live.head_scores();
  HeadScoreOptions induction;
  induction.induction_length = 15;  // (context − 1) / 2 for context 32
  CHECK(scores.induction == induction_scores(gpt_head_model(current), induction));
  // Both probe scores again by hand: the analysis's 10 probes [BOS, R, R] (seed 1, n = 15),
  // induction the mean weight on the token after R's first copy over the second copy,
  // previous-token the mean weight one back over the queries from the 5th on.
  const int n = 15, probes = induction.induction_repeats;
  Rng rng(induction.seed);
  std::vector<std::vector<double>> by_hand_induction(2, std::vector<double>(2)), by_hand_prev = by_hand_induction;
  for (int r = 0; r < probes; ++r) {
    std::vector<int> ids{current.tokenizer().bos_id()};
    for (int j = 0; j < n; ++j) {
      int id;
      do id = int(rng.next_u64() % uint64_t(current.config().vocab_size));
      while (id == current.tokenizer().bos_id());
      ids.push_back(id);
    }
    ids.insert(ids.end(), ids.begin() + 1, ids.end());
    const Trace probe = current.run_ids(ids);
    for (int l = 0; l < 2; ++l)
      for (int h = 0; h < 2; ++h) {
        const Matrix& a = probe.layers[l].heads[h].weights;
        for (int i = n + 1; i <= 2 * n; ++i) by_hand_induction[l][h] += a(i, i - n + 1) / n / probes;
        for (int i = 4; i <= 2 * n; ++i) by_hand_prev[l][h] += a(i, i - 1) / (2 * n - 3) / probes;
      }
  }
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 2; ++h) {
      CHECK(scores.induction[l][h] == Approx(by_hand_induction[l][h]).margin(1e-6));
      CHECK(scores.prev_token_random[l][h] == Approx(by_hand_prev[l][h]).margin(1e-6));
    }
  for (const auto& row : scores.prev_token)
    for (float s : row) CHECK((s >= 0 && s <= 1));
}

TEST_CASE("bad trainer options are Errors that name the option") {
  const auto error_of = [](const char* json_text) {
    try {
      LiveTrainerOptions::from_json(nlohmann::json::parse(json_text));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error_of(R"({"sizes": 3})"), Catch::Contains("unknown option \"sizes\""));
  CHECK_THAT(error_of(R"({"vocab": 100})"), Catch::Contains("\"vocab\" is 100"));
  CHECK_THAT(error_of(R"({"d_model": 30, "heads": 4})"), Catch::Contains("multiple of heads"));
  CHECK_THAT(error_of(R"({"lr": "fast"})"), Catch::Contains("\"lr\" must be a number"));
  CHECK_THAT(error_of(R"({"batch": 2.5})"), Catch::Contains("\"batch\" must be a whole number"));
  CHECK_THAT(error_of(R"({"d_model": 1024, "layers": 12, "d_ff": 8192})"), Catch::Contains("parameters is more than"));
  CHECK_THAT(error_of(R"({"batch": 512, "context": 1024})"), Catch::Contains("MB of activations"));
  CHECK_THAT(error_of("[1, 2]"), Catch::Contains("JSON object"));
  CHECK(error_of(R"({"seed": 4, "layers": 1})") == "no error");
}
