// Weight files in the huggingface safetensors format:
//   [8 bytes: little-endian u64 N] [N bytes: JSON header] [tensor data]
// The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the first data byte) and may hold "__metadata__": {str: str}.
//
// Reading accepts F32 and F16 tensors, and I8 tensors with per-row scales (below),
// and returns them as float. A file is read from a
// byte buffer (the WASM build gets the file from JS and has no filesystem) or a path.
// Every malformed input throws llmsim::Error "<source>: <problem>"; a lying header
// never causes a read out of bounds or an allocation larger than the input itself.
//
// What the reader accepts is what the reference implementation accepts:
// - the header is at most 100,000,000 bytes and is a JSON object;
// - tensors tile the data exactly: sorted by offset, the first begins at 0, each
//   begins where the previous ended, and the last ends at the end of the file, so
//   holes, overlaps and trailing bytes are all rejected (a file cut short, or two
//   files glued together, is detected rather than half-read);
// - "__metadata__" is an object of strings (or null); other keys in a tensor's entry
//   besides dtype, shape and data_offsets are ignored.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "matrix.hpp"

namespace llmsim {

// I8: a matrix [rows, ...] stored as int8 q with a partner tensor "<name>.scale" of
// shape [rows] (F32 or F16): the weight is q · scale[row]. The reader multiplies the
// scales back in and drops the partner; a missing or misshapen partner is an Error.
// Not a format of the reference implementation's own, but a file any safetensors
// reader can open (it sees the int8 values and the scales as two tensors).
enum class DType { F16, F32, I8 };
constexpr std::string_view kRowScaleSuffix = ".scale";

struct Tensor {
  std::vector<int64_t> shape;  // [] is a scalar (one element)
  std::vector<float> data;     // row-major, size = product(shape)
};

struct TensorFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;  // the header's "__metadata__"
};

// The largest header we parse, the limit of the reference implementation: a larger
// length field is taken as a sign of a file that is not safetensors at all.
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100000000;

// `source_name` is used in error messages (the file name).
TensorFile parse_safetensors(const uint8_t* bytes, size_t size, const std::string& source_name);
TensorFile read_safetensors(const std::string& path);

// The writer lays tensors out in name order, writes "__metadata__" first (and only if
// there is any), and pads the header with spaces to a multiple of 8 bytes, as the
// reference does, so the data starts 8-byte aligned. With DType::I8 matrices are
// written as I8 with F32 row scales and vectors as F16. With DType::F16 a finite value
// beyond F16's range (|x| >= 65520) is an Error, not a silent infinity.
std::vector<uint8_t> serialize_safetensors(const TensorFile& file, DType dtype);
void write_safetensors(const std::string& path, const TensorFile& file, DType dtype);

// IEEE 754 binary16 <-> binary32. float_to_half rounds to nearest, ties to even,
// overflows to infinity, produces subnormals, keeps the sign of zero and quiets NaN.
// half_to_float is exact (every half is a float).
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);

// Number of elements of `shape` (1 for a scalar). Throws Error on a negative dimension
// or when the product does not fit in int64.
int64_t element_count(const std::vector<int64_t>& shape);

// "[2, 3]", for messages.
std::string shape_to_string(const std::vector<int64_t>& shape);

// Convenience for model loading: the tensor named `name` as a Matrix of exactly
// [rows, cols]. A 1-D tensor [n] is accepted as a [1, n] row or an [n, 1] column.
// Throws llmsim::Error naming the file, the tensor, the expected and actual shape.
Matrix tensor_matrix(const TensorFile& f, const std::string& name, int rows, int cols,
                     const std::string& source_name);
// The tensor named `name` as a vector of exactly shape [n].
Vector tensor_vector(const TensorFile& f, const std::string& name, int n,
                     const std::string& source_name);

}  // namespace llmsim
