// llmsim train --out DIR [--log-dir DIR] [options]
// Trains the shipped model from nothing but a seed: generates the corpus
// (corpus.hpp), trains the BPE tokenizer on it, trains the GPT, and writes
//   DIR/config.json, DIR/tokenizer.json, DIR/model.safetensors (F16)
//   LOG/loss.csv (step, loss, val_loss, lr), LOG/validation.txt (held-out text),
//   LOG/training.json (settings, time, losses, the bigram baseline)
// Progress goes to stderr, one line every --print-every steps and at every validation.
//
// A long run survives a stopped session: every --checkpoint-every steps (default 500,
// 0 = never) it saves its whole state to LOG/checkpoint.bin (train.hpp: weights,
// AdamW's moments, the sampler's place, the loss curve so far, and the settings and
// token hashes it was started with). Running the same command again with --resume
// continues from that file and ends bit for bit as the uninterrupted run would, with
// the same outputs (only the timings in training.json differ). The corpus and the
// tokenizer are rebuilt from the options, as they are deterministic; a resume with
// options that would train differently (steps, batch, schedule, seed, shape, corpus,
// threads, ...) is refused with the differences named. --stop-after N (for testing
// resumes) ends the run after step N as a kill would, writing nothing but checkpoints.
#include <climits>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "train/bigram.hpp"
#include "train/corpus.hpp"
#include "error.hpp"
#include "model/gpt.hpp"
#include "parallel.hpp"
#include "train/text_corpus.hpp"
#include "train/text_loss.hpp"
#include "train/train.hpp"

