// Embind bindings: the core's Simulator, as JS sees it. No logic lives here.
//
// Errors: a C++ exception must not cross into JS: in Emscripten 3.1.6 it arrives as a
// bare number and leaks the WASM stack it unwound (enough of them and the module
// dies). So every entry point runs its body inside guarded(), which catches
// everything and returns {"error": "..."} as its JSON (matrix() returns {error}).
// Messages are written by json_text, which cannot throw on bytes that are not UTF-8.
// web/src/engine.js turns both into a JS Error with that message.
//
// Lifetime: `new Module.Simulator()` owns C++ memory that JS's garbage collector
// cannot see; call `.delete()` when done. Arrays from matrix() are views into that
// memory (no copy): valid until the next run() or delete(), and detached if the
// WASM memory grows, so copy them (engine.js does) before calling anything else.
#include <emscripten/bind.h>
#include <emscripten/val.h>
#include <malloc.h>
#include <new>

#include <memory>
#include <string>
#include <vector>

#include "error.hpp"
#include "heads/labels.hpp"
#include "heads/rollout.hpp"
#include "io/json_number.hpp"
#include "io/json_text.hpp"
#include "io/trace_json.hpp"
#include "model/gpt_stream.hpp"
#include "model/token_cap.hpp"
#include "simulator/model_registry.hpp"
#include "simulator/scaling_lab.hpp"
#include "simulator/simulator.hpp"

using emscripten::val;
using nlohmann::json;

namespace {

std::string error_json(const std::string& message) {
  return llmsim::json_text(json{{"error", message}});
}

// Runs `body` (which returns the entry point's JSON text) and turns any exception
// into {"error"}. The only try/catch of this file: every entry point goes through it.
template <class Body>
std::string guarded(Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return error_json(e.what());
  } catch (...) {
    return error_json("unexpected failure in the simulator core");
  }
}

val error_object(const std::string& message) {
  val result = val::object();
  result.set("error", message);
  return result;
}

val float_view(const llmsim::Matrix& m) {
  return val(emscripten::typed_memory_view(size_t(m.size()), m.data()));
}

class SimulatorBinding {
 public:
  // Runs the model; returns a JSON summary of the Trace (no matrices) or {"error"}.
  std::string run(const std::string& text, const std::string& options_json) {
    return guarded([&] {
      const llmsim::Trace& trace = simulator_.run(text, llmsim::parse_run_options(options_json));
      return llmsim::json_text(llmsim::trace_to_json_summary(trace));
    });
  }

  // One matrix of the last Trace as a Float32Array view, row-major.
  //   head-level: "q", "k", "v" [T, d_k], "scores", "scaled", "weights" [T, T], "output" [T, d_k],
  //               "value_norms" [T], "contributions" [T, T] (model/contributions.hpp)
  //   layer-level (head ignored): "input", "concat", "layer_output" [T, d_model]
  val matrix(const std::string& name, int layer, int head) {
    try {
      return matrix_view(name, layer, head);
    } catch (...) {  // only allocation can fail here; still, nothing may cross into JS
      return error_object("unexpected failure reading matrix \"" + llmsim::utf8_cut(name, 40) + "\"");
    }
  }

  // One attention weight matrix of the last run's model, "w_q", "w_k", "w_v" or "w_o"
  // [d_model, d_model] (rows are inputs: q = x·W_Q), as a Float32Array view.
  val weight(const std::string& name, int layer) {
    try {
      const llmsim::AttentionWeights& w = simulator_.attention_weights(layer);
      if (name == "w_q") return float_view(w.w_q);
      if (name == "w_k") return float_view(w.w_k);
      if (name == "w_v") return float_view(w.w_v);
      if (name == "w_o") return float_view(w.w_o);
      return error_object("no weight named \"" + llmsim::utf8_cut(name, 40) + "\" (w_q, w_k, w_v, w_o)");
    } catch (const std::exception& e) {
      return error_object(e.what());
    } catch (...) {
      return error_object("unexpected failure reading weight \"" + llmsim::utf8_cut(name, 40) + "\"");
    }
  }

  // Attention rollout through layers 0..layer of the last Trace (heads/rollout.hpp),
  // [T, T], as a Float32Array view valid until the next call. `path`: "" for the mean
  // of each layer's heads, or a JSON list of one head per layer (−1: that layer's mean).
  val rollout(int layer, const std::string& path_json) {
    try {
      std::vector<int> path;
      if (!path_json.empty()) {
        const json j = json::parse(path_json, nullptr, /*allow_exceptions=*/false);
        if (!j.is_array()) return error_object("a rollout path is a JSON list of heads, like [0, -1, 2]");
        for (const json& head : j) path.push_back(llmsim::json_int(head, "a rollout path's head", -1, 1024));
      }
      rollout_ = llmsim::attention_rollout(simulator_.trace(), layer, path);
      return float_view(rollout_);
    } catch (const std::exception& e) {
      return error_object(e.what());
    } catch (...) {
      return error_object("unexpected failure computing the rollout");
    }
  }

