// Embind bindings of the trainer module (build/wasm/llmsim-train.js), which the
// page's Train view runs in a worker of its own (web/src/train/host.js): the core's
// LiveTrainer, as JS sees it. No logic lives here.
//
// Errors, as in bindings.cpp: no C++ exception may cross into JS (Emscripten 3.1.6
// hands JS a bare number and leaks the unwound stack), so every entry point runs
// inside guarded() and answers { error: "..." } instead; host.js turns that into a
// JS Error. A LiveTrainer is made by start(), not by the constructor, for the same
// reason: a constructor cannot answer with an error.
//
// Arrays handed to JS are copies (Float32Array, Uint8Array) that stay valid whatever
// the trainer does next. `new Module.Trainer()` owns C++ memory: `.delete()` it.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <memory>
#include <string>

#include "error.hpp"
#include "io/json_text.hpp"
#include "train/live_trainer.hpp"

using emscripten::val;
using nlohmann::json;

namespace {

val error_object(const std::string& message) {
  val result = val::object();
  result.set("error", message);
  return result;
}

// Runs `body` (which returns the entry point's answer) and turns any exception into
// { error }. The only try/catch of this file.
template <class Body>
val guarded(Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return error_object(e.what());
  } catch (...) {
    return error_object("unexpected failure in the trainer");
  }
}

template <class T>
val copy_of(const char* js_type, const T* data, size_t n) {
  return val::global(js_type).new_(emscripten::typed_memory_view(n, data));
}

class Trainer {
 public:
  // A new run with these options (LiveTrainerOptions' JSON keys; defaults for the
  // rest): the corpus, tokenizer and initial weights. true, or { error }.
  val start(const std::string& options_json) {
    return guarded([&] {
      trainer_.reset();
      const json parsed = json::parse(options_json, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_discarded()) throw llmsim::Error("the trainer's options are not JSON");
      trainer_ = std::make_unique<llmsim::LiveTrainer>(llmsim::LiveTrainerOptions::from_json(parsed));
      return val(true);
    });
  }

  // `steps` steps; their training losses as a Float32Array.
  val train(int steps) {
    return guarded([&] {
      const std::vector<float> losses = run().train(steps);
      return copy_of("Float32Array", losses.data(), losses.size());
    });
  }

  val validationLoss(int max_batches) {
    return guarded([&] { return val(run().validation_loss(max_batches)); });
  }

  // { prev_token, first_token, induction }, each [layer][head] arrays of numbers.
  val headScores() {
    return guarded([&] {
      const llmsim::LiveHeadScores s = run().head_scores();
      return val::global("JSON").call<val>("parse", llmsim::json_text(json{
          {"prev_token", s.prev_token}, {"first_token", s.first_token}, {"induction", s.induction},
          {"prev_token_random", s.prev_token_random}}));
    });
  }

  // { tokens: [string], weights: Float32Array [layers · heads · T · T] } on `text`.
  val attention(const std::string& text) {
    return guarded([&] {
      const llmsim::LiveTrainer::Attention a = run().attention(text);
      val result = val::object();
      result.set("tokens", val::global("JSON").call<val>("parse", llmsim::json_text(json(a.tokens))));
      result.set("weights", copy_of("Float32Array", a.weights.data(), a.weights.size()));
      return result;
    });
  }

  // { safetensors: Uint8Array, tokenizer: string, config: string }: a model folder.
  val exportFiles() {
    return guarded([&] {
      const llmsim::ModelFiles files = run().files();
      val result = val::object();
      result.set("safetensors", copy_of("Uint8Array", files.safetensors.data(), files.safetensors.size()));
      result.set("tokenizer", files.tokenizer);
      result.set("config", files.config);
      return result;
    });
  }

  // { steps, tokensPerStep, parameters, options (the run's, all keys) }.
  val state() {
    return guarded([&] {
      const llmsim::LiveTrainer& t = run();
      json options = t.options().to_json();
      options["vocab"] = t.config().vocab_size;  // as the tokenizer made it
      val result = val::object();
      result.set("steps", t.steps_taken());
      result.set("tokensPerStep", t.tokens_per_step());
      result.set("parameters", double(t.parameter_count()));
      result.set("options", val::global("JSON").call<val>("parse", llmsim::json_text(options)));
      return result;
    });
  }

 private:
  llmsim::LiveTrainer& run() {
    if (!trainer_) throw llmsim::Error("no training run: start() one first");
    return *trainer_;
  }
  std::unique_ptr<llmsim::LiveTrainer> trainer_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(llmsim_train) {
  emscripten::class_<Trainer>("Trainer")
      .constructor<>()
      .function("start", &Trainer::start)
      .function("train", &Trainer::train)
      .function("validationLoss", &Trainer::validationLoss)
      .function("headScores", &Trainer::headScores)
      .function("attention", &Trainer::attention)
      .function("exportFiles", &Trainer::exportFiles)
      .function("state", &Trainer::state);
}
