// The trainer around the gradients: learning-rate schedule, AdamW, data sampling,
// determinism, that training actually learns, and checkpoints: a resumed run ends bit
// for bit where an uninterrupted one does, and a bad file or a different run is an Error.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

#include "error.hpp"
#include "rng.hpp"
#include "random_gpt.hpp"
#include "train/train.hpp"

using namespace llmsim;

namespace {

GptConfig tiny_config(int vocab = 9) { return gpt_config(vocab, 16, 2, 2, 8, 32); }

std::vector<int> random_stream(uint64_t seed, size_t n, int vocab) {
  Rng rng(seed);
  std::vector<int> s(n);
  for (int& id : s) id = 1 + int(rng.next_u64() % uint64_t(vocab - 1));  // 0 is BOS
  return s;
}

}  // namespace

TEST_CASE("learning rate: linear warmup, then cosine from max to min") {
  CHECK(learning_rate_at(0, 100, 10, 1.0f, 0.1f) == Approx(0.1f));
  CHECK(learning_rate_at(4, 100, 10, 1.0f, 0.1f) == Approx(0.5f));
  CHECK(learning_rate_at(10, 100, 10, 1.0f, 0.1f) == Approx(1.0f));
  CHECK(learning_rate_at(55, 100, 10, 1.0f, 0.1f) == Approx(0.55f));  // half-way: the mean
  CHECK(learning_rate_at(100, 100, 10, 1.0f, 0.1f) == Approx(0.1f));
  CHECK(learning_rate_at(99, 100, 10, 1.0f, 0.1f) > 0.1f);
}

TEST_CASE("one AdamW step moves each weight by lr·(sign(g) + wd·w), decay only on matrices") {
  // At step 1 the bias-corrected moments are m̂ = g and v̂ = g², so the Adam step is
  // g/(|g| + eps) ≈ sign(g), whatever the size of g.
  GptTrainer trainer(tiny_config(), 2, 8);
  trainer.init_weights(3);
  const std::vector<int> stream = random_stream(4, 64, 9);
  std::vector<int> inputs(16), targets(16);
  SequenceSampler(stream, {}, 0, 8, 5).sample(2, inputs.data(), targets.data());
  trainer.forward(inputs.data(), targets.data());
  trainer.backward();
  const AlignedFloats before = trainer.parameters(), g = trainer.gradients();
  AdamWOptions o;
  o.weight_decay = 0.5f;
  const float lr = 0.01f;
  trainer.adamw_update(lr, o, 1);
  int checked = 0;
  for (const ParameterInfo& p : trainer.layout())
    for (size_t i = p.offset; i < p.offset + size_t(p.rows) * p.cols; i += 7) {
      const double step = g[i] / (std::abs(double(g[i])) + 1e-8);
      const double expected = before[i] - lr * (step + (p.decay ? 0.5 : 0.0) * before[i]);
      CHECK(trainer.parameters()[i] == Approx(expected).margin(1e-6));
      ++checked;
    }
  CHECK(checked > 100);
}

TEST_CASE("sinusoid positions: each position is the previous one turned by a fixed angle") {
  // The point of the option: pos[t−1] is a fixed rotation of pos[t] in every (2k, 2k+1)
  // pair, so "attend to the previous position" is linear in the embedding from step 0.
  GptConfig c = tiny_config();
  c.context = 32;
  GptTrainer random_start(c, 1, 8), sinusoid_start(c, 1, 8);
  random_start.init_weights(3);
  sinusoid_start.init_weights(3, true);
  const GptWeights r = random_start.weights(), s = sinusoid_start.weights();
  const int C = c.d_model;
  const double a = 0.02 * std::sqrt(2.0);
  CHECK(s.pos_emb(0, 0) == Approx(0.0).margin(1e-9));  // sin 0
  CHECK(s.pos_emb(0, 1) == Approx(a));                 // cos 0
  CHECK(s.pos_emb(5, 0) == Approx(a * std::sin(5.0)));  // ω_0 = 1
  CHECK(s.pos_emb(5, 3) == Approx(a * std::cos(5.0 * std::pow(10000.0, -2.0 / 16))));
  for (int k = 0; k < C / 2; ++k) {
    const double w = std::pow(10000.0, -2.0 * k / C);
    for (int t = 1; t < c.context; ++t) {
      const double sin_t = s.pos_emb(t, 2 * k), cos_t = s.pos_emb(t, 2 * k + 1);
      CHECK(s.pos_emb(t - 1, 2 * k) ==
            Approx(sin_t * std::cos(w) - cos_t * std::sin(w)).margin(1e-7));
      CHECK(s.pos_emb(t - 1, 2 * k + 1) ==
            Approx(cos_t * std::cos(w) + sin_t * std::sin(w)).margin(1e-7));
    }
  }
  // Everything else is the seed's usual start.
  CHECK(s.tok_emb == r.tok_emb);
  CHECK(s.blocks.at(1).attn.w_q == r.blocks.at(1).attn.w_q);
  CHECK(!(s.pos_emb == r.pos_emb));
}

