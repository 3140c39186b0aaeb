// Weight files in the huggingface safetensors format:
//   [8 bytes: little-endian u64 N] [N bytes: JSON header] [tensor data]
// The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the first data byte) and may hold "__metadata__": {str: str}.
//
// Reading accepts F32, F16 and BF16 tensors, and I8 tensors with per-row scales
// (below), and returns them as float. A file is read from a
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
// BF16 (bfloat16: float's sign, exponent and top 7 mantissa bits) is what many
// Hugging Face checkpoints are stored in.
// `other`: a dtype of the format this reader does not decode (BOOL, U8, F64, ...):
// its bytes are accounted for in the header, so a file that carries such a tensor
// besides the ones a caller wants (a model's boolean mask buffer) can still be read
// with read_safetensors_header and decode_tensor; parse_safetensors refuses it.
enum class DType { F16, F32, I8, BF16, other };
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

// One tensor as the header describes it; its data not read.
struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::string dtype_text = "F32";  // as the header writes it
  uint64_t element_bytes = 4;
  std::vector<int64_t> shape;
  uint64_t count = 0;           // elements
  uint64_t begin = 0, end = 0;  // its bytes, relative to the first data byte
};

struct SafetensorsHeader {
  uint64_t data_offset = 0;  // 8 + the header's length: where the data starts in the file
  uint64_t data_bytes = 0;   // the bytes the tensors tile: where the last one ends
  std::vector<TensorInfo> tensors;  // in the header's order
  std::map<std::string, size_t> positions;  // name -> index in tensors (a header may list a million)
  std::map<std::string, std::string> metadata;
  const TensorInfo* find(const std::string& name) const;  // nullptr if absent
};

// The header alone, with every check parse_safetensors makes on it. With `whole_file`
// the bytes are the whole file and the tensors must tile its data exactly; without,
// they need only reach past the header (the page can size a checkpoint from its first
// bytes before reading the rest), and the tiling is checked up to the last tensor.
SafetensorsHeader read_safetensors_header(const uint8_t* bytes, size_t size,
                                          const std::string& source_name, bool whole_file);

// One tensor's elements as float, into out[0 .. info.count), from the whole file whose
// header (read with whole_file) holds `info`. I8 values are returned unscaled (the
// scales are parse_safetensors' convention, not the format's); an `other` dtype is an
// Error. Checks the range again, so a header from other bytes cannot make it read out
// of bounds.
void decode_tensor(const uint8_t* bytes, size_t size, const SafetensorsHeader& header,
                   const TensorInfo& info, float* out, const std::string& source_name);
// The same from the tensor's own bytes (info.end - info.begin of them at `bytes`), for
// a file that arrives in pieces (model/hf_gpt2.hpp, HfGpt2Stream).
void decode_tensor_bytes(const TensorInfo& info, const uint8_t* bytes, float* out,
                         const std::string& source_name);

// An I8 tensor's values (`count` of them, row-major, one row per scale) times their
// rows' scales: the weights the file stands for.
void scale_rows(float* values, size_t count, const std::vector<float>& scales);
// "F32", "F16", "BF16", "I8" ("other" for the rest: TensorInfo::dtype_text names it).
const char* dtype_name(DType dtype);
TensorFile read_safetensors(const std::string& path);

// The writer lays tensors out in name order, writes "__metadata__" first (and only if
// there is any), and pads the header with spaces to a multiple of 8 bytes, as the
// reference does, so the data starts 8-byte aligned. With DType::I8 matrices are
// written as I8 with F32 row scales and vectors as F16. With DType::F16 a finite value
// beyond F16's range (|x| >= 65520) is an Error, not a silent infinity; so, with
// DType::BF16, is one that rounds past float's largest.
std::vector<uint8_t> serialize_safetensors(const TensorFile& file, DType dtype);
void write_safetensors(const std::string& path, const TensorFile& file, DType dtype);

// IEEE 754 binary16 <-> binary32. float_to_half rounds to nearest, ties to even,
// overflows to infinity, produces subnormals, keeps the sign of zero and quiets NaN.
// half_to_float is exact (every half is a float).
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);
// bfloat16 <-> binary32: the top 16 bits of the float, rounded to nearest, ties to
// even (NaN stays NaN); bfloat16_to_float is exact.
uint16_t float_to_bfloat16(float f);
float bfloat16_to_float(uint16_t b);

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
