// A checkpoint read in pieces (model/gpt_stream.hpp, HfGpt2Stream in hf_gpt2.hpp):
// whatever the piece sizes, the weights are bit for bit those of the whole file
// read at once, and a file cut short, run on or broken fails as clearly.
#include <catch2/catch.hpp>
#include <algorithm>
#include <string>
#include <vector>

#include "../random_gpt.hpp"
#include "error_of.hpp"
#include "io/read_file.hpp"
#include "model/gpt_stream.hpp"
#include "model/hf_gpt2.hpp"

using namespace llmsim;
using Catch::Matchers::Contains;

namespace {

#ifndef LLMSIM_GPT2_REFERENCE_DIR
#define LLMSIM_GPT2_REFERENCE_DIR "build/native/gpt2_reference"
#endif
const std::string kReferenceDir = LLMSIM_GPT2_REFERENCE_DIR;

// Feeds `file` to `stream` in pieces of `piece` bytes.
template <class Stream>
void feed_in_pieces(Stream& stream, const std::string& file, size_t piece) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(file.data());
  for (size_t at = 0; at < file.size(); at += piece) stream.feed(bytes + at, std::min(piece, file.size() - at));
}

// Every parameter of two models, compared exactly.
bool same_weights(const GptWeights& a, const GptWeights& b) {
  auto same = [](const auto& x, const auto& y) {
    return x.rows() == y.rows() && x.cols() == y.cols() &&
           std::equal(x.data(), x.data() + x.size(), y.data());
  };
  if (!same(a.tok_emb, b.tok_emb) || !same(a.pos_emb, b.pos_emb) || !same(a.lnf_weight, b.lnf_weight) ||
      !same(a.lnf_bias, b.lnf_bias) || a.blocks.size() != b.blocks.size())
    return false;
  for (size_t l = 0; l < a.blocks.size(); ++l) {
    const GptBlock &x = a.blocks[l], &y = b.blocks[l];
    if (!same(x.ln1_weight, y.ln1_weight) || !same(x.ln1_bias, y.ln1_bias) || !same(x.attn.w_q, y.attn.w_q) ||
        !same(x.attn.w_k, y.attn.w_k) || !same(x.attn.w_v, y.attn.w_v) || !same(x.attn.w_o, y.attn.w_o) ||
        !same(x.attn.b_q, y.attn.b_q) || !same(x.attn.b_k, y.attn.b_k) || !same(x.attn.b_v, y.attn.b_v) ||
        !same(x.attn.b_o, y.attn.b_o) || !same(x.ln2_weight, y.ln2_weight) || !same(x.ln2_bias, y.ln2_bias) ||
        !same(x.fc_weight, y.fc_weight) || !same(x.fc_bias, y.fc_bias) || !same(x.proj_weight, y.proj_weight) ||
        !same(x.proj_bias, y.proj_bias))
      return false;
  }
  return true;
}

}  // namespace

TEST_CASE("an HF GPT-2 checkpoint read in pieces of any size is the whole file's, bit for bit",
          "[hf-gpt2][numpy-reference]") {
  // f32: "transformer." names, F32 mask buffers and a tied lm_head; f16: bare names;
  // bf16: BOOL mask buffers. Pieces of 1 byte, odd sizes that split elements and
  // tensors anywhere, and the whole file in one.
  for (const std::string variant : {"f32", "f16", "bf16"}) {
    const std::string dir = kReferenceDir + "/" + variant;
    const std::string config = read_whole_file(dir + "/config.json");
    const std::string file = read_whole_file(dir + "/model.safetensors");
    const HfGpt2 whole = load_hf_gpt2(config, reinterpret_cast<const uint8_t*>(file.data()), file.size());
    for (const size_t piece : {size_t(1), size_t(7), size_t(4099), size_t(1) << 20, file.size()}) {
      INFO(variant << ", pieces of " << piece << " bytes");
      const size_t head = std::min(file.size(), size_t(1) << 16);  // the header and a little more
      HfGpt2Stream stream(config, reinterpret_cast<const uint8_t*>(file.data()), head);
      CHECK(stream.file_bytes() == file.size());
      feed_in_pieces(stream, file, piece);
      const HfGpt2 streamed = stream.finish();
      CHECK(streamed.config.to_json() == whole.config.to_json());
      CHECK(same_weights(streamed.weights, whole.weights));
    }
  }
}

