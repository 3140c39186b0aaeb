// Whole-text losses in nats per token and bits per byte, the n-gram baselines on the
// same tokens, and int8 weights: each against a computation written out here.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "random_gpt.hpp"
#include "train/bigram.hpp"
#include "train/text_loss.hpp"

using namespace llmsim;

TEST_CASE("count_words counts runs of non-whitespace") {
  CHECK(count_words("") == 0);
  CHECK(count_words("  \n\t ") == 0);
  CHECK(count_words("one") == 1);
  CHECK(count_words(" The cat, sat.\n\nOn  the\tmat ") == 6);
}

TEST_CASE("gpt_text_loss: every token predicted once, piece by piece, summed in nats") {
  const Gpt gpt = random_gpt(11);
  std::string text;
  for (int i = 0; i < 230; ++i) text += char('a' + (i * 7) % 26);  // 230 byte tokens: 3 pieces of ≤ 95
  const TextLoss loss = gpt_text_loss(gpt, text);
  CHECK(loss.tokens == 230);
  CHECK(loss.bytes == 230);
  CHECK(loss.words == 1);
  // By hand: softmax of each piece's logits in double.
  double nats = 0;
  const std::vector<int> stream = gpt.tokenizer().encode(text, false).ids;
  for (const auto& ids : split_into_sequences(stream, gpt.tokenizer().bos_id(), gpt.config().context)) {
    Trace trace;
    gpt_forward(gpt.config(), gpt.weights(), ids, {}, trace);
    for (size_t t = 0; t + 1 < ids.size(); ++t) {
      double z = 0;
      for (int v = 0; v < trace.logits.cols(); ++v) z += std::exp(double(trace.logits(Eigen::Index(t), v)));
      nats -= std::log(std::exp(double(trace.logits(Eigen::Index(t), ids[t + 1]))) / z);
    }
  }
  CHECK(loss.nats == Approx(nats).epsilon(1e-9));
  CHECK(loss.nats_per_token() == Approx(nats / 230).epsilon(1e-9));
  CHECK(loss.bits_per_byte() == Approx(nats / std::log(2.0) / 230).epsilon(1e-9));
  CHECK_THROWS_WITH(gpt_text_loss(gpt, ""), Catch::Contains("no tokens"));
}

TEST_CASE("ngram_text_loss: unigram and bigram baselines computed from counts by hand") {
  const BpeTokenizer bytes = BpeTokenizer::from_merges({});  // one token per byte, BOS 256
  const std::vector<int> train = {'a', 'b', 'a', 'b', 'a', 'c'};
  const BigramModel bigram(train, bytes.vocab_size(), bytes.bos_id());
  const double V = bytes.vocab_size(), k = 0.5;
  // "ab": pieces [BOS a b]: predict a after BOS, b after a.
  const double uni_a = (3 + k) / (6 + k * V), uni_b = (2 + k) / (6 + k * V);
  const double bi_a = uni_a /* BOS row = unigram counts */, bi_b_after_a = (2 + k) / (3 + k * V);
  const TextLoss uni = ngram_text_loss(bigram, bytes, 64, "ab", k, /*unigram=*/true);
  const TextLoss bi = ngram_text_loss(bigram, bytes, 64, "ab", k, /*unigram=*/false);
  CHECK(uni.tokens == 2);
  CHECK(uni.nats == Approx(-std::log(uni_a) - std::log(uni_b)));
  CHECK(bi.nats == Approx(-std::log(bi_a) - std::log(bi_b_after_a)));
  CHECK(bi.bits_per_byte() == Approx(bi.nats / std::log(2.0) / 2));
}

TEST_CASE("a model saved as I8 loads with nearly the loss of its float weights") {
  const Gpt gpt = random_gpt(12);
  const std::string dir = (std::filesystem::temp_directory_path() / "llmsim-i8-test").string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/f16");
  std::filesystem::create_directories(dir + "/i8");
  gpt.save(dir + "/f16");
  gpt.save(dir + "/i8", DType::I8);
  const auto size = [&](const std::string& d) { return std::filesystem::file_size(d + "/model.safetensors"); };
  CHECK(size(dir + "/i8") < size(dir + "/f16"));  // exact byte counts: test_safetensors.cpp
  const std::string text = "the cat sat on the mat and the dog sat on the log";
  const double f16 = gpt_text_loss(Gpt::load(dir + "/f16"), text).nats_per_token();
  const double i8 = gpt_text_loss(Gpt::load(dir + "/i8"), text).nats_per_token();
  CHECK(i8 != f16);  // really quantised
  CHECK(std::fabs(i8 - f16) < 0.02 * f16);
  std::filesystem::remove_all(dir);
}