  // The whole last Trace as JSON, the same shape as `llmsim trace` prints.
  std::string trace_json() {
    return guarded([&] { return llmsim::json_text(llmsim::trace_to_json(simulator_.trace())); });
  }

 private:
  val matrix_view(const std::string& name, int layer, int head) {
    const llmsim::Trace& trace = simulator_.trace();
    if (layer < 0 || layer >= int(trace.layers.size()))
      return error_object("layer " + std::to_string(layer) + " does not exist (the model has " +
                          std::to_string(trace.layers.size()) + " layers)");
    const llmsim::LayerTrace& l = trace.layers[layer];
    if (name == "input") return float_view(l.input);
    if (name == "concat") return float_view(l.concat);
    if (name == "layer_output") return float_view(l.output);
    if (head < 0 || head >= int(l.heads.size()))
      return error_object("head " + std::to_string(head) + " does not exist (layer " +
                          std::to_string(layer) + " has " + std::to_string(l.heads.size()) +
                          " heads)");
    const llmsim::HeadTrace& h = l.heads[head];
    if (name == "q") return float_view(h.q);
    if (name == "k") return float_view(h.k);
    if (name == "v") return float_view(h.v);
    if (name == "scores") return float_view(h.scores);
    if (name == "scaled") return float_view(h.scaled);
    if (name == "weights") return float_view(h.weights);
    if (name == "output") return float_view(h.output);
    if (name == "value_norms") return val(emscripten::typed_memory_view(size_t(h.value_norms.size()), h.value_norms.data()));
    if (name == "contributions") return float_view(h.contributions);
    return error_object("no matrix named \"" + llmsim::utf8_cut(name, 40) + "\"");
  }

  llmsim::Simulator simulator_;
  llmsim::Matrix rollout_;  // the last rollout, which rollout()'s view shows
};

// The sqrt(d_k) lab: {"d_ks": [...], "n_keys": 16, "draws": 200, "seed": 1} in,
// {"points": [{"d_k", "unscaled": {...}, "scaled": {...}}]} or {"error"} out.
std::string scaling_lab(const std::string& request_json) {
  return guarded([&] {
    const llmsim::ScalingRequest r = llmsim::parse_scaling_request(request_json);
    const auto points = llmsim::scaling_experiment(r.d_ks, r.n_keys, r.draws, r.seed);
    return llmsim::json_text(llmsim::scaling_points_to_json(points));
  });
}

// Loads a trained model into the registry every Simulator shares, from the contents of
// its three files; the weights not as an argument, which Embind copies with a JS loop
// over every byte (see ModelStream::inbox), but through an inbox: modelInbox(n) gives
// the address of a buffer of n bytes (0 if the memory cannot hold it), the caller
// writes model.safetensors there with module.HEAPU8.set, and loadModelInbox loads the
// model from it (and frees it). Returns "" or {"error"}.
static std::string& weights_inbox() {
  static std::string inbox;
  return inbox;
}

size_t model_inbox(size_t n) {
  try {
    weights_inbox().resize(n);
  } catch (const std::bad_alloc&) {
    std::string().swap(weights_inbox());
    return 0;
  }
  return reinterpret_cast<size_t>(weights_inbox().data());
}

std::string load_model_inbox(const std::string& name, const std::string& title, const std::string& config,
                             const std::string& tokenizer) {
  std::string weights;
  weights.swap(weights_inbox());
  return guarded([&] {
    llmsim::model_registry().load(name, title, config, tokenizer, weights);
    return std::string();
  });
}

// A model folder whose model.safetensors arrives in pieces (GptStream,
// model/gpt_stream.hpp), so the module never holds the whole file beside the weights:
//   const s = new Module.ModelStream();
//   s.begin(config, tokenizer, head)   // head: the file's first bytes, through its header
//   s.feed(bytes) ...                  // the whole file from byte 0, in order (Uint8Array)
//   s.install(name, title)             // the model joins the registry
//   s.delete()
// Each returns "" or {"error"}; after an error the stream is dropped.
class ModelStream {
 public:
  std::string begin(const std::string& config, const std::string& tokenizer, const std::string& head) {
    return guarded([&] {
      stream_.reset();
      stream_ = std::make_unique<llmsim::GptStream>(config, tokenizer, reinterpret_cast<const uint8_t*>(head.data()),
                                                    head.size());
      return std::string();
    });
  }
  std::string feed(const std::string& bytes) {
    return step([&] { stream_->feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()); });
  }
  // The same without Embind's copy of a Uint8Array into a std::string, which is a JS
  // loop over every byte (about 1.9 s for GPT-2 small's 498 MB in Node, against 25 ms
  // for HEAPU8.set): inbox(n) gives the address of the stream's own buffer of n bytes,
  // the caller writes the piece there (module.HEAPU8.set, after the call: the buffer
  // may have grown the memory), and feedInbox(n) feeds those n bytes.
  size_t inbox(size_t n) {
    inbox_.resize(n);
    return reinterpret_cast<size_t>(inbox_.data());
  }
  std::string feed_inbox(size_t n) {
    return step([&] {
      if (n > inbox_.size())
        throw llmsim::Error("feedInbox(" + std::to_string(n) + ") is more than the inbox's " +
                            std::to_string(inbox_.size()) + " bytes");
      stream_->feed(inbox_.data(), n);
    });
  }
  std::string install(const std::string& name, const std::string& title) {
    return step([&] {
      llmsim::Gpt gpt = stream_->finish();
      stream_.reset();  // its buffers go before the model settles in
      std::vector<uint8_t>().swap(inbox_);
      llmsim::model_registry().add(name, title, std::move(gpt));
    });
  }

 private:
  template <class Step>
  std::string step(Step&& f) {
    const std::string result = guarded([&] {
      if (!stream_) throw llmsim::Error("no model is being read: begin() first");
      f();
      return std::string();
    });
    if (!result.empty()) stream_.reset();
    return result;
  }
  std::unique_ptr<llmsim::GptStream> stream_;
  std::vector<uint8_t> inbox_;
};

