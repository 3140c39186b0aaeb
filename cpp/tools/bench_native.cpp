// The native side of `npm run bench` (tests/bench/bench.js): a small server on
// stdin/stdout, so the JS driver can interleave native samples with WASM ones.
// One command per line, one answer line each ("error: ..." on failure):
//   load T D H FILE    inputs: x [T, D] then W_Q, W_K, W_V, W_O [D, D], float32 LE
//   run REPS MODE      runs the layer REPS times; answers "WALL_MS CPU_MS", the elapsed
//                      wall-clock and process CPU time
//                      MODE: full (attention_forward, the full Trace) or lean
//                      (store_head_matrices = false)
//   write FILE         writes the last output [T, D] as float32 LE; answers "ok"
//   quit
//
// Or, for the whole model (a fresh process per run, so its peak memory is its own):
//   llmsim_bench_native gpt MODEL T REPS LOGITS_FILE
// MODEL is a folder with config.json, tokenizer.json and model.safetensors, or a
// config .json file alone (random weights of that shape, random_gpt_weights). Runs
// gpt_forward REPS times on T tokens with the full Trace, writes the last logits
// [T, V] as float32 LE and prints "WALL_MS CPU_MS PEAK_RSS_KB" (times per run; the
// peak resident set of the whole process, VmHWM).
//
// Or, for the training step (`npm run bench:train`, tests/bench/train.js):
//   llmsim_bench_native train CONFIG_JSON B T STEPS
// Runs one warm-up step of TrainStepBench (bench_train_step.hpp) and then STEPS more;
// prints "WALL_MS CPU_MS FIRST_LOSS" (times per step; the loss of the warm-up step,
// which the WASM side checks its own against).
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>


#include "bench_gpt_model.hpp"
#include "bench_train_step.hpp"
#include "error.hpp"
#include "model/attention.hpp"
#include "model/gpt.hpp"

using namespace llmsim;

namespace {

struct State {
  int T = 0, d = 0, h = 1;
  Matrix x;
  AttentionWeights w;
  LayerTrace trace;
};

bool read_matrix(std::istream& in, Matrix& m, int rows, int cols) {
  m.resize(rows, cols);
  in.read(reinterpret_cast<char*>(m.data()), std::streamsize(sizeof(float)) * rows * cols);
  return bool(in);
}

std::string handle(State& s, const std::string& line) {
  std::istringstream args(line);
  std::string command;
  args >> command;
  if (command == "load") {
    std::string file;
    args >> s.T >> s.d >> s.h >> file;
    std::ifstream in(file, std::ios::binary);
    if (!in) return "error: cannot open " + file;
    bool ok = read_matrix(in, s.x, s.T, s.d);
    for (Matrix* m : {&s.w.w_q, &s.w.w_k, &s.w.w_v, &s.w.w_o}) ok = ok && read_matrix(in, *m, s.d, s.d);
    return ok ? "ok" : "error: " + file + " is shorter than the sizes need";
  }
  if (command == "run") {
    int reps = 1;
    std::string mode = "full";
    args >> reps >> mode;
    AttentionOptions options;
    options.store_head_matrices = mode != "lean";
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    for (int r = 0; r < reps; ++r) attention_forward(s.x, s.w, s.h, options, s.trace);
    const double cpu_ms = 1000.0 * double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
    char answer[64];
    std::snprintf(answer, sizeof answer, "%.6f %.6f", elapsed.count(), cpu_ms);
    return answer;
  }
  if (command == "write") {
    std::string file;
    args >> file;
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(s.trace.output.data()),
              std::streamsize(sizeof(float)) * s.trace.output.size());
    return out ? "ok" : "error: cannot write " + file;
  }
  return "error: unknown command \"" + command + "\"";
}

}  // namespace

// This process's peak resident set, from /proc (getrusage's ru_maxrss survives exec on
// Linux, so a child of Node would report Node's own peak).
long peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

int run_gpt(const std::string& model, int T, int reps, const std::string& logits_file) {
  GptConfig config;
  GptWeights weights;
  if (model.size() > 5 && model.substr(model.size() - 5) == ".json") {
    std::ifstream in(model);
    config = GptConfig::from_json(nlohmann::json::parse(in), model);
    weights = random_gpt_weights(config, 1, 0.02f);
  } else {
    Gpt gpt = Gpt::load(model);
    config = gpt.config();
    weights = gpt.weights();
  }
  const std::vector<int> ids = bench_token_ids(T, config.vocab_size);
  Trace trace;
  gpt_forward(config, weights, ids, ModelRun{}, trace);  // warm-up
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (int r = 0; r < reps; ++r) gpt_forward(config, weights, ids, ModelRun{}, trace);
  const double cpu_ms = 1000.0 * double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const std::chrono::duration<double, std::milli> wall = std::chrono::steady_clock::now() - start;
  std::ofstream out(logits_file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(trace.logits.data()),
            std::streamsize(sizeof(float)) * trace.logits.size());
  std::printf("%.6f %.6f %ld\n", wall.count() / reps, cpu_ms / reps, peak_rss_kb());
  return out ? 0 : 1;
}

int run_train(const std::string& config_file, int B, int T, int steps) {
  std::ifstream in(config_file);
  if (!in) throw Error("cannot open " + config_file);
  const GptConfig config = GptConfig::from_json(nlohmann::json::parse(in), config_file);
  TrainStepBench bench(config, B, T);
  const double first_loss = bench.step();  // warm-up: sizes every buffer
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (int s = 0; s < steps; ++s) bench.step();
  const double cpu_ms = 1000.0 * double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const std::chrono::duration<double, std::milli> wall = std::chrono::steady_clock::now() - start;
  std::printf("%.6f %.6f %.9g\n", wall.count() / steps, cpu_ms / steps, first_loss);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 6 && std::string(argv[1]) == "train") {
    try {
      return run_train(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::max(1, std::atoi(argv[5])));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return 1;
    }
  }
  if (argc == 6 && std::string(argv[1]) == "gpt") {
    try {
      return run_gpt(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), argv[5]);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return 1;
    }
  }
  State state;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "quit") break;
    if (line.empty()) continue;
    std::string answer;
    try {
      answer = handle(state, line);
    } catch (const std::exception& e) {
      answer = std::string("error: ") + e.what();
    }
    std::cout << answer << std::endl;
  }
  return 0;
}
