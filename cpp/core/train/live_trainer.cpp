#include "train/live_trainer.hpp"

#include <algorithm>

#include "error.hpp"
#include "heads/gpt_head_model.hpp"
#include "heads/pattern_scores.hpp"
#include "train/corpus.hpp"
#include "train/text_corpus.hpp"

namespace llmsim {

namespace {

// Limits that keep a run inside what a browser tab can hold and train: the
// activations of a step are about 20 floats per token per d_model plus the
// B·H·T·T attention weights of every layer, and the logits B·T·V.
constexpr int64_t kMaxParameters = 20'000'000;
constexpr int64_t kMaxActivationFloats = 200'000'000;  // 800 MB
constexpr int64_t kMaxCorpusBytes = 100'000'000;
constexpr int kPatternBytes = 2000;  // held-out text the previous-token and sink scores read

template <typename T>
T read_key(const nlohmann::json& j, const char* key, T value) {
  if (!j.contains(key)) return value;
  const nlohmann::json& v = j.at(key);
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) throw Error(std::string("option \"") + key + "\" must be true or false");
    return v.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (!v.is_number_integer() && !v.is_number_unsigned())
      throw Error(std::string("option \"") + key + "\" must be a whole number");
    return v.get<T>();
  } else {
    if (!v.is_number()) throw Error(std::string("option \"") + key + "\" must be a number");
    return v.get<T>();
  }
}

template <typename T>
void check_range(const char* key, T value, T lo, T hi) {
  if (!(value >= lo && value <= hi))
    throw Error(std::string("option \"") + key + "\" is " + std::to_string(value) +
                "; it must be between " + std::to_string(lo) + " and " + std::to_string(hi));
}

}  // namespace