TEST_CASE("sampled sequences start with BOS and predict the next token of the stream") {
  std::vector<int> stream(100);
  for (int i = 0; i < 100; ++i) stream[i] = 1 + i;  // the token is its position + 1
  const std::vector<size_t> doc_starts = {0, 40, 95 /* too late to fill a sequence */};
  SequenceSampler sampler(stream, doc_starts, 0, 8, 9);
  std::vector<int> in(8 * 20), out(8 * 20);
  sampler.sample(20, in.data(), out.data());
  for (int b = 0; b < 20; ++b) {
    CHECK(in[b * 8] == 0);
    for (int t = 1; t < 8; ++t) CHECK(in[b * 8 + t] == out[b * 8 + t - 1]);
    for (int t = 1; t < 8; ++t) CHECK(out[b * 8 + t] == out[b * 8 + t - 1] + 1);  // contiguous
    if (b % 2 == 0) CHECK((out[b * 8] == 1 || out[b * 8] == 41));  // a document's first token
  }
  CHECK_THROWS_AS(SequenceSampler(std::vector<int>(5, 1), {}, 0, 8, 1), Error);
}

TEST_CASE("repeated random runs: BOS, then R over and over, the targets shifted by one") {
  std::vector<int> stream(100, 7);  // natural text is all 7s, so a run is easy to tell apart
  RepeatedRuns runs;
  runs.fraction = 0.5;
  runs.vocab_size = 50;
  runs.min_length = 3;
  runs.max_length = 5;
  SequenceSampler sampler(stream, {}, 0, 16, 11, runs);
  std::vector<int> in(16 * 200), out(16 * 200);
  sampler.sample(200, in.data(), out.data());
  int synthetic = 0;
  for (int b = 0; b < 200; ++b) {
    const int* x = &in[b * 16];
    const int* y = &out[b * 16];
    CHECK(x[0] == 0);
    for (int t = 1; t < 16; ++t) CHECK(x[t] == y[t - 1]);
    if (std::all_of(y, y + 16, [](int id) { return id == 7; })) continue;
    ++synthetic;
    // The period n is the smallest shift under which the targets repeat.
    int n = 1;
    while (n < 16 && !std::equal(y + n, y + 16, y)) ++n;
    CHECK(n >= 3);
    CHECK(n <= 5);
    for (int t = 0; t < 16; ++t) CHECK((y[t] > 0 && y[t] < 50));  // never BOS, inside the vocabulary
  }
  CHECK(synthetic > 70);  // about half of 200
  CHECK(synthetic < 130);
  runs.fraction = 1.5;
  CHECK_THROWS_AS(SequenceSampler(stream, {}, 0, 16, 1, runs), Error);
}

TEST_CASE("consecutive sequences tile the stream, BOS first, tail dropped") {
  std::vector<int> stream = {5, 6, 7, 8, 9, 10, 11};
  std::vector<int> in, out;
  CHECK(consecutive_sequences(stream, 0, 3, in, out) == 2);
  CHECK(in == std::vector<int>{0, 5, 6, 0, 8, 9});
  CHECK(out == std::vector<int>{5, 6, 7, 8, 9, 10});
}

TEST_CASE("training is bit-for-bit deterministic for a seed") {
  const GptConfig config = tiny_config();
  const std::vector<int> train = random_stream(1, 500, 9), val = random_stream(2, 100, 9);
  TrainOptions o;
  o.steps = 6;
  o.batch_size = 4;
  o.warmup = 2;
  o.eval_every = 3;
  o.seed = 7;
  const TrainResult a = train_gpt(config, o, train, {}, val, 0);
  const TrainResult b = train_gpt(config, o, train, {}, val, 0);
  o.seed = 8;
  const TrainResult c = train_gpt(config, o, train, {}, val, 0);
  const auto same = [](const Matrix& x, const Matrix& y) {
    return x.size() == y.size() && std::memcmp(x.data(), y.data(), sizeof(float) * x.size()) == 0;
  };
  CHECK(same(a.weights.tok_emb, b.weights.tok_emb));
  CHECK(same(a.weights.blocks[1].fc_weight, b.weights.blocks[1].fc_weight));
  CHECK(same(a.weights.blocks[0].attn.w_q, b.weights.blocks[0].attn.w_q));
  CHECK(a.final_val_loss == b.final_val_loss);
  CHECK_FALSE(same(a.weights.tok_emb, c.weights.tok_emb));
  REQUIRE(a.curve.size() == 6);
  CHECK(a.curve[2].val_loss > 0);
  CHECK(a.curve[1].val_loss == -1);
}

