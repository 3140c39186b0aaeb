// A model's model.safetensors for a fixed small config, read both ways the loader can
// (model/gpt.cpp, gpt_from_named_bytes): straight into the weights
// (gpt_weights_from_safetensors, for the project's own files) and the long way
// (parse_safetensors, then gpt_weights_from_tensors, for everything else and for the
// errors). On any bytes:
//   - the direct way throws an Error only where the long way throws the same one (a
//     header that is not one);
//   - where the direct way gives weights, the long way gives the same, bit for bit;
//   - where it declines (nullopt), the long way refuses the file with an Error or
//     reads it (a file of another kind: BF16 scales, say).
// The seeds are the project's files for this config in F32, F16, BF16 and I8.
#include <cstring>
#include <optional>
#include <string>

#include "fuzz_check.hpp"
#include "../../cpp/core/error.hpp"
#include "../../cpp/core/io/safetensors.hpp"
#include "../../cpp/core/model/gpt_weights.hpp"
#include "../cpp/random_gpt.hpp"  // gpt_config

using namespace llmsim;

namespace {

// The seeds' shape: vocab 11, d_model 6, 2 layers of 2 heads, context 5, d_ff 8.
GptConfig seed_config() { return gpt_config(11, 6, 2, 2, 5, 8); }

template <class Read>
std::optional<std::string> error_of(Read read) {
  try {
    read();
  } catch (const Error& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

bool same_bits(const GptWeights& a, const GptWeights& b, const GptConfig& c) {
  for (const GptTensor& t : gpt_tensors(c)) {
    const auto x = tensor_in(a, t), y = tensor_in(b, t);
    if (x.rows() != y.rows() || x.cols() != y.cols()) return false;
    if (std::memcmp(x.data(), y.data(), size_t(x.size()) * sizeof(float)) != 0) return false;  // (maps of whole tensors)
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const GptConfig c = seed_config();
  std::optional<GptWeights> direct;
  const std::optional<std::string> direct_error =
      error_of([&] { direct = gpt_weights_from_safetensors(data, size, c, "fuzz"); });

  std::optional<GptWeights> long_way;
  const std::optional<std::string> long_error = error_of([&] {
    const TensorFile file = parse_safetensors(data, size, "fuzz");
    long_way = gpt_weights_from_tensors(file, c, "fuzz");
  });

  if (direct_error) {
    fuzz::check(long_error && *long_error == *direct_error,
                "the direct way refuses a file only as the long way does, in the same words");
    return 0;
  }
  if (direct) {
    fuzz::check(long_way.has_value(), "a file the direct way reads, the long way reads too");
    fuzz::check(same_bits(*direct, *long_way, c), "both ways give the same weights, bit for bit");
  }
  // Declined: the long way's Error, or its weights, are both answers.
  return 0;
}
