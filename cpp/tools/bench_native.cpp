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
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "attention.hpp"

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

int main() {
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