TEST_CASE("training learns a repeating pattern far below the uniform loss") {
  // The stream repeats 1..7; after BOS the next token is always determined by the
  // previous one, so a model that learns gets a loss near 0 (uniform: ln 9 = 2.2).
  std::vector<int> stream(2000);
  for (size_t i = 0; i < stream.size(); ++i) stream[i] = 1 + int(i % 7);
  TrainOptions o;
  o.steps = 150;
  o.batch_size = 8;
  o.warmup = 10;
  o.max_lr = 1e-2f;
  o.min_lr = 1e-3f;
  o.eval_every = 150;
  const TrainResult r = train_gpt(tiny_config(), o, stream, {}, stream, 0);
  CHECK(r.curve.front().loss > 2.0);
  CHECK(r.final_val_loss < 0.35);  // only the first token after BOS stays uncertain
}

// ---- checkpoints and --resume ------------------------------------------------------

namespace {

// A file in the temporary folder, unique per test and process (ctest runs tests in
// parallel), removed with its ".tmp" sibling when the test ends.
struct TemporaryFile {
  std::string path;
  explicit TemporaryFile(const std::string& name)
      : path((std::filesystem::temp_directory_path() /
              ("llmsim-" + name + "-" + std::to_string(::getpid()) + ".bin"))
                 .string()) {
    std::filesystem::remove(path);
  }
  ~TemporaryFile() {
    std::filesystem::remove(path);
    std::filesystem::remove(path + ".tmp");
  }
};

// Bit for bit, every tensor (memcmp: -0 and 0, or two NaNs, would differ).
bool same_weights(const GptWeights& a, const GptWeights& b) {
  const auto same = [](const auto& x, const auto& y) {
    return x.size() == y.size() && std::memcmp(x.data(), y.data(), sizeof(float) * x.size()) == 0;
  };
  if (!same(a.tok_emb, b.tok_emb) || !same(a.pos_emb, b.pos_emb) || !same(a.lnf_weight, b.lnf_weight) ||
      !same(a.lnf_bias, b.lnf_bias) || a.blocks.size() != b.blocks.size())
    return false;
  for (size_t l = 0; l < a.blocks.size(); ++l) {
    const GptBlock &x = a.blocks[l], &y = b.blocks[l];
    if (!same(x.ln1_weight, y.ln1_weight) || !same(x.ln1_bias, y.ln1_bias) ||
        !same(x.attn.w_q, y.attn.w_q) || !same(x.attn.w_k, y.attn.w_k) ||
        !same(x.attn.w_v, y.attn.w_v) || !same(x.attn.w_o, y.attn.w_o) ||
        !same(x.ln2_weight, y.ln2_weight) || !same(x.ln2_bias, y.ln2_bias) ||
        !same(x.fc_weight, y.fc_weight) || !same(x.fc_bias, y.fc_bias) ||
        !same(x.proj_weight, y.proj_weight) || !same(x.proj_bias, y.proj_bias))
      return false;
  }
  return true;
}

// The curves agree in everything but the clock: step, losses, lr, gradient norm.
void check_same_curve(const std::vector<TrainProgress>& a, const std::vector<TrainProgress>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("step " << a[i].step);
    CHECK(a[i].step == b[i].step);
    CHECK(a[i].steps == b[i].steps);
    CHECK(a[i].loss == b[i].loss);
    CHECK(a[i].val_loss == b[i].val_loss);
    CHECK(a[i].learning_rate == b[i].learning_rate);
    CHECK(a[i].grad_norm == b[i].grad_norm);
  }
}

// A run that exercises every piece of state: documents (the sampler's two kinds of
// start), repeated runs (its uniform() draws), warmup and cosine, validation every 5
// steps, 36 steps.
struct ResumeSetup {
  GptConfig config = tiny_config(12);
  std::vector<int> train = random_stream(21, 800, 12), val = random_stream(22, 120, 12);
  std::vector<size_t> doc_starts = {0, 50, 130, 300, 420, 610};
  TrainOptions options;
  ResumeSetup() {
    options.steps = 36;
    options.batch_size = 4;
    options.warmup = 6;
    options.eval_every = 5;
    options.seed = 3;
    options.repeated_runs.fraction = 0.3;
    options.repeated_runs.min_length = 2;
    options.repeated_runs.max_length = 5;
  }
  TrainResult run(const CheckpointOptions& checkpoint) const {
    return train_gpt(config, options, train, doc_starts, val, 0, checkpoint);
  }
};

}  // namespace

