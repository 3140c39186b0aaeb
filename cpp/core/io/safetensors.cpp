#include "io/safetensors.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "error.hpp"
#include "io/json_text.hpp"
#include "io/read_file.hpp"

namespace llmsim {

// ---------------------------------------------------------------------------
// Half precision

namespace {

uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float float_from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// value / 2^shift rounded to nearest, ties to even; shift in [1, 31].
uint32_t shift_right_round_even(uint32_t value, int shift) {
  const uint32_t kept = value >> shift;
  const uint32_t dropped = value & ((1u << shift) - 1);
  const uint32_t halfway = 1u << (shift - 1);
  const bool round_up = dropped > halfway || (dropped == halfway && (kept & 1u));
  return kept + (round_up ? 1u : 0u);
}

}  // namespace

uint16_t float_to_half(float f) {
  const uint32_t x = float_bits(f);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
  const uint32_t exponent = (x >> 23) & 0xffu;
  const uint32_t mantissa = x & 0x7fffffu;

  if (exponent == 0xffu) {
    if (mantissa == 0) return uint16_t(sign | 0x7c00u);  // infinity
    // NaN: keep the payload's top bits, set the quiet bit so it cannot become infinity.
    return uint16_t(sign | 0x7e00u | (mantissa >> 13));
  }
  const int e = int(exponent) - 127;         // unbiased; float subnormals give -127
  if (e > 15) return uint16_t(sign | 0x7c00u);  // >= 65536 overflows whatever the rounding
  if (e >= -14) {
    // A normal half: rebias the exponent, then drop 13 mantissa bits with rounding.
    // Rounding up may carry into the exponent: 0x3ff+1 gives the next power of two,
    // and past 65504 it gives 0x7c00, infinity, which is the right answer (>= 65520).
    const uint32_t rebiased = (uint32_t(e + 15) << 23) | mantissa;
    return uint16_t(sign | shift_right_round_even(rebiased, 13));
  }
  // A subnormal half counts units of 2^-24. The float is significand * 2^(e-23) with a
  // 24-bit significand, i.e. significand * 2^(e+1) units: shift right by -(e+1).
  // Below 2^-25 (half the smallest subnormal) everything rounds to zero; 2^-25 itself
  // is a tie and goes to the even neighbour, zero. Rounding 0x3ff up gives 0x400, the
  // smallest normal, again the right answer.
  if (e < -25) return sign;
  const uint32_t significand = mantissa | 0x800000u;
  return uint16_t(sign | shift_right_round_even(significand, -(e + 1)));
}

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1fu)  // infinity, or NaN with its payload kept
    return float_from_bits(sign | 0x7f800000u | (mantissa << 13));
  if (exponent != 0)
    return float_from_bits(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  // Zero or subnormal: mantissa * 2^-24, exact in float (and -0 stays -0).
  const float magnitude = float(mantissa) * 0x1p-24f;
  return sign ? -magnitude : magnitude;
}

uint16_t float_to_bfloat16(float f) {
  const uint32_t x = float_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x0040u);  // NaN, quieted
  return uint16_t(shift_right_round_even(x, 16));  // a carry into the exponent is right
}

float bfloat16_to_float(uint16_t b) { return float_from_bits(uint32_t(b) << 16); }

// ---------------------------------------------------------------------------
// Shapes

int64_t element_count(const std::vector<int64_t>& shape) {
  for (int64_t dim : shape)
    if (dim < 0) throw Error("shape " + shape_to_string(shape) + " has a negative dimension");
  // With a zero dimension the product is zero, however large the others are.
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (count > std::numeric_limits<int64_t>::max() / dim)
      throw Error("shape " + shape_to_string(shape) + " has more elements than fit in int64");
    count *= dim;
  }
  return count;
}

std::string shape_to_string(const std::vector<int64_t>& shape) {
  // A lying header may carry a shape of millions of entries; a message needs a few.
  constexpr size_t kMaxShown = 16;
  std::string s = "[";
  for (size_t i = 0; i < shape.size() && i < kMaxShown; ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() > kMaxShown) s += ", ... (" + std::to_string(shape.size()) + " dimensions)";
  return s + "]";
}

// ---------------------------------------------------------------------------
// Reading

namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& problem) {
  throw Error(source + ": " + problem);
}

// A name as it appears in a message: quoted, and cut if a hostile file made it huge.
std::string quoted(const std::string& name) { return "\"" + utf8_cut(name, 80) + "\""; }

// Bytes are assembled one by one: the data need not be aligned, and the file is
// little-endian whatever the host is.
uint64_t load_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint32_t load_u32_le(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint16_t load_u16_le(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }

size_t dtype_bytes(DType dtype) { return dtype == DType::I8 ? 1 : dtype == DType::F32 ? 4 : 2; }

// One tensor's header entry, checked on its own (the layout is checked across entries).
using Entry = TensorInfo;

std::string unsupported_dtype(const std::string& name, const std::string& dtype) {
  return "tensor " + quoted(name) + " has dtype " + quoted(dtype) +
         "; only F16, BF16, F32 and I8 (with per-row scales) are supported";
}

// The format's dtypes and their sizes: those we decode, and those whose bytes we can
// only step over.
struct KnownDType {
  const char* text;
  DType dtype;
  uint64_t bytes;
};
constexpr KnownDType kDTypes[] = {
    {"F32", DType::F32, 4},     {"F16", DType::F16, 2},       {"BF16", DType::BF16, 2},
    {"I8", DType::I8, 1},       {"F64", DType::other, 8},     {"I64", DType::other, 8},
    {"I32", DType::other, 4},   {"I16", DType::other, 2},     {"U64", DType::other, 8},
    {"U32", DType::other, 4},   {"U16", DType::other, 2},     {"U8", DType::other, 1},
    {"BOOL", DType::other, 1},  {"F8_E5M2", DType::other, 1}, {"F8_E4M3", DType::other, 1},
};

void parse_dtype(const std::string& name, const json& entry, Entry& e, const std::string& source) {
  const auto it = entry.find("dtype");
  if (it == entry.end()) fail(source, "tensor " + quoted(name) + " has no \"dtype\"");
  if (!it->is_string()) fail(source, "tensor " + quoted(name) + ": \"dtype\" is not a string");
  const std::string& dtype = it->get_ref<const std::string&>();
  for (const KnownDType& known : kDTypes)
    if (dtype == known.text) {
      e.dtype = known.dtype;
      e.dtype_text = known.text;
      e.element_bytes = known.bytes;
      return;
    }
  fail(source, unsupported_dtype(name, dtype));
}

std::vector<int64_t> parse_shape(const std::string& name, const json& entry,
                                 const std::string& source) {
  const auto it = entry.find("shape");
  if (it == entry.end()) fail(source, "tensor " + quoted(name) + " has no \"shape\"");
  if (!it->is_array()) fail(source, "tensor " + quoted(name) + ": \"shape\" is not an array");
  std::vector<int64_t> shape;
  shape.reserve(it->size());  // bounded by the header's length, which is bounded by the file
  for (const json& dim : *it) {
    // nlohmann gives non-negative integers the unsigned type; -1 is number_integer and
    // 2.0 or 1e30 are number_float, all rejected here.
    if (!dim.is_number_unsigned())
      fail(source, "tensor " + quoted(name) + ": shape entry " + describe_json(dim) +
                       " is not a non-negative integer");
    const uint64_t value = dim.get<uint64_t>();
    if (value > uint64_t(std::numeric_limits<int64_t>::max()))
      fail(source, "tensor " + quoted(name) + ": shape entry " + std::to_string(value) +
                       " is too large");
    shape.push_back(int64_t(value));
  }
  return shape;
}

// Elements of `shape`, or an error if the count overflows 64 bits. The count is only
// compared with the byte range here, never allocated, until the range is known to lie
// inside the file.
uint64_t checked_count(const std::string& name, const std::vector<int64_t>& shape,
                       const std::string& source) {
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  uint64_t count = 1;
  for (int64_t dim : shape) {
    if (count > std::numeric_limits<uint64_t>::max() / uint64_t(dim))
      fail(source, "tensor " + quoted(name) + ": shape " + shape_to_string(shape) +
                       " has more elements than fit in 64 bits");
    count *= uint64_t(dim);
  }
  return count;
}

void parse_offsets(const std::string& name, const json& entry, uint64_t& begin, uint64_t& end,
                   const std::string& source) {
  const auto it = entry.find("data_offsets");
  if (it == entry.end()) fail(source, "tensor " + quoted(name) + " has no \"data_offsets\"");
  if (!it->is_array() || it->size() != 2 || !(*it)[0].is_number_unsigned() ||
      !(*it)[1].is_number_unsigned())
    fail(source, "tensor " + quoted(name) +
                     ": \"data_offsets\" is not a pair of non-negative integers [begin, end]");
  begin = (*it)[0].get<uint64_t>();
  end = (*it)[1].get<uint64_t>();
}

Entry parse_entry(const std::string& name, const json& value, uint64_t data_size,
                  const std::string& source) {
  if (!value.is_object())
    fail(source, "header entry " + quoted(name) + " is not an object");
  Entry e;
  e.name = name;
  parse_dtype(name, value, e, source);
  e.shape = parse_shape(name, value, source);
  e.count = checked_count(name, e.shape, source);
  parse_offsets(name, value, e.begin, e.end, source);

  const std::string range = "[" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
  if (e.end < e.begin)
    fail(source, "tensor " + quoted(name) + ": data_offsets " + range + " end before they begin");
  if (e.end > data_size)
    fail(source, "tensor " + quoted(name) + ": data_offsets " + range + " reach past the " +
                     std::to_string(data_size) + " data bytes in the file (truncated?)");
  const uint64_t bytes_per_element = e.element_bytes;
  const bool bytes_overflow = e.count > std::numeric_limits<uint64_t>::max() / bytes_per_element;
  if (bytes_overflow || e.count * bytes_per_element != e.end - e.begin) {
    const std::string needed =
        bytes_overflow ? "more than 2^64" : std::to_string(e.count * bytes_per_element);
    fail(source, "tensor " + quoted(name) + " (" + e.dtype_text + ", shape " +
                     shape_to_string(e.shape) + ") needs " + needed + " bytes but data_offsets " +
                     range + " span " + std::to_string(e.end - e.begin));
  }
  return e;
}

std::map<std::string, std::string> parse_metadata(const json& value, const std::string& source) {
  std::map<std::string, std::string> metadata;
  if (value.is_null()) return metadata;  // the reference writes nothing, but accepts null
  if (!value.is_object()) fail(source, "\"__metadata__\" is not an object");
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!it->is_string())
      fail(source, "\"__metadata__\" value for key " + quoted(it.key()) + " is not a string");
    metadata.emplace(it.key(), it->get<std::string>());
  }
  return metadata;
}

