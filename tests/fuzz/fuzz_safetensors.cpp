// The safetensors reader on any bytes: it either refuses them with an Error or returns
// tensors whose data lies inside the file; what it returns writes back and reads again
// to the same names, shapes and values.
#include <cstring>

#include "fuzz_check.hpp"
#include "../../cpp/core/error.hpp"
#include "../../cpp/core/io/safetensors.hpp"

using namespace llmsim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  TensorFile file;
  try {
    file = parse_safetensors(data, size, "fuzz");
  } catch (const Error&) {
    return 0;
  }
  const std::vector<uint8_t> bytes = serialize_safetensors(file, DType::F32);
  const TensorFile again = parse_safetensors(bytes.data(), bytes.size(), "again");
  fuzz::check(again.tensors.size() == file.tensors.size(), "round trip keeps every tensor");
  for (const auto& [name, tensor] : file.tensors) {
    const auto found = again.tensors.find(name);
    fuzz::check(found != again.tensors.end(), "round trip keeps the names");
    fuzz::check(found->second.shape == tensor.shape, "round trip keeps the shapes");
    fuzz::check(found->second.data.size() == tensor.data.size() &&
                    std::memcmp(found->second.data.data(), tensor.data.data(),
                                tensor.data.size() * sizeof(float)) == 0,
                "round trip through F32 keeps every value's bits");
  }
  return 0;
}