TEST_CASE("a streamed HF GPT-2 checkpoint cut short, running on or broken is refused as clearly",
          "[hf-gpt2][numpy-reference]") {
  const std::string dir = kReferenceDir + "/f16";
  const std::string config = read_whole_file(dir + "/config.json");
  const std::string file = read_whole_file(dir + "/model.safetensors");
  const auto* bytes = reinterpret_cast<const uint8_t*>(file.data());
  // Cut short, anywhere: inside the header's bytes, mid-tensor, one byte before the end.
  for (const size_t kept : {size_t(5), file.size() / 2, file.size() - 1}) {
    HfGpt2Stream stream(config, bytes, file.size());
    stream.feed(bytes, kept);
    CHECK_THAT(error_of([&] { stream.finish(); }), Contains("cut short") && Contains(std::to_string(kept) + " of the"));
  }
  // A byte more than the header's tensors hold.
  HfGpt2Stream longer(config, bytes, file.size());
  longer.feed(bytes, file.size());
  const uint8_t extra = 0;
  CHECK_THAT(error_of([&] { longer.feed(&extra, 1); }), Contains("goes on past byte"));
  // A wrong header, or a config.json that is not one: the whole-file loader's own words.
  std::string broken = file;
  broken[9] = '!';
  const auto* b = reinterpret_cast<const uint8_t*>(broken.data());
  const std::string whole_error = error_of([&] { load_hf_gpt2(config, b, broken.size()); });
  CHECK(whole_error != "(no error)");
  CHECK(error_of([&] { HfGpt2Stream s(config, b, broken.size()); }) == whole_error);
  CHECK_THAT(error_of([&] { HfGpt2Stream s("{not json", bytes, file.size()); }), Contains("not valid JSON"));
  // A value that is not finite, in the last piece, is named as the whole loader names it.
  std::string poisoned = file;
  std::fill(poisoned.end() - 2, poisoned.end(), char(0xFF));  // F16 0xFFFF: NaN
  const auto* p = reinterpret_cast<const uint8_t*>(poisoned.data());
  HfGpt2Stream stream(config, p, poisoned.size());
  CHECK_THAT(error_of([&] { feed_in_pieces(stream, poisoned, 4099); }), Contains("not finite"));
}

TEST_CASE("GptStream reads the project's own files as Gpt::from_bytes does", "[gpt-stream]") {
  const Gpt model = random_gpt(11);
  const ModelFiles files = model.files(DType::F32);
  const std::string file(files.safetensors.begin(), files.safetensors.end());
  const Gpt whole = Gpt::from_bytes(files.config, files.tokenizer, files.safetensors.data(), files.safetensors.size());
  for (const size_t piece : {size_t(1), size_t(13), file.size()}) {
    GptStream stream(files.config, files.tokenizer, files.safetensors.data(), files.safetensors.size());
    CHECK(stream.file_bytes() == file.size());
    feed_in_pieces(stream, file, piece);
    const Gpt streamed = stream.finish();
    CHECK(same_weights(streamed.weights(), whole.weights()));
    CHECK(streamed.run("the cat sat", ModelRun{}).logits == whole.run("the cat sat", ModelRun{}).logits);
  }
  // A tokenizer that does not match the config is refused before any byte is fed.
  CHECK_THAT(error_of([&] { GptStream s(files.config, R"({"version":1,"merges":[]})", files.safetensors.data(), 16); }),
             Contains("tokenizer.json"));
}

TEST_CASE("a streamed checkpoint's mask buffer claiming a terabyte is passed by, never gathered", "[hf-gpt2]") {
  // A tiny GPT-2 (V 11, C 8, 1 layer, P 6), its parameters zero, then an
  // "h.0.attn.bias" buffer whose header claims [2^20, 2^20] BOOL: 1 TiB that the file
  // does not hold. Nothing bounds a buffer's shape (the config bounds the parameters'),
  // so its bytes must pass by uncounted: gathering them would first ask for 1 TiB.
  const std::string config = R"({"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 8, "n_positions": 6, "vocab_size": 11})";
  const std::vector<std::pair<std::string, std::vector<int64_t>>> params = {
      {"wte.weight", {11, 8}}, {"wpe.weight", {6, 8}}, {"h.0.ln_1.weight", {8}}, {"h.0.ln_1.bias", {8}},
      {"h.0.attn.c_attn.weight", {8, 24}}, {"h.0.attn.c_attn.bias", {24}}, {"h.0.attn.c_proj.weight", {8, 8}},
      {"h.0.attn.c_proj.bias", {8}}, {"h.0.ln_2.weight", {8}}, {"h.0.ln_2.bias", {8}},
      {"h.0.mlp.c_fc.weight", {8, 32}}, {"h.0.mlp.c_fc.bias", {32}}, {"h.0.mlp.c_proj.weight", {32, 8}},
      {"h.0.mlp.c_proj.bias", {8}}, {"ln_f.weight", {8}}, {"ln_f.bias", {8}}};
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const auto& [name, shape] : params) {
    uint64_t count = 1;
    for (int64_t d : shape) count *= uint64_t(d);
    header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {offset, offset + 4 * count}}};
    offset += 4 * count;
  }
  const uint64_t parameter_bytes = offset, huge = uint64_t(1) << 40;
  header["h.0.attn.bias"] = {{"dtype", "BOOL"}, {"shape", {1 << 20, 1 << 20}}, {"data_offsets", {offset, offset + huge}}};
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[size_t(i)] = char((uint64_t(text.size()) >> (8 * i)) & 0xFF);
  file += text;
  file.append(size_t(parameter_bytes) + 4096, '\0');  // the parameters and a little of the buffer
  const auto* bytes = reinterpret_cast<const uint8_t*>(file.data());
  HfGpt2Stream stream(config, bytes, file.size());
  CHECK(stream.file_bytes() == 8 + text.size() + parameter_bytes + huge);
  feed_in_pieces(stream, file, 1000);
  CHECK_THAT(error_of([&] { stream.finish(); }), Contains("cut short"));
}