// Tensors must tile the data section exactly, as the reference requires: sorted by
// offset, each begins where the previous one ended, from 0 to the last data byte.
// So no byte is read twice as different tensors and no byte goes unaccounted for.
// Returns where the last tensor ends; `whole_file` false (the header alone) checks the
// tiling but not that it ends at the end of a data section it has not seen.
uint64_t check_layout(std::vector<const Entry*> entries, uint64_t data_size, bool whole_file,
                      const std::string& source) {
  std::sort(entries.begin(), entries.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;  // data bytes [0, covered) belong to the tensors seen so far
  const Entry* previous = nullptr;
  for (const Entry* e : entries) {
    if (e->begin < covered)
      fail(source, "tensor " + quoted(e->name) + " (bytes " + std::to_string(e->begin) + " to " +
                       std::to_string(e->end) + ") overlaps tensor " + quoted(previous->name) +
                       " (which ends at byte " + std::to_string(covered) + ")");
    if (e->begin > covered)
      fail(source, "data bytes " + std::to_string(covered) + " to " + std::to_string(e->begin) +
                       " belong to no tensor (a hole before tensor " + quoted(e->name) + ")");
    covered = e->end;
    previous = e;
  }
  if (whole_file && covered != data_size)
    fail(source, "the tensors end at data byte " + std::to_string(covered) + " but the file has " +
                     std::to_string(data_size) + " data bytes (trailing garbage, or a header "
                                                 "that lists too few tensors)");
  return covered;
}

// The entry's own bytes (e.end - e.begin of them, at p) as floats into out[0 .. e.count).
void decode_elements(const Entry& e, const uint8_t* p, float* out) {
  const size_t n = size_t(e.count);
  switch (e.dtype) {
    case DType::F32: for (size_t i = 0; i < n; ++i) out[i] = float_from_bits(load_u32_le(p + 4 * i)); break;
    case DType::F16: for (size_t i = 0; i < n; ++i) out[i] = half_to_float(load_u16_le(p + 2 * i)); break;
    case DType::BF16: for (size_t i = 0; i < n; ++i) out[i] = bfloat16_to_float(load_u16_le(p + 2 * i)); break;
    case DType::I8: for (size_t i = 0; i < n; ++i) out[i] = float(int8_t(p[i])); break;
    case DType::other: break;  // refused by the callers
  }
}

// The entry's bytes as floats. The range was checked to lie inside the data, so the
// allocation is at most twice the input's size (F16 widens to float).
Tensor decode(const Entry& e, const uint8_t* data, const std::string& source) {
  Tensor t;
  t.shape = e.shape;
  if (e.count > t.data.max_size())
    fail(source, "tensor " + quoted(e.name) + " has " + std::to_string(e.count) +
                     " elements, too many for this platform's memory");
  try {
    t.data.resize(size_t(e.count));
  } catch (const std::bad_alloc&) {
    fail(source, "out of memory reading tensor " + quoted(e.name) + " (" +
                     std::to_string(e.count) + " elements)");
  }
  decode_elements(e, data + e.begin, t.data.data());
  return t;
}

// An I8 tensor [rows, ...] holds round(x / scale[row]); its partner "<name>.scale"
// (F16 or F32, shape [rows]) holds the scales. Multiplies them back in and drops the
// partner, so callers see float weights whatever the file stores.
void apply_row_scales(TensorFile& file, const std::string& name, const std::string& source) {
  const std::string scale_name = name + std::string(kRowScaleSuffix);
  const auto scale_it = file.tensors.find(scale_name);
  if (scale_it == file.tensors.end())
    fail(source, "I8 tensor " + quoted(name) + " needs its per-row scales in a tensor " +
                     quoted(scale_name));
  Tensor& t = file.tensors.at(name);
  const Tensor& scale = scale_it->second;
  const int64_t rows = t.shape.empty() ? 1 : t.shape[0];
  if (scale.shape != std::vector<int64_t>{rows})
    fail(source, "scale tensor " + quoted(scale_name) + " has shape " +
                     shape_to_string(scale.shape) + " but " + quoted(name) + " has " +
                     std::to_string(rows) + " rows");
  scale_rows(t.data.data(), t.data.size(), scale.data);
  file.tensors.erase(scale_it);
}

json parse_header_json(const uint8_t* begin, const uint8_t* end, const std::string& source) {
  try {
    return json::parse(begin, end);  // strict: only whitespace may follow the object
  } catch (const json::exception& e) {
    fail(source, std::string("header is not valid JSON: ") + e.what());
  } catch (const std::bad_alloc&) {
    fail(source, "out of memory parsing the " + std::to_string(end - begin) + "-byte header");
  }
}

}  // namespace

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::I8: return "I8";
    case DType::other: return "other";
  }
  return "other";
}

