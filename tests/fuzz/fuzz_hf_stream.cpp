// A Hugging Face GPT-2 checkpoint read in pieces (HfGpt2Stream) against the same bytes
// read whole (load_hf_gpt2), on any bytes: the two agree on whether the file is a
// checkpoint, and when it is, on every weight's bits. The first input byte chooses
// the piece size (1 to 256 bytes), so pieces split the header, elements and tensors
// everywhere; the rest is the file, for a GPT-2 of 1 layer, n_embd 4, 2 heads, 3
// positions and 5 tokens.
#include <algorithm>
#include <cstring>

#include "fuzz_check.hpp"
#include "../../cpp/core/error.hpp"
#include "../../cpp/core/model/hf_gpt2.hpp"

using namespace llmsim;

namespace {

const char* kConfig = R"({"model_type": "gpt2", "n_layer": 1, "n_embd": 4, "n_head": 2, "n_positions": 3, "vocab_size": 5})";

bool same_bits(const float* a, const float* b, Eigen::Index n) { return std::memcmp(a, b, size_t(n) * sizeof(float)) == 0; }
template <class M>
bool same(const M& a, const M& b) { return a.size() == b.size() && same_bits(a.data(), b.data(), a.size()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t piece = size_t(data[0]) + 1;
  const uint8_t* file = data + 1;
  const size_t n = size - 1;

  bool whole_ok = true, stream_ok = true;
  HfGpt2 whole, streamed;
  try {
    whole = load_hf_gpt2(kConfig, file, n);
  } catch (const Error&) {
    whole_ok = false;
  }
  try {
    HfGpt2Stream stream(kConfig, file, n);  // the head: all of it (the header is in there, if anywhere)
    for (size_t at = 0; at < n; at += piece) stream.feed(file + at, std::min(piece, n - at));
    streamed = stream.finish();
  } catch (const Error&) {
    stream_ok = false;
  }
  fuzz::check(whole_ok == stream_ok, "whole and streamed agree on whether the bytes are a checkpoint");
  if (!whole_ok) return 0;
  const GptWeights &a = whole.weights, &b = streamed.weights;
  fuzz::check(same(a.tok_emb, b.tok_emb) && same(a.pos_emb, b.pos_emb) && same(a.lnf_weight, b.lnf_weight) &&
                  same(a.lnf_bias, b.lnf_bias),
              "streamed embeddings and final LayerNorm are the whole file's");
  const GptBlock &x = a.blocks.at(0), &y = b.blocks.at(0);
  fuzz::check(same(x.attn.w_q, y.attn.w_q) && same(x.attn.w_k, y.attn.w_k) && same(x.attn.w_v, y.attn.w_v) &&
                  same(x.attn.w_o, y.attn.w_o) && same(x.attn.b_q, y.attn.b_q) && same(x.attn.b_o, y.attn.b_o) &&
                  same(x.fc_weight, y.fc_weight) && same(x.proj_weight, y.proj_weight) &&
                  same(x.ln1_weight, y.ln1_weight) && same(x.ln2_bias, y.ln2_bias),
              "streamed block weights are the whole file's");
  return 0;
}