TEST_CASE("a run resumed from a checkpoint ends bit for bit where the uninterrupted run does") {
  const ResumeSetup setup;
  TemporaryFile file("resume");
  const TrainResult whole = setup.run({});  // no checkpoints at all
  REQUIRE(whole.complete);
  REQUIRE(whole.curve.size() == 36);

  // Saved every 10 steps and killed at step 25: the checkpoint is the one of step 20,
  // so steps 21-25 are taken again after the resume, as after a real kill.
  CheckpointOptions first;
  first.path = file.path;
  first.every = 10;
  first.stop_after = 25;
  const TrainResult stopped = setup.run(first);
  CHECK_FALSE(stopped.complete);
  CHECK(stopped.curve.size() == 25);
  CHECK(stopped.curve[19].checkpoint_written);
  CHECK_FALSE(stopped.curve[20].checkpoint_written);
  CHECK(load_checkpoint(file.path).step == 20);

  CheckpointOptions second;
  second.path = file.path;
  second.every = 10;
  second.resume = true;
  int resumed_at = -1;
  second.on_resume = [&](int step) { resumed_at = step; };
  const TrainResult resumed = setup.run(second);  // a fresh trainer and sampler
  CHECK(resumed_at == 20);
  CHECK(resumed.resumed_from == 20);
  CHECK(resumed.complete);
  CHECK(same_weights(resumed.weights, whole.weights));
  check_same_curve(resumed.curve, whole.curve);
  CHECK(resumed.final_val_loss == whole.final_val_loss);
  CHECK(whole.final_val_loss > 0);

  // Writing checkpoints does not disturb the run, and one at the last step resumes to
  // the same result with nothing left to train.
  CheckpointOptions at_end;
  at_end.path = file.path;
  at_end.every = 12;
  const TrainResult saved_as_it_went = setup.run(at_end);
  CHECK(same_weights(saved_as_it_went.weights, whole.weights));
  CHECK(load_checkpoint(file.path).step == 36);
  at_end.resume = true;
  const TrainResult nothing_left = setup.run(at_end);
  CHECK(nothing_left.resumed_from == 36);
  CHECK(same_weights(nothing_left.weights, whole.weights));
  check_same_curve(nothing_left.curve, whole.curve);
  CHECK(nothing_left.final_val_loss == whole.final_val_loss);
  CHECK_FALSE(std::filesystem::exists(file.path + ".tmp"));  // renamed into place
}

TEST_CASE("a sampler skipped ahead draws what the original draws next") {
  const std::vector<int> stream = random_stream(5, 300, 20);
  RepeatedRuns runs;
  runs.fraction = 0.5;
  runs.vocab_size = 20;
  SequenceSampler original(stream, {0, 100, 200}, 0, 8, 17, runs);
  std::vector<int> a_in(8 * 6), a_out(8 * 6), b_in(8 * 6), b_out(8 * 6);
  original.sample(6, a_in.data(), a_out.data());
  SequenceSampler replayed(stream, {0, 100, 200}, 0, 8, 17, runs);
  replayed.skip(original.draws());
  CHECK(replayed.draws() == original.draws());
  CHECK(replayed.next_draw() == original.next_draw());
  original.sample(6, a_in.data(), a_out.data());
  replayed.sample(6, b_in.data(), b_out.data());
  CHECK(a_in == b_in);
  CHECK(a_out == b_out);
}

namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// The header's FNV-1a of the payload, as save_checkpoint writes it.
uint64_t fnv1a(const std::string& bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// A header (32 bytes: magic, version, byte-order mark, size, hash) that vouches for
// `payload`, so the loader's own size checks are what stands between it and the end.
std::string with_valid_header(const std::string& original, const std::string& payload) {
  std::string bytes = original.substr(0, 32) + payload;
  const uint64_t size = payload.size(), hash = fnv1a(payload);
  std::memcpy(&bytes[16], &size, 8);
  std::memcpy(&bytes[24], &hash, 8);
  return bytes;
}

}  // namespace