const TensorInfo* SafetensorsHeader::find(const std::string& name) const {
  const auto it = positions.find(name);
  return it == positions.end() ? nullptr : &tensors[it->second];
}

SafetensorsHeader read_safetensors_header(const uint8_t* bytes, size_t size,
                                          const std::string& source_name, bool whole_file) {
  const std::string& source = source_name;
  if (bytes == nullptr && size != 0) fail(source, "no bytes given");
  if (size < 8)
    fail(source, "file is " + std::to_string(size) +
                     " bytes, too short to hold the 8-byte header length (truncated, or not a "
                     "safetensors file)");
  const uint64_t header_size = load_u64_le(bytes);
  if (header_size > kMaxSafetensorsHeaderBytes)
    fail(source, "header length field says " + std::to_string(header_size) +
                     " bytes, more than the limit of " + std::to_string(kMaxSafetensorsHeaderBytes) +
                     " (not a safetensors file, or corrupt)");
  // All size arithmetic is in uint64_t: on wasm32 size_t has 32 bits.
  const uint64_t after_length = uint64_t(size) - 8;
  if (header_size > after_length)
    fail(source, "header length field says " + std::to_string(header_size) + " bytes but only " +
                     std::to_string(after_length) + " bytes follow it (file truncated?)");
  const uint8_t* header = bytes + 8;
  // Without the whole file the data's size is unknown: no offset is "past the end".
  const uint64_t data_size =
      whole_file ? after_length - header_size : std::numeric_limits<uint64_t>::max();

  const json root = parse_header_json(header, header + header_size, source);
  if (!root.is_object()) fail(source, "header is JSON but not an object");

  SafetensorsHeader result;
  result.data_offset = 8 + header_size;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key() == "__metadata__")
      result.metadata = parse_metadata(it.value(), source);
    else {
      result.positions[it.key()] = result.tensors.size();
      result.tensors.push_back(parse_entry(it.key(), it.value(), data_size, source));
    }
  }
  std::vector<const Entry*> pointers;
  for (const Entry& e : result.tensors) pointers.push_back(&e);
  result.data_bytes = check_layout(pointers, data_size, whole_file, source);
  return result;
}