// What loading a model folder needs (checkpoint_size, model/gpt.hpp), from its
// config.json and the first bytes of model.safetensors (a Uint8Array), as JSON
// {"parameters", "file_bytes", "peak_bytes"} or {"error"}. peak_bytes adds to the
// core's one piece of the file (8 MiB: web/src/open-model.js, PIECE_BYTES), which
// Embind copies into the module's memory for ModelStream::feed.
std::string checkpoint_size(const std::string& config, const std::string& header) {
  return guarded([&] {
    const llmsim::CheckpointSize s = llmsim::checkpoint_size(
        config, reinterpret_cast<const uint8_t*>(header.data()), header.size());
    return llmsim::json_text(nlohmann::json{{"parameters", s.parameters}, {"file_bytes", s.file_bytes},
                                            {"peak_bytes", s.peak_bytes + (uint64_t(8) << 20)}});
  });
}

// The head-analysis probes of one model (its probe folder's files, e.g.
// web/probes/english/*.txt; `repeated` may be ""). Returns "" or {"error"}.
std::string set_probes(const std::string& model, const std::string& syntax,
                       const std::string& semantic, const std::string& validation,
                       const std::string& repeated) {
  return guarded([&] {
    llmsim::model_registry().set_probes(model, syntax, semantic, validation, repeated);
    return std::string();
  });
}

// [{"name", "title", "n_layer", "n_head", "d_model", "context", "token_cap", "vocab_size"}]
// of the loaded trained models (token_cap: model/token_cap.hpp).
std::string list_models() {
  return guarded([&] {
    json list = json::array();
    for (const llmsim::LoadedModel* m : llmsim::model_registry().models()) {
      const llmsim::GptConfig& c = m->gpt().config();
      list.push_back({{"name", m->name()}, {"title", m->title()}, {"n_layer", c.n_layer},
                      {"n_head", c.n_head}, {"d_model", c.d_model}, {"context", c.context},
                      {"token_cap", llmsim::token_cap(c)}, {"vocab_size", c.vocab_size}});
    }
    return llmsim::json_text(list);
  });
}

// Every head's measured scores, label and reason (computed once per model).
std::string head_report(const std::string& name) {
  return guarded([&] {
    llmsim::LoadedModel& model = llmsim::model_registry().get(name);
    const auto& probes = llmsim::model_registry().probes(name);
    return llmsim::json_text(llmsim::head_reports_to_json(model.head_reports(probes)));
  });
}

// Bytes of the WASM heap currently allocated by malloc: lets tests prove that
// runs and deletes leave nothing behind.
int heap_in_use() { return int(mallinfo().uordblks); }

}  // namespace

EMSCRIPTEN_BINDINGS(llmsim) {
  emscripten::class_<SimulatorBinding>("Simulator")
      .constructor<>()
      .function("run", &SimulatorBinding::run)
      .function("matrix", &SimulatorBinding::matrix)
      .function("weight", &SimulatorBinding::weight)
      .function("rollout", &SimulatorBinding::rollout)
      .function("traceJson", &SimulatorBinding::trace_json);
  emscripten::class_<ModelStream>("ModelStream")
      .constructor<>()
      .function("begin", &ModelStream::begin)
      .function("inbox", &ModelStream::inbox)
      .function("feedInbox", &ModelStream::feed_inbox)
      .function("feed", &ModelStream::feed)
      .function("install", &ModelStream::install);
  emscripten::function("heapInUse", &heap_in_use);
  emscripten::function("scalingLab", &scaling_lab);
  emscripten::function("modelInbox", &model_inbox);
  emscripten::function("loadModelInbox", &load_model_inbox);
  emscripten::function("checkpointSize", &checkpoint_size);
  emscripten::function("setProbes", &set_probes);
  emscripten::function("listModels", &list_models);
  emscripten::function("headReport", &head_report);
  emscripten::constant("maxTokens", llmsim::kMaxTokens);
}