LiveTrainerOptions LiveTrainerOptions::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw Error("the trainer's options must be a JSON object");
  LiveTrainerOptions o;
  const nlohmann::json known = o.to_json();
  for (const auto& [key, value] : j.items())
    if (!known.contains(key)) throw Error("unknown option \"" + key.substr(0, 40) + "\" for the trainer (known: vocab, d_model, layers, heads, context, d_ff, batch, warmup, lr, repeat_fraction, weight_decay, sinusoid_positions, seed, train_bytes, val_bytes, tokenizer_bytes, word_game)");
  o.vocab = read_key(j, "vocab", o.vocab);
  o.d_model = read_key(j, "d_model", o.d_model);
  o.layers = read_key(j, "layers", o.layers);
  o.heads = read_key(j, "heads", o.heads);
  o.context = read_key(j, "context", o.context);
  o.d_ff = read_key(j, "d_ff", o.d_ff);
  o.batch = read_key(j, "batch", o.batch);
  o.warmup = read_key(j, "warmup", o.warmup);
  o.lr = read_key(j, "lr", o.lr);
  o.repeat_fraction = read_key(j, "repeat_fraction", o.repeat_fraction);
  o.weight_decay = read_key(j, "weight_decay", o.weight_decay);
  o.sinusoid_positions = read_key(j, "sinusoid_positions", o.sinusoid_positions);
  o.seed = read_key(j, "seed", o.seed);
  o.train_bytes = read_key(j, "train_bytes", o.train_bytes);
  o.val_bytes = read_key(j, "val_bytes", o.val_bytes);
  o.tokenizer_bytes = read_key(j, "tokenizer_bytes", o.tokenizer_bytes);
  o.word_game = read_key(j, "word_game", o.word_game);

  check_range("vocab", o.vocab, 258, 8192);  // the 256 bytes, BOS, and at least one merge
  check_range("d_model", o.d_model, 4, 1024);
  check_range("layers", o.layers, 1, 12);
  check_range("heads", o.heads, 1, 32);
  if (o.d_model % o.heads != 0)
    throw Error("d_model (" + std::to_string(o.d_model) + ") must be a multiple of heads (" +
                std::to_string(o.heads) + ")");
  check_range("context", o.context, 8, 1024);
  check_range("d_ff", o.d_ff, 1, 8192);
  check_range("batch", o.batch, 1, 512);
  check_range("warmup", o.warmup, 0, 1'000'000);
  check_range("lr", o.lr, 1e-6f, 1.0f);
  check_range("repeat_fraction", o.repeat_fraction, 0.0, 1.0);
  check_range("weight_decay", o.weight_decay, 0.0f, 1.0f);
  check_range<int64_t>("train_bytes", o.train_bytes, 10'000, kMaxCorpusBytes);
  check_range<int64_t>("val_bytes", o.val_bytes, 1'000, kMaxCorpusBytes);
  check_range<int64_t>("tokenizer_bytes", o.tokenizer_bytes, 1'000, kMaxCorpusBytes);
  const GptConfig config = o.config();
  if (config.parameter_count() > kMaxParameters)
    throw Error("a model of " + std::to_string(config.parameter_count()) +
                " parameters is more than the trainer takes (" + std::to_string(kMaxParameters) +
                "): make it smaller");
  const int64_t tokens = int64_t(o.batch) * o.context;
  const int64_t activations = tokens * (20 * int64_t(o.d_model) + 2 * o.d_ff + 2 * o.vocab) * o.layers +
                              int64_t(o.batch) * o.heads * o.context * o.context * o.layers;
  if (activations > kMaxActivationFloats)
    throw Error("a step of batch " + std::to_string(o.batch) + " × context " +
                std::to_string(o.context) + " at this size needs about " +
                std::to_string(activations * 4 / 1'000'000) + " MB of activations, more than the " +
                std::to_string(kMaxActivationFloats * 4 / 1'000'000) +
                " MB the trainer takes: use a smaller batch, context or model");
  return o;
}

nlohmann::json LiveTrainerOptions::to_json() const {
  return {{"vocab", vocab}, {"d_model", d_model}, {"layers", layers}, {"heads", heads},
          {"context", context}, {"d_ff", d_ff}, {"batch", batch}, {"warmup", warmup},
          {"lr", lr}, {"repeat_fraction", repeat_fraction}, {"weight_decay", weight_decay},
          {"sinusoid_positions", sinusoid_positions}, {"seed", seed},
          {"train_bytes", train_bytes}, {"val_bytes", val_bytes},
          {"tokenizer_bytes", tokenizer_bytes}, {"word_game", word_game}};
}

GptConfig LiveTrainerOptions::config() const {
  GptConfig c;
  c.vocab_size = vocab;
  c.d_model = d_model;
  c.n_layer = layers;
  c.n_head = heads;
  c.context = context;
  c.d_ff = d_ff;
  return c;
}

LiveTrainer::LiveTrainer(const LiveTrainerOptions& options) : options_(options), config_(options.config()) {
  // 1. The text, as `llmsim train` makes it (no English corpus: the generator's world).
  CorpusOptions corpus;
  corpus.word_game = options_.word_game;
  const TrainingText text = training_text(options_.seed, size_t(options_.train_bytes),
                                          size_t(options_.val_bytes), corpus, "");
  // 2. Its tokenizer, trained on the text's first bytes; it may stop short of the vocab.
  tokenizer_ = std::make_unique<BpeTokenizer>(
      BpeTokenizer::train(tokenizer_training_text(text, size_t(options_.tokenizer_bytes)), options_.vocab));
  config_.vocab_size = tokenizer_->vocab_size();
  std::vector<size_t> val_doc_starts;
  encode_documents(*tokenizer_, text.split.train, train_stream_, doc_starts_);
  encode_documents(*tokenizer_, text.split.validation, val_stream_, val_doc_starts);
  if (val_stream_.size() < size_t(config_.context))
    throw Error("the held-out text (val_bytes) is shorter than one context of tokens: make it longer");
  // The previous-token and sink scores read the first held-out documents.
  pattern_text_ = text.split.validation.substr(0, text.split.validation.find("\n\n", kPatternBytes));

  // 3. The training run, as train_gpt sets it up (train.cpp), with the rate held after
  // warmup; `steps` only shapes a decay that min = max leaves flat.
  train_options_.steps = 1 << 30;
  train_options_.batch_size = options_.batch;
  train_options_.max_lr = train_options_.min_lr = options_.lr;
  train_options_.warmup = options_.warmup;
  train_options_.adamw.weight_decay = options_.weight_decay;
  train_options_.seed = options_.seed;
  train_options_.sinusoid_positions = options_.sinusoid_positions;
  train_options_.repeated_runs.fraction = options_.repeat_fraction;
  train_options_.repeated_runs.vocab_size = config_.vocab_size;
  trainer_ = std::make_unique<GptTrainer>(config_, options_.batch, config_.context);
  trainer_->init_weights(options_.seed, options_.sinusoid_positions);
  sampler_ = std::make_unique<SequenceSampler>(
      training_sampler(config_, train_options_, train_stream_, doc_starts_, tokenizer_->bos_id()));
}

LiveTrainer::~LiveTrainer() = default;

std::vector<float> LiveTrainer::train(int steps) {
  if (steps < 0 || steps > 100'000) throw Error("train() takes 0 to 100000 steps at a time");
  std::vector<float> losses;
  losses.reserve(size_t(steps));
  for (int i = 0; i < steps; ++i, ++steps_)  // train_gpt's own step: batch, forward, backward, clip, AdamW
    losses.push_back(float(train_step(*trainer_, *sampler_, train_options_, steps_, inputs_, targets_).loss));
  return losses;
}

double LiveTrainer::validation_loss(int max_batches) {
  if (max_batches < 1) throw Error("validation_loss needs at least one batch");
  return evaluate_loss(*trainer_, val_stream_, tokenizer_->bos_id(), max_batches).first;
}

Gpt LiveTrainer::model() const { return Gpt(config_, trainer_->weights(), *tokenizer_); }

LiveHeadScores LiveTrainer::head_scores() const {
  const Gpt gpt = model();
  const HeadModel heads = gpt_head_model(gpt);
  LiveHeadScores s;
  const PerHead<PatternScores> patterns = pattern_scores(heads, {pattern_text_});
  s.prev_token = s.first_token = PerHead<float>(config_.n_layer, std::vector<float>(config_.n_head));
  for (int l = 0; l < config_.n_layer; ++l)
    for (int h = 0; h < config_.n_head; ++h) {
      s.prev_token[l][h] = patterns[l][h].prev_token;
      s.first_token[l][h] = patterns[l][h].first_token;
    }
  HeadScoreOptions induction;  // the head analysis's defaults: n = 30, 10 probes, seed 1
  induction.induction_length = std::min(induction.induction_length, (config_.context - 1) / 2);
  RandomProbeScores probes = random_probe_scores(heads, induction);
  s.induction = std::move(probes.induction);
  s.prev_token_random = std::move(probes.prev_token);
  return s;
}

LiveTrainer::Attention LiveTrainer::attention(const std::string& text) const {
  const Trace trace = model().run(text);
  Attention a;
  a.tokens = trace.tokens;
  const size_t T = trace.tokens.size();
  a.weights.reserve(size_t(config_.n_layer) * config_.n_head * T * T);
  for (const LayerTrace& layer : trace.layers)
    for (const HeadTrace& head : layer.heads)
      a.weights.insert(a.weights.end(), head.weights.data(), head.weights.data() + T * T);
  return a;
}

ModelFiles LiveTrainer::files() const { return model().files(DType::F32); }

}  // namespace llmsim