void decode_tensor(const uint8_t* bytes, size_t size, const SafetensorsHeader& header,
                   const TensorInfo& info, float* out, const std::string& source_name) {
  const uint64_t data_size = header.data_offset <= size ? uint64_t(size) - header.data_offset : 0;
  if (info.end < info.begin || info.end > data_size || info.count > info.end - info.begin ||
      info.count * info.element_bytes != info.end - info.begin)
    fail(source_name, "tensor " + quoted(info.name) + " does not lie inside the file's data");
  decode_tensor_bytes(info, bytes + header.data_offset + info.begin, out, source_name);
}

void decode_tensor_bytes(const TensorInfo& info, const uint8_t* bytes, float* out,
                         const std::string& source_name) {
  if (info.dtype == DType::other) fail(source_name, unsupported_dtype(info.name, info.dtype_text));
  decode_elements(info, bytes, out);
}

void scale_rows(float* values, size_t count, const std::vector<float>& scales) {
  const size_t row_size = scales.empty() ? 0 : count / scales.size();
  for (size_t r = 0; r < scales.size(); ++r)
    for (size_t c = 0; c < row_size; ++c) values[r * row_size + c] *= scales[r];
}

TensorFile parse_safetensors(const uint8_t* bytes, size_t size, const std::string& source_name) {
  const SafetensorsHeader header = read_safetensors_header(bytes, size, source_name, true);
  const uint8_t* data = bytes + header.data_offset;
  for (const Entry& e : header.tensors)
    if (e.dtype == DType::other) fail(source_name, unsupported_dtype(e.name, e.dtype_text));
  TensorFile file;
  file.metadata = header.metadata;
  for (const Entry& e : header.tensors) file.tensors.emplace(e.name, decode(e, data, source_name));
  for (const Entry& e : header.tensors)
    if (e.dtype == DType::I8) apply_row_scales(file, e.name, source_name);
  return file;
}

TensorFile read_safetensors(const std::string& path) {
  const std::string bytes = read_whole_file(path);
  return parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path);
}

// ---------------------------------------------------------------------------
// Writing