TEST_CASE("a truncated, corrupted or foreign checkpoint is an Error, never a crash") {
  ResumeSetup setup;
  setup.options.steps = 6;
  TemporaryFile file("damaged");
  CheckpointOptions save;
  save.path = file.path;
  save.every = 3;
  setup.run(save);
  const std::string good = file_bytes(file.path);
  REQUIRE(good.size() > 1000);
  REQUIRE(load_checkpoint(file.path).step == 6);

  TemporaryFile damaged("damaged-copy");
  auto load_error = [&](const std::string& bytes) -> std::string {
    write_bytes(damaged.path, bytes);
    try {
      load_checkpoint(damaged.path);
    } catch (const Error& e) {
      return e.what();
    }
    return "(loaded)";
  };
  using Catch::Matchers::Contains;
  // Cut anywhere: in the magic, the header, the state, the last byte.
  for (size_t size : {size_t(0), size_t(5), size_t(8), size_t(20), size_t(31), size_t(32),
                      size_t(100), good.size() / 2, good.size() - 1}) {
    INFO("cut to " << size << " bytes");
    const std::string message = load_error(good.substr(0, size));
    CHECK_THAT(message, Contains(damaged.path));
    CHECK((message.find("truncated") != std::string::npos ||
           message.find("not an llmsim checkpoint") != std::string::npos));
  }
  // Cut, with a header rewritten to vouch for the cut payload: every cut point is
  // caught by the reader's own bounds checks.
  const std::string payload = good.substr(32);
  for (size_t cut = 0; cut < payload.size(); cut += std::max<size_t>(1, payload.size() / 300)) {
    INFO("payload cut to " << cut << " bytes");
    CHECK_THAT(load_error(with_valid_header(good, payload.substr(0, cut))),
               Contains("ends early") || Contains("truncated"));
  }
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x10;
  CHECK_THAT(load_error(flipped), Contains("corrupted"));
  CHECK_THAT(load_error(good + "x"), Contains("after the state"));
  std::string newer = good;
  newer[8] = 2;
  CHECK_THAT(load_error(newer), Contains("version 2"));
  CHECK_THAT(load_error("step,loss,val_loss,lr\n1,2.5,,0.001\n"), Contains("not an llmsim checkpoint"));
  std::filesystem::remove(damaged.path);
  CHECK_THROWS_WITH(load_checkpoint(damaged.path), Contains("cannot open"));

  // Resuming from a damaged file is the same Error.
  write_bytes(file.path, good.substr(0, good.size() - 7));
  save.resume = true;
  CHECK_THROWS_AS(setup.run(save), Error);
}

TEST_CASE("resuming refuses settings that would not continue the same run") {
  const ResumeSetup setup;
  TemporaryFile file("refuse");
  CheckpointOptions save;
  save.path = file.path;
  save.every = 10;
  save.stop_after = 10;
  setup.run(save);
  CheckpointOptions resume;
  resume.path = file.path;
  resume.resume = true;
  using Catch::Matchers::Contains;

  auto refused = [&](const GptConfig& config, const TrainOptions& options,
                     const std::vector<int>& train, const std::vector<int>& val) -> std::string {
    try {
      train_gpt(config, options, train, setup.doc_starts, val, 0, resume);
    } catch (const Error& e) {
      return e.what();
    }
    return "(resumed)";
  };
  TrainOptions o = setup.options;
  o.steps = 40;
  CHECK_THAT(refused(setup.config, o, setup.train, setup.val), Contains("steps 36 there, 40 here"));
  o = setup.options;
  o.seed = 4;
  o.batch_size = 5;
  const std::string both = refused(setup.config, o, setup.train, setup.val);
  CHECK_THAT(both, Contains("seed") && Contains("batch_size") && Contains(file.path));
  o = setup.options;
  o.max_lr *= 1.0001f;
  CHECK_THAT(refused(setup.config, o, setup.train, setup.val), Contains("max_lr"));
  GptConfig wider = setup.config;
  wider.d_ff = 48;
  CHECK_THAT(refused(wider, setup.options, setup.train, setup.val), Contains("d_ff"));
  std::vector<int> other_train = setup.train;
  other_train[400] = other_train[400] % 11 + 1;  // one token differs
  CHECK_THAT(refused(setup.config, setup.options, other_train, setup.val),
             Contains("training tokens"));
  CHECK_THAT(refused(setup.config, setup.options, setup.train, random_stream(23, 120, 12)),
             Contains("validation tokens"));
  {
    // Another thread count: Eigen's GEMMs would sum in another order.
    struct RestoreThreads {
      ~RestoreThreads() { Eigen::setNbThreads(-1); }  // back to OpenMP's count
    } restore;
    Eigen::setNbThreads(Eigen::nbThreads() + 1);
    CHECK_THAT(refused(setup.config, setup.options, setup.train, setup.val), Contains("threads"));
  }
  // The same settings resume.
  CHECK(refused(setup.config, setup.options, setup.train, setup.val) == "(resumed)");
}