namespace llmsim::cli {

namespace {

struct TrainSettings {
  std::string out_dir, log_dir = "build/tinygpt";
  std::string english_dir;  // --english: the packaged English corpus beside the stories
  std::vector<std::string> heldout_files;  // --heldout: texts scored after training
  bool score_only = false;  // --score-only: score the model in --out, train nothing
  uint64_t seed = 1;
  size_t train_bytes = 12000000, val_bytes = 300000, tokenizer_bytes = 3000000;
  CorpusOptions corpus;
  GptConfig config;
  TrainOptions train;
  int threads = 2;
  int print_every = 25;
  int checkpoint_every = 500;  // steps between LOG/checkpoint.bin saves; 0: none
  bool resume = false;         // --resume: continue from LOG/checkpoint.bin
  int stop_after = 0;          // --stop-after: testing, end after this step as a kill would
};

std::string duration_text(double seconds) {
  const int s = int(std::lround(seconds));
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%dm%02ds", s / 60, s % 60);
  return buffer;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw Error(path + ": cannot write the file");
}

// The baselines a model must beat: unigram and bigram models of the same training
// tokens, add-k smoothed, with k chosen on the validation split. They are scored on
// the sequences the trainer's validation loss reads (evaluate_loss: the first
// max_sequences of the validation stream), so the two figures compare.
struct Baselines {
  BigramModel bigram;  // its BOS row is the unigram (bigram.hpp)
  double best_k = 0, best_val_loss = 1e30;
  nlohmann::json val_loss_by_k = nlohmann::json::object();
};

Baselines fit_baselines(const std::vector<int>& train_stream, const std::vector<int>& val_stream,
                        const GptConfig& config, int bos_id, int max_sequences) {
  Baselines b{BigramModel(train_stream, config.vocab_size, bos_id)};
  std::vector<int> val_inputs, val_targets;
  const int n = consecutive_sequences(val_stream, bos_id, config.context, val_inputs, val_targets);
  if (n > max_sequences) {
    val_inputs.resize(size_t(max_sequences) * config.context);
    val_targets.resize(size_t(max_sequences) * config.context);
  }
  for (double k : {0.001, 0.01, 0.03, 0.1, 0.3, 1.0}) {
    const double loss = b.bigram.mean_loss(val_inputs, val_targets, k);
    b.val_loss_by_k[std::to_string(k).substr(0, 5)] = loss;
    if (loss < b.best_val_loss) b.best_val_loss = loss, b.best_k = k;
  }
  return b;
}

// Held-out texts: the model against the baselines (k from the validation split, not
// from the held-out text), per token and per byte.
nlohmann::json score_heldout(const std::vector<std::string>& files, const Gpt& model,
                             const Baselines& b) {
  auto row = [](const TextLoss& l) {
    return nlohmann::json{{"nats_per_token", l.nats_per_token()}, {"bits_per_byte", l.bits_per_byte()}};
  };
  const int context = model.config().context;
  nlohmann::json heldout = nlohmann::json::array();
  for (const std::string& path : files) {
    const std::string text = read_whole_file(path);
    const TextLoss gpt = gpt_text_loss(model, text);
    heldout.push_back(
        {{"file", path},
         {"bytes", gpt.bytes},
         {"tokens", gpt.tokens},
         {"tokens_per_word", gpt.tokens_per_word()},
         {"model", row(gpt)},
         {"bigram", row(ngram_text_loss(b.bigram, model.tokenizer(), context, text, b.best_k, false))},
         {"unigram", row(ngram_text_loss(b.bigram, model.tokenizer(), context, text, b.best_k, true))}});
    std::cerr << "held-out " << path << ": " << json_text(heldout.back()) << "\n";
  }
  return heldout;
}

// `llmsim train --help`: every option with its default (the shipped run's).
void print_train_help(const TrainSettings& s) {
  std::printf(
      "usage: llmsim train --out DIR [options]   (defaults: the shipped model's run)\n"
      "  --out DIR             where config.json, tokenizer.json, model.safetensors go\n"
      "  --log-dir DIR         loss log and summary (default %s)\n"
      "  --seed N              weights, batches and repeated runs (default %llu)\n"
      "  --threads N           OpenMP threads (default %d)\n"
      "  --vocab N             BPE vocabulary, BOS included (default %d)\n"
      "  --d-model N  --layers N  --heads N  --context N  --d-ff N\n"
      "                        model shape (default %d, %d, %d, %d, %d)\n"
      "  --steps N  --batch N  training length and sequences per step (default %d, %d)\n"
      "  --lr X  --min-lr X  --warmup N  --weight-decay X\n"
      "                        AdamW, cosine schedule (default %g, %g, %d, %g)\n"
      "  --repeat-fraction X   share of synthetic repeated-run sequences (default %g)\n"
      "  --sinusoid-positions  start the position embedding as sinusoids, not random\n"
      "  --train-bytes N  --val-bytes N  --tokenizer-bytes N\n"
      "                        corpus sizes (default %zu, %zu, %zu)\n"
      "  --word-game on|off    the \"snap\" word game in the corpus (default %s)\n"
      "  --english DIR         add the English corpus of ./build.sh corpus (build/corpus/english);\n"
      "                        --train-bytes is then the generated stories' share\n"
      "  --heldout FILE        after training, score FILE (repeatable) with the model and\n"
      "                        with unigram and bigram baselines of the same tokens\n"
      "  --score-only          train nothing: score the --heldout files with the model in\n"
      "                        --out, which these same options trained\n"
      "  --eval-every N  --print-every N   validation and progress lines (default %d, %d)\n"
      "  --checkpoint-every N  save the run's state to LOG/checkpoint.bin every N steps\n"
      "                        (default %d; 0: never)\n"
      "  --resume              continue the run saved in LOG/checkpoint.bin; give the same\n"
      "                        other options (a change that would alter the result is an\n"
      "                        error): it ends bit for bit as the uninterrupted run\n"
      "  --stop-after N        for testing --resume: stop after step N as a kill would,\n"
      "                        writing only checkpoints\n",
      s.log_dir.c_str(), static_cast<unsigned long long>(s.seed), s.threads, s.config.vocab_size,
      s.config.d_model, s.config.n_layer, s.config.n_head, s.config.context, s.config.d_ff,
      s.train.steps, s.train.batch_size, double(s.train.max_lr), double(s.train.min_lr),
      s.train.warmup, double(s.train.adamw.weight_decay), double(s.train.repeated_runs.fraction),
      s.train_bytes, s.val_bytes, s.tokenizer_bytes, s.corpus.word_game ? "on" : "off",
      s.train.eval_every, s.print_every, s.checkpoint_every);
}

}  // namespace

int train_command(const Args& args) {
  // The defaults are the shipped model's run (web/models/README.md), so
  // `llmsim train --out DIR --threads 1` retrains web/models/tinygpt (bit for bit
  // only with the binary that trained it: see the note on determinism in train.hpp).
  TrainSettings s;
  s.config.vocab_size = 768;  // colours, animals and numbers whole tokens (models README)
  s.config.n_layer = 3;
  s.train.steps = 12000;
  s.train.batch_size = 16;
  s.train.max_lr = 3.75e-3f;  // with the game: a 0.82 sink and a semantic head (models README)
  s.train.min_lr = 1e-4f;
  s.train.warmup = 200;
  s.train.eval_every = 1000;
  s.print_every = 500;
  s.train.repeated_runs.fraction = 0.25;  // synthetic induction data, train.hpp
  s.corpus.word_game = true;               // grows the semantic head (corpus.hpp)
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto integer = [&] { return parse_int(a, option_value(args, i), 0, INT_MAX); };
    auto number = [&] { return float(parse_double(a, option_value(args, i), 0.0, 1e6)); };
    if (a == "--help" || a == "-h") {
      print_train_help(s);
      return 0;
    }
    if (a == "--out") s.out_dir = option_value(args, i);
    else if (a == "--log-dir") s.log_dir = option_value(args, i);
    else if (a == "--seed") s.seed = parse_u64(a, option_value(args, i));
    else if (a == "--train-bytes") s.train_bytes = parse_u64(a, option_value(args, i));
    else if (a == "--val-bytes") s.val_bytes = parse_u64(a, option_value(args, i));
    else if (a == "--tokenizer-bytes") s.tokenizer_bytes = parse_u64(a, option_value(args, i));
    else if (a == "--english") s.english_dir = option_value(args, i);
    else if (a == "--heldout") s.heldout_files.push_back(option_value(args, i));
    else if (a == "--score-only") s.score_only = true;
    else if (a == "--word-game") {
      const std::string v = option_value(args, i);
      if (v != "on" && v != "off") throw Error("--word-game takes on or off, not \"" + v + "\"");
      s.corpus.word_game = v == "on";
    } else if (a == "--vocab") s.config.vocab_size = integer();
    else if (a == "--d-model") s.config.d_model = integer();
    else if (a == "--layers") s.config.n_layer = integer();
    else if (a == "--heads") s.config.n_head = integer();
    else if (a == "--context") s.config.context = integer();
    else if (a == "--d-ff") s.config.d_ff = integer();
    else if (a == "--steps") s.train.steps = integer();
    else if (a == "--batch") s.train.batch_size = integer();
    else if (a == "--lr") s.train.max_lr = number();
    else if (a == "--min-lr") s.train.min_lr = number();
    else if (a == "--warmup") s.train.warmup = integer();
    else if (a == "--weight-decay") s.train.adamw.weight_decay = number();
    else if (a == "--sinusoid-positions") s.train.sinusoid_positions = true;
    else if (a == "--eval-every") s.train.eval_every = integer();
    else if (a == "--repeat-fraction") s.train.repeated_runs.fraction = number();
    else if (a == "--threads") s.threads = integer();
    else if (a == "--print-every") s.print_every = integer();
    else if (a == "--checkpoint-every") s.checkpoint_every = integer();
    else if (a == "--resume") s.resume = true;
    else if (a == "--stop-after") s.stop_after = integer();
    else throw Error("unknown argument \"" + a + "\" for train");
  }
  if (s.out_dir.empty()) throw Error("train needs --out DIR (e.g. web/models/tinygpt)");
  if (s.threads < 1) throw Error("--threads must be at least 1");
  if (s.print_every < 1) throw Error("--print-every must be at least 1");
  if (s.checkpoint_every < 0) throw Error("--checkpoint-every must be 0 (never) or more");
  if (s.stop_after < 0) throw Error("--stop-after must be 0 (run to the end) or more");
  for (const std::string& dir : {s.out_dir, s.log_dir}) {
    if (std::filesystem::exists(dir) && !std::filesystem::is_directory(dir))
      throw Error(dir + " exists and is not a folder (--out and --log-dir name folders)");
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) throw Error("cannot create the folder " + dir + ": " + error.message());
  }
  set_threads(s.threads);
  s.train.seed = s.seed;
  const auto start = std::chrono::steady_clock::now();
  auto since_start = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  std::cerr << "generating the corpus (seed " << s.seed
            << (s.corpus.word_game ? ", with the word game" : "") << ")...\n";
  const TrainingText text =
      training_text(s.seed, s.train_bytes, s.val_bytes, s.corpus, s.english_dir);
  const CorpusSplit& corpus = text.split;
  const nlohmann::json& english_report = text.english;
  if (!english_report.is_null())
    std::cerr << "English corpus: " << english_report["english_train_bytes"] << " bytes ("
              << english_report["modern_train_bytes"] << " modern), stories "
              << english_report["story_train_bytes"] << " bytes: modern English is "
              << english_report["modern_share"].get<double>() << " of the text\n";
  const std::string tokenizer_text = tokenizer_training_text(text, s.tokenizer_bytes);
  std::cerr << "training the tokenizer on " << tokenizer_text.size() << " bytes...\n";
  const BpeTokenizer tokenizer = BpeTokenizer::train(tokenizer_text, s.config.vocab_size);
  s.config.vocab_size = tokenizer.vocab_size();  // may stop short of the request
  std::vector<int> train_stream, val_stream;
  std::vector<size_t> doc_starts, val_doc_starts;
  encode_documents(tokenizer, corpus.train, train_stream, doc_starts);
  encode_documents(tokenizer, corpus.validation, val_stream, val_doc_starts);
  const double prepare_seconds = since_start();
  std::cerr << "corpus: " << corpus.train.size() << " bytes, " << train_stream.size()
            << " tokens in " << doc_starts.size() << " documents; validation "
            << val_stream.size() << " tokens; ready in " << duration_text(prepare_seconds) << "\n"
            << "model: " << s.config.to_json().dump() << ", " << s.config.parameter_count()
            << " parameters; " << s.train.steps << " steps of " << s.train.batch_size << " x "
            << s.config.context << " tokens, " << s.threads << " threads\n";

  if (s.score_only) {
    // Nothing is trained: the model these options trained (in --out) is scored.
    const Gpt model = Gpt::load(s.out_dir);
    if (!model.bpe_tokenizer() || model.bpe_tokenizer()->merges() != tokenizer.merges())
      throw Error(s.out_dir + " was not trained with these options: its tokenizer differs from "
                              "the one they make");
    const Baselines baselines = fit_baselines(train_stream, val_stream, s.config, tokenizer.bos_id(),
                                                s.train.batch_size * s.train.eval_batches);
    std::cout << json_text(nlohmann::json{{"bigram_best_k", baselines.best_k},
                                {"bigram_val_loss", baselines.best_val_loss},
                                {"heldout", score_heldout(s.heldout_files, model, baselines)}}) << "\n";
    return 0;
  }

  // The run's state goes to LOG/checkpoint.bin as it trains, and --resume reads it back
  // (train.hpp checks that these options would continue the same run).
  CheckpointOptions checkpoint;
  checkpoint.path = s.log_dir + "/checkpoint.bin";
  checkpoint.every = s.checkpoint_every;
  checkpoint.resume = s.resume;
  checkpoint.stop_after = s.stop_after;
  checkpoint.on_resume = [&](int step) {
    std::cerr << "resuming at step " << step << " of " << s.train.steps << " from "
              << checkpoint.path << "\n";
  };
  if (!s.resume && s.checkpoint_every > 0 && s.checkpoint_every <= s.train.steps &&
      std::filesystem::exists(checkpoint.path))
    std::cerr << "note: " << checkpoint.path << " holds an earlier run's checkpoint; this run "
              << "starts afresh and replaces it at step " << s.checkpoint_every
              << " (--resume would continue that run)\n";
  int last_checkpoint = 0;
  const TrainResult result = train_gpt(
      s.config, s.train, train_stream, doc_starts, val_stream, tokenizer.bos_id(), checkpoint,
      [&](const TrainProgress& p) {
        if (p.step % s.print_every == 0 || p.val_loss >= 0 || p.step == 1) {
          char line[256];
          std::snprintf(line, sizeof line, "step %5d/%d | loss %.4f | %s | lr %.2e | %6.0f tok/s | %s, eta %s",
                        p.step, p.steps, p.loss,
                        p.val_loss >= 0 ? ("val " + std::to_string(p.val_loss).substr(0, 6)).c_str()
                                        : "          ",
                        p.learning_rate, p.tokens_per_second, duration_text(p.elapsed_seconds).c_str(),
                        duration_text(p.eta_seconds).c_str());
          std::cerr << line << std::endl;
        }
        if (p.checkpoint_written) {
          last_checkpoint = p.step;
          std::cerr << "checkpoint: step " << p.step << " saved to " << checkpoint.path << std::endl;
        }
      });
  if (!result.complete) {
    // --stop-after: as after a kill, only the checkpoints are written.
    const int resumable = last_checkpoint > 0 ? last_checkpoint : result.resumed_from;
    std::cerr << "stopped after step " << result.curve.size() << " of " << s.train.steps
              << " (--stop-after); "
              << (resumable > 0 ? "--resume continues from the checkpoint at step " +
                                      std::to_string(resumable)
                                : std::string("no checkpoint was written"))
              << "\n";
    return 0;
  }
  const double train_seconds = result.curve.empty() ? 0 : result.curve.back().elapsed_seconds;

  const Gpt model(s.config, result.weights, tokenizer);
  model.save(s.out_dir);
  const Baselines baselines = fit_baselines(train_stream, val_stream, s.config, tokenizer.bos_id(),
                                                s.train.batch_size * s.train.eval_batches);
  const nlohmann::json heldout = score_heldout(s.heldout_files, model, baselines);
  std::ofstream csv(s.log_dir + "/loss.csv");
  if (!csv) throw Error(s.log_dir + "/loss.csv: cannot write (does the folder exist?)");
  csv << "step,loss,val_loss,lr\n";
  for (const TrainProgress& p : result.curve)
    csv << p.step << "," << p.loss << "," << (p.val_loss >= 0 ? std::to_string(p.val_loss) : "")
        << "," << p.learning_rate << "\n";
  write_text(s.log_dir + "/validation.txt", corpus.validation);
  const nlohmann::json report = {
      {"config", s.config.to_json()},
      {"parameters", s.config.parameter_count()},
      {"seed", s.seed},
      {"steps", s.train.steps},
      {"batch_size", s.train.batch_size},
      {"max_lr", s.train.max_lr},
      {"min_lr", s.train.min_lr},
      {"warmup", s.train.warmup},
      {"weight_decay", s.train.adamw.weight_decay},
      {"repeat_fraction", s.train.repeated_runs.fraction},
      {"sinusoid_positions", s.train.sinusoid_positions},
      {"threads", s.threads},
      {"word_game", s.corpus.word_game},
      {"english", english_report},
      {"train_bytes", corpus.train.size()},
      {"train_tokens", train_stream.size()},
      {"validation_tokens", val_stream.size()},
      {"tokens_seen", int64_t(s.train.steps) * s.train.batch_size * s.config.context},
      {"prepare_seconds", prepare_seconds},
      {"train_seconds", train_seconds},
      {"tokens_per_second", result.curve.empty() ? 0 : result.curve.back().tokens_per_second},
      {"final_train_loss", result.curve.empty() ? 0 : result.curve.back().loss},
      {"final_val_loss", result.final_val_loss},
      {"bigram_val_loss_by_k", baselines.val_loss_by_k},
      {"bigram_best_k", baselines.best_k},
      {"bigram_val_loss", baselines.best_val_loss},
      {"heldout", heldout},
  };
  write_text(s.log_dir + "/training.json", report.dump(2) + "\n");
  std::cerr << "done in " << duration_text(since_start()) << ": validation loss "
            << result.final_val_loss << " (bigram baseline " << baselines.best_val_loss
            << " at k = " << baselines.best_k
            << "); wrote " << s.out_dir << " and " << s.log_dir << "\n";
  std::cout << json_text(report) << "\n";
  return 0;
}

}  // namespace llmsim::cli