namespace {

void store_le(std::vector<uint8_t>& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(uint8_t(value >> (8 * i)));
}

// The tensor's element count, checked against its data.
uint64_t checked_tensor_count(const std::string& name, const Tensor& t) {
  if (name == "__metadata__")
    throw Error("cannot write a tensor named \"__metadata__\": the format reserves that key");
  int64_t count;
  try {
    count = element_count(t.shape);
  } catch (const Error& e) {
    throw Error("cannot write tensor " + quoted(name) + ": " + e.what());
  }
  if (uint64_t(count) != t.data.size())
    throw Error("cannot write tensor " + quoted(name) + ": shape " + shape_to_string(t.shape) +
                " has " + std::to_string(count) + " elements but it holds " +
                std::to_string(t.data.size()) + " values");
  return uint64_t(count);
}

void append_f16(std::vector<uint8_t>& out, const std::string& name, const Tensor& t) {
  for (size_t i = 0; i < t.data.size(); ++i) {
    const float v = t.data[i];
    const uint16_t h = float_to_half(v);
    // A weight turned into infinity breaks the model silently; say so instead.
    if ((h & 0x7fffu) == 0x7c00u && std::isfinite(v))
      throw Error("cannot write tensor " + quoted(name) + " as F16: element " + std::to_string(i) +
                  " is " + std::to_string(v) + ", beyond F16's largest value 65504 (write F32)");
    store_le(out, h, 2);
  }
}

void append_bf16(std::vector<uint8_t>& out, const std::string& name, const Tensor& t) {
  for (size_t i = 0; i < t.data.size(); ++i) {
    const uint16_t b = float_to_bfloat16(t.data[i]);
    if ((b & 0x7fffu) == 0x7f80u && std::isfinite(t.data[i]))  // rounded past float's largest
      throw Error("cannot write tensor " + quoted(name) + " as BF16: element " + std::to_string(i) +
                  " rounds to infinity (write F32)");
    store_le(out, b, 2);
  }
}

void append_f32(std::vector<uint8_t>& out, const Tensor& t) {
  for (float v : t.data) store_le(out, float_bits(v), 4);
}

}  // namespace

namespace {

// With DType::I8, matrices (2-D or more) become I8 rows with an F32 scale per row,
// round(x / s) with s = max|row| / 127, so each row keeps its own range; vectors
// (LayerNorm gains, biases) are few and sensitive, and stay F16.
TensorFile quantize_rows(const TensorFile& file) {
  TensorFile out;
  out.metadata = file.metadata;
  for (const auto& [name, tensor] : file.tensors) {
    if (name.size() > kRowScaleSuffix.size() &&
        name.compare(name.size() - kRowScaleSuffix.size(), kRowScaleSuffix.size(),
                     kRowScaleSuffix) == 0)
      throw Error("cannot write tensor " + quoted(name) + " as I8: names ending in " +
                  quoted(std::string(kRowScaleSuffix)) + " are reserved for scales");
    const uint64_t count = checked_tensor_count(name, tensor);
    if (tensor.shape.size() < 2 || count == 0) {
      out.tensors.emplace(name, tensor);
      continue;
    }
    const size_t rows = size_t(tensor.shape[0]), row_size = size_t(count) / rows;
    Tensor q{tensor.shape, std::vector<float>(size_t(count))};
    Tensor scale{{int64_t(rows)}, std::vector<float>(rows)};
    for (size_t r = 0; r < rows; ++r) {
      const float* x = tensor.data.data() + r * row_size;
      float largest = 0;
      for (size_t c = 0; c < row_size; ++c) largest = std::max(largest, std::fabs(x[c]));
      if (!std::isfinite(largest))
        throw Error("cannot write tensor " + quoted(name) + " as I8: row " + std::to_string(r) +
                    " is not finite");
      scale.data[r] = largest / 127.0f;
      for (size_t c = 0; c < row_size; ++c)
        q.data[r * row_size + c] = largest == 0 ? 0.0f : std::nearbyint(x[c] / scale.data[r]);
    }
    out.tensors.emplace(name, std::move(q));
    out.tensors.emplace(name + std::string(kRowScaleSuffix), std::move(scale));
  }
  return out;
}

}  // namespace

