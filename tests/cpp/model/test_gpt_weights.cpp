// The one table of the GPT's tensors (gpt_weights.hpp) and the code that walks it:
// the file names and shapes, the round trip through a weight file, and the trainer's
// flat buffer, where W_Q, W_K and W_V share one region and must still come back apart.
#include <catch2/catch.hpp>
#include <algorithm>
#include <limits>
#include <set>
#include <string>

#include "error_of.hpp"
#include "io/safetensors.hpp"
#include "model/gpt_weights.hpp"
#include "random_gpt.hpp"
#include "train/train.hpp"

using namespace llmsim;

namespace {

GptConfig small_config() { return gpt_config(11, 6, 2, 2, 5, 8); }

}  // namespace

TEST_CASE("the tensor table names every tensor once, with the shapes the file format states") {
  const GptConfig c = small_config();
  const std::vector<GptTensor> tensors = gpt_tensors(c);
  REQUIRE(tensors.size() == 2 + 12 * 2 + 2);
  std::set<std::string> names;
  for (const GptTensor& t : tensors) names.insert(t.name);
  CHECK(names.size() == tensors.size());
  CHECK(tensors.front().name == "tok_emb");
  CHECK(tensors.back().name == "ln_f.bias");
  // Shapes written out by hand from the format's comment (x·W: [in, out]).
  const std::pair<const char*, std::pair<int, int>> expected[] = {
      {"tok_emb", {11, 6}},          {"pos_emb", {5, 6}},
      {"blocks.1.attn.w_k", {6, 6}}, {"blocks.0.mlp.fc.weight", {6, 8}},
      {"blocks.0.mlp.fc.bias", {1, 8}}, {"blocks.1.mlp.proj.weight", {8, 6}},
      {"blocks.1.ln2.weight", {1, 6}},  {"ln_f.weight", {1, 6}}};
  for (const auto& row : expected) {
    const std::string name = row.first;
    INFO(name);
    const auto t = std::find_if(tensors.begin(), tensors.end(), [&](const GptTensor& x) { return x.name == name; });
    REQUIRE(t != tensors.end());
    CHECK(t->rows == row.second.first);
    CHECK(t->cols == row.second.second);
  }
  // parameter_count, counted by hand: V·C + context·C + per block (2C + 4C² + 2C + CF + F + FC + C) + 2C
  CHECK(c.parameter_count() == 11 * 6 + 5 * 6 + 2 * (12 + 144 + 12 + 48 + 8 + 48 + 6) + 12);
}

TEST_CASE("weights survive the weight file's tensors and the trainer's buffer unchanged") {
  const GptConfig c = small_config();
  const GptWeights w = random_gpt_weights(c, 7, 0.5f);
  // Every tensor is its own: no two share values (a slot mix-up would show).
  CHECK((w.blocks[0].attn.w_q - w.blocks[0].attn.w_k).norm() > 0.1f);
  CHECK((w.blocks[1].ln1_bias - w.blocks[1].ln2_bias).norm() > 0.01f);

  const GptWeights from_file = gpt_weights_from_tensors(gpt_weights_to_tensors(c, w), c, "test");
  GptTrainer trainer(c, 1, 4);
  trainer.set_weights(w);
  const GptWeights from_trainer = trainer.weights();
  for (const GptTensor& t : gpt_tensors(c)) {
    INFO(t.name);
    CHECK(tensor_in(from_file, t) == tensor_in(w, t));
    CHECK(tensor_in(from_trainer, t) == tensor_in(w, t));
  }
  // In the trainer's buffer W_Q, W_K, W_V of a block are one [C, 3C] region, side by side.
  const ParameterInfo& qkv = *std::find_if(trainer.layout().begin(), trainer.layout().end(),
                                           [](const ParameterInfo& p) { return p.name == "blocks.1.attn.w_qkv"; });
  CHECK(qkv.rows == 6);
  CHECK(qkv.cols == 18);
  const float* region = trainer.parameters().data() + qkv.offset;
  CHECK(region[0 * 18 + 6] == w.blocks[1].attn.w_k(0, 0));
  CHECK(region[2 * 18 + 12 + 3] == w.blocks[1].attn.w_v(2, 3));
}

namespace {

// The long way: every tensor into a TensorFile, then into the weights.
GptWeights through_tensor_file(const std::vector<uint8_t>& bytes, const GptConfig& c) {
  return gpt_weights_from_tensors(parse_safetensors(bytes.data(), bytes.size(), "test"), c, "test");
}

std::optional<GptWeights> direct(const std::vector<uint8_t>& bytes, const GptConfig& c) {
  return gpt_weights_from_safetensors(bytes.data(), bytes.size(), c, "test");
}

}  // namespace

TEST_CASE("the project's weight files decode straight into the weights, bit for bit as through a TensorFile") {
  const GptConfig c = small_config();
  const TensorFile tensors = gpt_weights_to_tensors(c, random_gpt_weights(c, 7, 0.5f));
  for (DType dtype : {DType::F32, DType::F16, DType::BF16, DType::I8}) {
    INFO(dtype_name(dtype));
    const std::vector<uint8_t> bytes = serialize_safetensors(tensors, dtype);
    const GptWeights expected = through_tensor_file(bytes, c);
    const std::optional<GptWeights> got = direct(bytes, c);
    REQUIRE(got.has_value());
    for (const GptTensor& t : gpt_tensors(c)) {
      INFO(t.name);
      CHECK(tensor_in(*got, t) == tensor_in(expected, t));
    }
  }
}

TEST_CASE("a weight file that is not exactly the config's goes the long way, which says what is wrong") {
  const GptConfig c = small_config();
  const TensorFile good = gpt_weights_to_tensors(c, random_gpt_weights(c, 7, 0.5f));
  auto refused = [&](TensorFile f, const std::string& problem) {
    INFO(problem);
    const std::vector<uint8_t> bytes = serialize_safetensors(f, DType::F32);
    CHECK_FALSE(direct(bytes, c).has_value());
    CHECK_THAT(error_of([&] { through_tensor_file(bytes, c); }), Catch::Contains(problem));
  };
  TensorFile extra = good;
  extra.tensors["extra"] = Tensor{{2}, {1.0f, 2.0f}};
  refused(extra, "has a tensor \"extra\"");
  TensorFile missing = good;
  missing.tensors.erase("ln_f.bias");
  refused(missing, "has no tensor \"ln_f.bias\"");
  TensorFile reshaped = good;
  reshaped.tensors["tok_emb"].shape = {6, 11};
  refused(reshaped, "tensor \"tok_emb\" has shape [6, 11], expected [11, 6]");
  TensorFile not_finite = good;
  not_finite.tensors["blocks.1.attn.w_v"].data[5] = std::numeric_limits<float>::infinity();
  refused(not_finite, "tensor \"blocks.1.attn.w_v\" holds a value that is not finite");

  // A header that is not one: the same error either way, before anything is decoded.
  std::vector<uint8_t> cut = serialize_safetensors(good, DType::F32);
  cut.resize(cut.size() - 3);
  const std::string long_way = error_of([&] { through_tensor_file(cut, c); });
  CHECK(long_way != "(no error)");
  CHECK(error_of([&] { direct(cut, c); }) == long_way);
}