std::vector<uint8_t> serialize_safetensors(const TensorFile& input, DType dtype) {
  if (dtype == DType::other) throw Error("cannot write safetensors: choose F32, F16, BF16 or I8");
  const TensorFile quantized = dtype == DType::I8 ? quantize_rows(input) : TensorFile{};
  const TensorFile& file = dtype == DType::I8 ? quantized : input;
  // Under I8 each tensor has its own type: I8 matrices, F32 scales, F16 vectors.
  auto type_of = [&](const std::string& name, const Tensor& tensor) {
    if (dtype != DType::I8) return dtype;
    if (input.tensors.count(name) == 0) return DType::F32;  // a scale
    return tensor.shape.size() >= 2 && !tensor.data.empty() ? DType::I8 : DType::F16;
  };
  // ordered_json keeps insertion order, so the header reads like the reference's:
  // "__metadata__" first, then tensors by name, each as dtype, shape, data_offsets.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : file.tensors) {
    const uint64_t bytes = checked_tensor_count(name, tensor) * dtype_bytes(type_of(name, tensor));
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    entry["dtype"] = dtype_name(type_of(name, tensor));
    entry["shape"] = tensor.shape;
    entry["data_offsets"] = {offset, offset + bytes};
    header[name] = std::move(entry);
    offset += bytes;
  }

  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::ordered_json::exception&) {
    throw Error("cannot write safetensors: tensor names and metadata must be valid UTF-8");
  }
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned

  std::vector<uint8_t> out;
  const uint64_t total = 8 + uint64_t(text.size()) + offset;
  if (total > out.max_size()) throw Error("cannot write safetensors: file too large for memory");
  out.reserve(size_t(total));
  store_le(out, text.size(), 8);
  out.insert(out.end(), text.begin(), text.end());
  for (const auto& [name, tensor] : file.tensors) {
    const DType type = type_of(name, tensor);
    if (type == DType::F16)
      append_f16(out, name, tensor);
    else if (type == DType::BF16)
      append_bf16(out, name, tensor);
    else if (type == DType::I8)
      for (float v : tensor.data) out.push_back(uint8_t(int8_t(v)));
    else
      append_f32(out, tensor);
  }
  return out;
}

void write_safetensors(const std::string& path, const TensorFile& file, DType dtype) {
  std::vector<uint8_t> bytes;
  try {
    bytes = serialize_safetensors(file, dtype);
  } catch (const Error& e) {
    fail(path, e.what());
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(path, "cannot open the file for writing");
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  out.close();
  if (!out) fail(path, "writing the file failed (disk full?)");
}

// ---------------------------------------------------------------------------
// Model loading

namespace {

const Tensor& find_tensor(const TensorFile& f, const std::string& name, const std::string& source) {
  const auto it = f.tensors.find(name);
  if (it != f.tensors.end()) return it->second;
  std::string names;
  int shown = 0;
  for (const auto& entry : f.tensors) {
    if (shown == 8) {
      names += ", ...";
      break;
    }
    names += (shown++ ? ", " : "") + quoted(entry.first);
  }
  fail(source, "no tensor named " + quoted(name) + " (the file has " +
                   std::to_string(f.tensors.size()) + " tensors" +
                   (names.empty() ? "" : ": " + names) + ")");
}

}  // namespace

Matrix tensor_matrix(const TensorFile& f, const std::string& name, int rows, int cols,
                     const std::string& source_name) {
  if (rows < 0 || cols < 0)
    fail(source_name, "tensor " + quoted(name) + ": asked for a negative shape");
  const Tensor& t = find_tensor(f, name, source_name);
  const std::vector<int64_t> expected = {rows, cols};
  const bool exact = t.shape == expected;
  const bool row_or_column = t.shape.size() == 1 && ((rows == 1 && t.shape[0] == cols) ||
                                                     (cols == 1 && t.shape[0] == rows));
  if (!exact && !row_or_column)
    fail(source_name, "tensor " + quoted(name) + " has shape " + shape_to_string(t.shape) +
                          ", expected " + shape_to_string(expected));
  // A TensorFile built in code (not parsed) may hold the wrong number of values.
  if (t.data.size() != size_t(rows) * size_t(cols))
    fail(source_name, "tensor " + quoted(name) + " holds " + std::to_string(t.data.size()) +
                          " values, not the " + std::to_string(int64_t(rows) * cols) +
                          " its shape needs");
  return Eigen::Map<const Matrix>(t.data.data(), rows, cols);
}

Vector tensor_vector(const TensorFile& f, const std::string& name, int n,
                     const std::string& source_name) {
  if (n < 0) fail(source_name, "tensor " + quoted(name) + ": asked for a negative length");
  const Tensor& t = find_tensor(f, name, source_name);
  const std::vector<int64_t> expected = {n};
  if (t.shape != expected)
    fail(source_name, "tensor " + quoted(name) + " has shape " + shape_to_string(t.shape) +
                          ", expected " + shape_to_string(expected));
  if (t.data.size() != size_t(n))
    fail(source_name, "tensor " + quoted(name) + " holds " + std::to_string(t.data.size()) +
                          " values, not the " + std::to_string(n) + " its shape needs");
  return Eigen::Map<const Vector>(t.data.data(), n);
}

}  // namespace llmsim
