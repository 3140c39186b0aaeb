// safetensors reading and writing, checked against numbers known independently of this
// code: IEEE binary16 bit patterns, byte buffers written out by hand, and the exact
// bytes the reference implementation produces for the files in its own test suite.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "error.hpp"
#include "io/safetensors.hpp"
#include "rng.hpp"

using namespace llmsim;
using Catch::Matchers::Contains;

namespace {

const std::string kSource = "bad.safetensors";

std::vector<uint8_t> u64_le(uint64_t v) {
  std::vector<uint8_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(v >> (8 * i)));
  return out;
}

// A file as the format describes it: length, header text as given (no padding), data.
std::vector<uint8_t> file_bytes(const std::string& header, const std::vector<uint8_t>& data = {}) {
  std::vector<uint8_t> out = u64_le(header.size());
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

TensorFile parse(const std::vector<uint8_t>& bytes) {
  return parse_safetensors(bytes.data(), bytes.size(), kSource);
}

// The message of the llmsim::Error that parsing throws. Any other exception escapes
// and fails the test, and so does parsing without an error.
std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    parse(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("parsed without an error");
  return "";
}

std::string error_of_header(const std::string& header, const std::vector<uint8_t>& data = {}) {
  return error_of(file_bytes(header, data));
}

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// The value of a binary16 code from the standard's definition, computed in double.
double half_reference_value(uint16_t h) {
  const int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  const double magnitude = exponent == 0 ? std::ldexp(double(mantissa), -24)
                                         : std::ldexp(1.0 + mantissa / 1024.0, exponent - 15);
  return sign ? -magnitude : magnitude;
}

// A small valid file with both dtypes, metadata, a scalar and an empty tensor.
TensorFile sample_file() {
  TensorFile f;
  f.metadata["format"] = "pt";
  f.metadata["note"] = "sample";
  f.tensors["w"] = Tensor{{2, 3}, {1.0f, -2.0f, 0.5f, 0.25f, -0.125f, 3.0f}};
  f.tensors["b"] = Tensor{{3}, {0.1f, 0.2f, -0.3f}};
  f.tensors["s"] = Tensor{{}, {7.0f}};
  f.tensors["e"] = Tensor{{0, 4}, {}};
  return f;
}

}  // namespace

// ---------------------------------------------------------------------------
// Half precision

TEST_CASE("float_to_half gives the IEEE binary16 bit patterns of known values", "[safetensors][f16]") {
  CHECK(float_to_half(1.0f) == 0x3C00);
  CHECK(float_to_half(-2.0f) == 0xC000);
  CHECK(float_to_half(0.0f) == 0x0000);
  CHECK(float_to_half(-0.0f) == 0x8000);
  CHECK(float_to_half(65504.0f) == 0x7BFF);          // largest finite half
  CHECK(float_to_half(0x1p-14f) == 0x0400);          // smallest normal
  CHECK(float_to_half(0x1p-24f) == 0x0001);          // smallest subnormal
  CHECK(float_to_half(1023 * 0x1p-24f) == 0x03FF);   // largest subnormal
  CHECK(float_to_half(1.0f / 3.0f) == 0x3555);
  CHECK(float_to_half(0.1f) == 0x2E66);
  CHECK(float_to_half(std::numeric_limits<float>::infinity()) == 0x7C00);
  CHECK(float_to_half(-std::numeric_limits<float>::infinity()) == 0xFC00);
  const uint16_t nan = float_to_half(std::numeric_limits<float>::quiet_NaN());
  CHECK((nan & 0x7C00) == 0x7C00);
  CHECK((nan & 0x03FF) != 0);
  // A signalling NaN whose payload lives only in the low bits must not become infinity.
  float snan;
  const uint32_t snan_bits = 0x7F800001u;
  std::memcpy(&snan, &snan_bits, 4);
  CHECK((float_to_half(snan) & 0x03FF) != 0);
}

TEST_CASE("float_to_half rounds to nearest, ties to even", "[safetensors][f16]") {
  // Between 1 (0x3C00) and 1 + 2^-10 (0x3C01) the tie 1 + 2^-11 goes to the even 0x3C00.
  CHECK(float_to_half(1.0f + 0x1p-11f) == 0x3C00);
  CHECK(float_to_half(1.0f + 0x1p-11f + 0x1p-20f) == 0x3C01);  // just past the tie
  CHECK(float_to_half(1.0f + 3 * 0x1p-11f) == 0x3C02);         // tie between 0x3C01 and 0x3C02
  // Spacing is 2 in [2048, 4096): 2049 is a tie that goes down, 2051 one that goes up.
  CHECK(float_to_half(2049.0f) == 0x6800);
  CHECK(float_to_half(2051.0f) == 0x6802);
  // 65520 is the tie between 65504 (odd 0x7BFF) and 65536 (even, not representable): inf.
  CHECK(float_to_half(65519.0f) == 0x7BFF);
  CHECK(float_to_half(65520.0f) == 0x7C00);
  CHECK(float_to_half(-65520.0f) == 0xFC00);
  CHECK(float_to_half(1e10f) == 0x7C00);
  // Subnormals: 2^-25 is the tie between 0 and 2^-24 and goes to 0; 3 * 2^-25 to 2 * 2^-24.
  CHECK(float_to_half(0x1p-25f) == 0x0000);
  CHECK(float_to_half(-0x1p-25f) == 0x8000);
  CHECK(float_to_half(0x1p-25f * 1.0000001f) == 0x0001);
  CHECK(float_to_half(3 * 0x1p-25f) == 0x0002);
  CHECK(float_to_half(1023.5f * 0x1p-24f) == 0x0400);  // rounds up into the normals
  CHECK(float_to_half(1e-45f) == 0x0000);               // float subnormal
  CHECK(float_to_half(-1e-45f) == 0x8000);
}

TEST_CASE("half_to_float decodes every code exactly", "[safetensors][f16]") {
  CHECK(half_to_float(0x3C00) == 1.0f);
  CHECK(half_to_float(0x7BFF) == 65504.0f);
  CHECK(half_to_float(0x0001) == 0x1p-24f);
  CHECK(half_to_float(0x03FF) == 1023 * 0x1p-24f);
  CHECK(half_to_float(0x0400) == 0x1p-14f);
  CHECK(half_to_float(0x3555) == 0.333251953125f);
  CHECK(bits_of(half_to_float(0x8000)) == 0x80000000u);  // -0, not +0
  CHECK(half_to_float(0x7C00) == std::numeric_limits<float>::infinity());
  CHECK(half_to_float(0xFC00) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(half_to_float(0x7E00)));
  CHECK(std::isnan(half_to_float(0x7C01)));

  for (uint32_t code = 0; code <= 0xFFFF; ++code) {
    const uint16_t h = uint16_t(code);
    const float f = half_to_float(h);
    const bool is_nan = (h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0;
    const bool is_inf = (h & 0x7FFF) == 0x7C00;
    if (is_nan) {
      REQUIRE(std::isnan(f));
      REQUIRE(std::isnan(half_to_float(float_to_half(f))));
    } else if (is_inf) {
      REQUIRE(std::isinf(f));
      REQUIRE(float_to_half(f) == h);
    } else {
      REQUIRE(double(f) == half_reference_value(h));
      REQUIRE(std::signbit(f) == bool(h & 0x8000));
      REQUIRE(float_to_half(f) == h);  // every half survives the round trip
    }
  }
}

TEST_CASE("float_to_half picks the nearest half at every tie and for random floats",
          "[safetensors][f16]") {
  // Treat 0x7C00 as 65536 here: that is the even neighbour overflow rounds to.
  auto value = [](uint16_t code) { return code == 0x7C00 ? 65536.0 : half_reference_value(code); };
  // Exact midpoints between neighbouring positive halves (representable in float):
  // the even code wins; one float step to either side decides for the nearer one.
  for (uint16_t h = 0; h < 0x7C00; ++h) {
    const float mid = float((value(h) + value(uint16_t(h + 1))) / 2);
    REQUIRE(double(mid) == (value(h) + value(uint16_t(h + 1))) / 2);
    const uint16_t even = (h & 1) ? uint16_t(h + 1) : h;
    REQUIRE(float_to_half(mid) == even);
    REQUIRE(float_to_half(std::nextafter(mid, 0.0f)) == h);
    REQUIRE(float_to_half(std::nextafter(mid, 1e30f)) == uint16_t(h + 1));
    REQUIRE(float_to_half(-mid) == (even | 0x8000));
  }
  // Random finite floats below 65536: no neighbour of the chosen code is nearer.
  Rng rng(16);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t bits = uint32_t(rng.next_u64()) & 0x7FFFFFFFu;
    float f;
    std::memcpy(&f, &bits, 4);
    if (!(f < 65536.0f)) continue;
    const uint16_t h = float_to_half(f);
    REQUIRE(h <= 0x7C00);
    const double error = std::fabs(double(f) - value(h));
    if (h > 0) REQUIRE(std::fabs(double(f) - value(uint16_t(h - 1))) >= error);
    if (h < 0x7C00) REQUIRE(std::fabs(double(f) - value(uint16_t(h + 1))) >= error);
  }
}

// ---------------------------------------------------------------------------
// Reading files built by hand

TEST_CASE("a hand-built file is read with its values, shapes and metadata", "[safetensors]") {
  // Offsets out of name order, metadata in the middle, whitespace around the object.
  const std::string header =
      "  {\"b\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[16,24]},"
      "\"__metadata__\":{\"format\":\"pt\"},"
      "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}   ";
  const std::vector<uint8_t> data = {
      0x00, 0x00, 0x80, 0x3F,  // a: 1.0f
      0x00, 0x00, 0x00, 0xC0,  //    -2.0f
      0xCD, 0xCC, 0xCC, 0x3D,  //    0.1f (0x3DCCCCCD)
      0x00, 0x00, 0x80, 0x7F,  //    +inf
      0x00, 0x3C,              // b: 1.0
      0x55, 0x35,              //    0x3555
      0x01, 0x00,              //    2^-24
      0x00, 0x80,              //    -0.0
  };
  const TensorFile f = parse(file_bytes(header, data));
  REQUIRE(f.metadata.size() == 1);
  CHECK(f.metadata.at("format") == "pt");
  REQUIRE(f.tensors.size() == 2);
  const Tensor& a = f.tensors.at("a");
  CHECK(a.shape == std::vector<int64_t>{2, 2});
  REQUIRE(a.data.size() == 4);
  CHECK(a.data[0] == 1.0f);
  CHECK(a.data[1] == -2.0f);
  CHECK(a.data[2] == 0.1f);
  CHECK(a.data[3] == std::numeric_limits<float>::infinity());
  const Tensor& b = f.tensors.at("b");
  CHECK(b.shape == std::vector<int64_t>{4});
  REQUIRE(b.data.size() == 4);
  CHECK(b.data[0] == 1.0f);
  CHECK(b.data[1] == 0.333251953125f);
  CHECK(b.data[2] == 0x1p-24f);
  CHECK(bits_of(b.data[3]) == 0x80000000u);
}

TEST_CASE("bfloat16: known bit patterns, ties to even, NaN kept, and BF16 files read and written",
          "[safetensors][bf16]") {
  // bfloat16 is the top half of a float: 1.0f = 0x3F800000 -> 0x3F80.
  CHECK(float_to_bfloat16(1.0f) == 0x3F80);
  CHECK(float_to_bfloat16(-2.0f) == 0xC000);
  CHECK(float_to_bfloat16(3.140625f) == 0x4049);  // exact: 1.5703125 · 2
  CHECK(bfloat16_to_float(0x4049) == 3.140625f);
  // 0x3F808000 lies halfway between 0x3F80 and 0x3F81: to the even one; 0x3F818000 up.
  const auto from_bits = [](uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; };
  CHECK(float_to_bfloat16(from_bits(0x3F808000u)) == 0x3F80);
  CHECK(float_to_bfloat16(from_bits(0x3F818000u)) == 0x3F82);
  CHECK(float_to_bfloat16(from_bits(0x3F808001u)) == 0x3F81);
  CHECK(std::isnan(bfloat16_to_float(float_to_bfloat16(std::numeric_limits<float>::quiet_NaN()))));
  CHECK(std::isnan(bfloat16_to_float(float_to_bfloat16(from_bits(0x7F800001u)))));  // not inf
  CHECK(float_to_bfloat16(std::numeric_limits<float>::infinity()) == 0x7F80);

  const std::string header = R"({"a":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]}})";
  const TensorFile f = parse(file_bytes(header, {0x80, 0x3F, 0x49, 0x40, 0x00, 0x80}));
  CHECK(f.tensors.at("a").data == std::vector<float>{1.0f, 3.140625f, -0.0f});

  TensorFile g;
  g.tensors["w"] = Tensor{{2}, {0.1f, -300.5f}};
  const std::vector<uint8_t> bytes = serialize_safetensors(g, DType::BF16);
  const TensorFile back = parse(bytes);
  for (int i = 0; i < 2; ++i)
    CHECK(back.tensors.at("w").data[i] == bfloat16_to_float(float_to_bfloat16(g.tensors["w"].data[i])));
  g.tensors["w"].data[0] = std::numeric_limits<float>::max();  // rounds up past float's range
  CHECK_THROWS_WITH(serialize_safetensors(g, DType::BF16), Contains("rounds to infinity"));
}

TEST_CASE("the header alone: read from a file's first bytes, and one tensor decoded from the file",
          "[safetensors]") {
  TensorFile f = sample_file();
  const std::vector<uint8_t> bytes = serialize_safetensors(f, DType::F32);
  const SafetensorsHeader whole = read_safetensors_header(bytes.data(), bytes.size(), kSource, true);
  CHECK(whole.data_offset + whole.data_bytes == bytes.size());
  REQUIRE(whole.find("w") != nullptr);
  CHECK(whole.find("w")->shape == std::vector<int64_t>{2, 3});
  CHECK(whole.find("w")->dtype == DType::F32);
  CHECK(whole.find("missing") == nullptr);
  CHECK(whole.metadata.at("note") == "sample");
  // Only the length and the header: enough to size the file before reading the rest.
  const SafetensorsHeader first =
      read_safetensors_header(bytes.data(), size_t(whole.data_offset), kSource, false);
  CHECK(first.data_bytes == whole.data_bytes);
  CHECK(first.tensors.size() == 4);
  CHECK_THROWS_WITH(read_safetensors_header(bytes.data(), size_t(whole.data_offset), kSource, true),
                    Contains("trailing garbage") || Contains("reach past"));
  CHECK_THROWS_WITH(read_safetensors_header(bytes.data(), size_t(whole.data_offset) - 1, kSource, false),
                    Contains("truncated"));

  std::vector<float> w(6);
  decode_tensor(bytes.data(), bytes.size(), whole, *whole.find("w"), w.data(), kSource);
  CHECK(w == f.tensors["w"].data);
  // a header from the whole file, bytes cut short: refused, not read past the end
  CHECK_THROWS_WITH(decode_tensor(bytes.data(), size_t(whole.data_offset) + 4, whole, *whole.find("w"),
                                  w.data(), kSource),
                    Contains("does not lie inside"));
}

TEST_CASE("edge cases the format allows are read", "[safetensors]") {
  SECTION("no tensors at all") {
    const TensorFile f = parse(file_bytes("{}"));
    CHECK(f.tensors.empty());
    CHECK(f.metadata.empty());
  }
  SECTION("a scalar has shape [] and one element") {
    const TensorFile f = parse(file_bytes(
        R"({"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})", {0x00, 0x00, 0x40, 0x40}));
    CHECK(f.tensors.at("s").shape.empty());
    CHECK(f.tensors.at("s").data == std::vector<float>{3.0f});
  }
  SECTION("empty tensors take no bytes, even with a huge other dimension") {
    const TensorFile f = parse(file_bytes(
        R"({"e":{"dtype":"F16","shape":[0,4611686018427387904],"data_offsets":[0,0]},)"
        R"("z":{"dtype":"F32","shape":[3,0],"data_offsets":[0,0]}})"));
    CHECK(f.tensors.at("e").data.empty());
    CHECK(f.tensors.at("z").shape == std::vector<int64_t>{3, 0});
  }
  SECTION("null metadata and unknown fields in an entry are accepted") {
    const TensorFile f = parse(file_bytes(
        R"({"__metadata__":null,"x":{"dtype":"F16","shape":[1],"data_offsets":[0,2],"extra":[1]}})",
        {0x00, 0x3C}));
    CHECK(f.metadata.empty());
    CHECK(f.tensors.at("x").data == std::vector<float>{1.0f});
  }
}

// ---------------------------------------------------------------------------
// Writing: the exact bytes of the reference implementation

TEST_CASE("the writer produces the reference implementation's bytes", "[safetensors]") {
  SECTION("an empty file is {} padded with spaces to 8 bytes") {
    const std::vector<uint8_t> expected = {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
    CHECK(serialize_safetensors(TensorFile{}, DType::F32) == expected);
  }
  SECTION("metadata only: 35 bytes of JSON and 5 spaces") {
    TensorFile f;
    f.metadata["framework"] = "pt";
    CHECK(serialize_safetensors(f, DType::F32) ==
          file_bytes(R"({"__metadata__":{"framework":"pt"}})" + std::string(5, ' ')));
  }
  SECTION("one F32 tensor whose header is exactly 64 bytes needs no padding") {
    TensorFile f;
    f.tensors["attn.0"] = Tensor{{1, 2, 3}, {0, 1, 2, 3, 4, 5}};
    const std::vector<uint8_t> data = {0, 0, 0,   0,  0, 0, 128, 63, 0, 0, 0,   64,
                                       0, 0, 64,  64, 0, 0, 128, 64, 0, 0, 160, 64};
    const std::string header = R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})";
    REQUIRE(header.size() == 64);
    CHECK(serialize_safetensors(f, DType::F32) == file_bytes(header, data));
  }
  SECTION("a shorter name makes 7 spaces of padding") {
    TensorFile f;
    f.tensors["attn0"] = Tensor{{1, 1, 2, 3}, {0, 1, 2, 3, 4, 5}};
    const std::vector<uint8_t> bytes = serialize_safetensors(f, DType::F32);
    const std::string header =
        R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})" + std::string(7, ' ');
    REQUIRE(header.size() == 72);
    CHECK(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 80) == file_bytes(header));
    CHECK(bytes.size() == 80 + 24);
  }
  SECTION("F16 data is written as little-endian binary16") {
    TensorFile f;
    f.tensors["h"] = Tensor{{4}, {1.0f, -0.0f, 65504.0f, 1.0f / 3.0f}};
    const std::string header =
        R"({"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}})" + std::string(2, ' ');
    REQUIRE(header.size() == 56);
    CHECK(serialize_safetensors(f, DType::F16) ==
          file_bytes(header, {0x00, 0x3C, 0x00, 0x80, 0xFF, 0x7B, 0x55, 0x35}));
  }
}

TEST_CASE("files round-trip through the writer and the reader", "[safetensors]") {
  Rng rng(7);
  TensorFile f = sample_file();
  Tensor big{{17, 5}, {}};
  for (int i = 0; i < 85; ++i) big.data.push_back(float(rng.normal()));
  big.data[3] = -0.0f;
  big.data[4] = std::numeric_limits<float>::infinity();
  big.data[5] = std::numeric_limits<float>::quiet_NaN();
  f.tensors["big"] = big;

  SECTION("F32 keeps every bit") {
    const TensorFile back = parse(serialize_safetensors(f, DType::F32));
    CHECK(back.metadata == f.metadata);
    REQUIRE(back.tensors.size() == f.tensors.size());
    for (const auto& [name, t] : f.tensors) {
      const Tensor& r = back.tensors.at(name);
      CHECK(r.shape == t.shape);
      REQUIRE(r.data.size() == t.data.size());
      for (size_t i = 0; i < t.data.size(); ++i) CHECK(bits_of(r.data[i]) == bits_of(t.data[i]));
    }
  }
  SECTION("F16 gives each value rounded to half precision") {
    const TensorFile back = parse(serialize_safetensors(f, DType::F16));
    for (const auto& [name, t] : f.tensors) {
      const Tensor& r = back.tensors.at(name);
      CHECK(r.shape == t.shape);
      REQUIRE(r.data.size() == t.data.size());
      for (size_t i = 0; i < t.data.size(); ++i) {
        if (std::isnan(t.data[i])) {
          CHECK(std::isnan(r.data[i]));
        } else {
          CHECK(bits_of(r.data[i]) == bits_of(half_to_float(float_to_half(t.data[i]))));
          if (std::isfinite(t.data[i]) && std::fabs(t.data[i]) > 1e-4f)
            CHECK(std::fabs(r.data[i] - t.data[i]) <= std::fabs(t.data[i]) * 0x1p-11f);
        }
      }
    }
  }
  SECTION("the header is padded so the data starts at a multiple of 8") {
    for (DType dtype : {DType::F16, DType::F32}) {
      const std::vector<uint8_t> bytes = serialize_safetensors(f, dtype);
      uint64_t n = 0;
      for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
      CHECK(n % 8 == 0);
      CHECK(bytes[8 + n - 1] == ' ');
    }
  }
}

TEST_CASE("the writer refuses tensors it cannot store faithfully", "[safetensors]") {
  auto message = [](const TensorFile& f, DType dtype) -> std::string {
    try {
      serialize_safetensors(f, dtype);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  TensorFile f;
  SECTION("a value beyond F16's range") {
    f.tensors["w"] = Tensor{{2}, {1.0f, 70000.0f}};
    CHECK_THAT(message(f, DType::F16), Contains("\"w\"") && Contains("65504"));
    CHECK_NOTHROW(serialize_safetensors(f, DType::F32));
  }
  SECTION("infinity itself is stored as infinity") {
    f.tensors["w"] = Tensor{{1}, {-std::numeric_limits<float>::infinity()}};
    CHECK(parse(serialize_safetensors(f, DType::F16)).tensors.at("w").data[0] ==
          -std::numeric_limits<float>::infinity());
  }
  SECTION("data that does not match the shape") {
    f.tensors["w"] = Tensor{{2, 2}, {1, 2, 3}};
    CHECK_THAT(message(f, DType::F32), Contains("\"w\"") && Contains("[2, 2]") && Contains("3 values"));
  }
  SECTION("a negative dimension") {
    f.tensors["w"] = Tensor{{-1}, {}};
    CHECK_THAT(message(f, DType::F32), Contains("negative"));
  }
  SECTION("the reserved name __metadata__") {
    f.tensors["__metadata__"] = Tensor{{1}, {1}};
    CHECK_THAT(message(f, DType::F32), Contains("reserves"));
  }
  SECTION("a name that is not UTF-8") {
    f.tensors["bad\xff"] = Tensor{{1}, {1}};
    CHECK_THAT(message(f, DType::F32), Contains("UTF-8"));
  }
}

// ---------------------------------------------------------------------------
// Bad input: every case is an llmsim::Error naming the file and the problem

TEST_CASE("truncated files are rejected", "[safetensors][bad]") {
  CHECK_THAT(error_of({}), Contains("bad.safetensors: ") && Contains("0 bytes, too short"));
  CHECK_THAT(error_of({1, 0, 0, 0, 0, 0, 0}), Contains("7 bytes, too short"));
  std::vector<uint8_t> bytes = u64_le(100);
  bytes.insert(bytes.end(), 10, '{');
  CHECK_THAT(error_of(bytes), Contains("bad.safetensors: ") && Contains("100 bytes but only 10") &&
                                  Contains("truncated"));
  CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                             std::vector<uint8_t>(8, 0)),
             Contains("\"a\"") && Contains("reach past the 8 data bytes"));
}

TEST_CASE("bogus headers are rejected", "[safetensors][bad]") {
  SECTION("absurd header lengths are refused before anything is allocated") {
    for (uint64_t n : {uint64_t(1) << 63, ~uint64_t(0), kMaxSafetensorsHeaderBytes + 1}) {
      std::vector<uint8_t> bytes = u64_le(n);
      bytes.insert(bytes.end(), {'{', '}'});
      CHECK_THAT(error_of(bytes), Contains("bad.safetensors: ") && Contains("more than the limit") &&
                                      Contains(std::to_string(n)));
    }
  }
  SECTION("not JSON") {
    CHECK_THAT(error_of_header("hello"), Contains("bad.safetensors: header is not valid JSON"));
    CHECK_THAT(error_of_header(""), Contains("not valid JSON"));
    CHECK_THAT(error_of_header("{\"a\":1"), Contains("not valid JSON"));
    CHECK_THAT(error_of_header("{} {}"), Contains("not valid JSON"));
    CHECK_THAT(error_of_header(std::string("{\"a\0\":1}", 8)), Contains("not valid JSON"));
    CHECK_THAT(error_of_header("{\"\xff\xfe\":{}}"), Contains("not valid JSON"));  // not UTF-8
  }
  SECTION("JSON but not an object") {
    for (const char* header : {"[1,2]", "42", "\"text\"", "null"})
      CHECK_THAT(error_of_header(header), Contains("bad.safetensors: header is JSON but not an object"));
  }
  SECTION("deep nesting neither crashes nor recurses out of stack") {
    const int depth = 200000;
    CHECK_THAT(error_of_header(std::string(depth, '[') + std::string(depth, ']')),
               Contains("not an object"));
    CHECK_THAT(error_of_header("{\"a\":" + std::string(depth, '[') + std::string(depth, ']') + "}"),
               Contains("\"a\" is not an object"));
  }
  SECTION("entries of the wrong type") {
    CHECK_THAT(error_of_header(R"({"a":5})"), Contains("header entry \"a\" is not an object"));
    CHECK_THAT(error_of_header(R"({"a":{"shape":[1],"data_offsets":[0,4]}})"),
               Contains("\"a\" has no \"dtype\""));
    CHECK_THAT(error_of_header(R"({"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}})"),
               Contains("\"dtype\" is not a string"));
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})"),
               Contains("\"a\" has no \"shape\""));
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}})"),
               Contains("\"shape\" is not an array"));
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}})"),
               Contains("shape entry \"1\" is not a non-negative integer"));
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","shape":[1]}})"),
               Contains("\"a\" has no \"data_offsets\""));
    for (const char* offsets : {"4", "[0]", "[0,4,8]", "[0,\"4\"]", "[-4,0]", "[0,4.0]", "{}"})
      CHECK_THAT(error_of_header(std::string(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":)") +
                                 offsets + "}}"),
                 Contains("\"data_offsets\" is not a pair of non-negative integers"));
    CHECK_THAT(error_of_header(R"({"__metadata__":["x"]})"), Contains("\"__metadata__\" is not an object"));
    CHECK_THAT(error_of_header(R"({"__metadata__":{"k":1}})"),
               Contains("\"__metadata__\" value for key \"k\" is not a string"));
  }
  SECTION("unknown or unsupported dtypes") {
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}})"),
               Contains("bad.safetensors: tensor \"a\" has dtype \"F17\"; only F16, BF16, F32 and I8"));
    // a dtype of the format that is not decoded: its bytes are stepped over in the
    // header, and parsing refuses it
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})",
                               std::vector<uint8_t>(8)),
               Contains("dtype \"F64\"; only F16, BF16, F32 and I8"));
    const std::vector<uint8_t> mixed = file_bytes(
        R"({"m":{"dtype":"BOOL","shape":[2,2],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
        {1, 0, 1, 1, 0x00, 0x00, 0x80, 0x3F});
    const SafetensorsHeader header = read_safetensors_header(mixed.data(), mixed.size(), kSource, true);
    CHECK(header.find("m")->dtype == DType::other);
    CHECK(header.find("m")->dtype_text == "BOOL");
    float w = 0;
    decode_tensor(mixed.data(), mixed.size(), header, *header.find("w"), &w, kSource);
    CHECK(w == 1.0f);
    std::vector<float> m(4);
    CHECK_THROWS_WITH(decode_tensor(mixed.data(), mixed.size(), header, *header.find("m"), m.data(), kSource),
                      Contains("dtype \"BOOL\""));
  }
  SECTION("negative, fractional and out-of-range shape entries") {
    for (const char* dim : {"-1", "2.5", "2.0", "1e30", "18446744073709551616"})
      CHECK_THAT(error_of_header(std::string(R"({"a":{"dtype":"F32","shape":[)") + dim +
                                 R"(],"data_offsets":[0,4]}})"),
                 Contains("\"a\": shape entry") && Contains("is not a non-negative integer"));
    CHECK_THAT(error_of_header(
                   R"({"a":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,4]}})"),
               Contains("is too large"));
  }
  SECTION("shape products that overflow") {
    CHECK_THAT(error_of_header(
                   R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,2],"data_offsets":[0,4]}})"),
               Contains("\"a\": shape [4294967296, 4294967296, 2] has more elements than fit in 64 bits"));
    // Fits in 64 bits as elements, not as bytes.
    CHECK_THAT(error_of_header(
                   R"({"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,4]}})",
                   {0, 0, 0, 0}),
               Contains("needs more than 2^64 bytes"));
  }
}

TEST_CASE("headers that lie about offsets are rejected", "[safetensors][bad]") {
  const std::vector<uint8_t> d12(12, 0);
  SECTION("end before begin") {
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", d12),
               Contains("\"a\": data_offsets [8, 4] end before they begin"));
  }
  SECTION("end beyond the data, also at 2^64 - 1") {
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", d12),
               Contains("reach past the 12 data bytes"));
    CHECK_THAT(error_of_header(
                   R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551615]}})",
                   d12),
               Contains("reach past"));
    // Values that would wrap around in 32-bit size_t arithmetic (wasm32) must not.
    CHECK_THAT(error_of_header(
                   R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4294967296,4294967300]}})",
                   std::vector<uint8_t>(4, 0)),
               Contains("reach past the 4 data bytes"));
    CHECK_THAT(error_of_header(
                   R"({"a":{"dtype":"F32","shape":[1073741824],"data_offsets":[0,4294967296]}})",
                   std::vector<uint8_t>(4, 0)),
               Contains("reach past the 4 data bytes"));
  }
  SECTION("shape and byte range disagree") {
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", d12),
               Contains("\"a\" (F32, shape [2, 2]) needs 16 bytes but data_offsets [0, 12] span 12"));
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F16","shape":[3],"data_offsets":[0,12]}})", d12),
               Contains("needs 6 bytes"));
  }
  SECTION("overlapping tensors") {
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                               d12),
               Contains("\"b\"") && Contains("overlaps tensor \"a\""));
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},)"
                               R"("b":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})",
                               d12),
               Contains("overlaps"));
    // An empty tensor inside another one also claims bytes that are not its own.
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},)"
                               R"("e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
                               d12),
               Contains("overlaps"));
  }
  SECTION("holes between, before and after tensors") {
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                               R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                               d12),
               Contains("data bytes 4 to 8 belong to no tensor (a hole before tensor \"b\")"));
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", d12),
               Contains("data bytes 0 to 4 belong to no tensor"));
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", d12),
               Contains("the tensors end at data byte 8 but the file has 12 data bytes"));
    CHECK_THAT(error_of_header("{}", d12), Contains("end at data byte 0 but the file has 12"));
  }
  SECTION("a duplicated name keeps the last entry, so the first one's bytes become a hole") {
    CHECK_THAT(error_of_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                               R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                               std::vector<uint8_t>(8, 0)),
               Contains("belong to no tensor"));
  }
}

TEST_CASE("parsing survives every truncation and thousands of random corruptions",
          "[safetensors][bad][fuzz]") {
  const std::vector<uint8_t> valid = serialize_safetensors(sample_file(), DType::F16);
  REQUIRE_NOTHROW(parse(valid));
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | valid[i];
  const size_t header_end = size_t(8 + header_size);

  SECTION("every strict prefix is an error (the data must end where the tensors end)") {
    for (size_t length = 0; length < valid.size(); ++length) {
      const std::vector<uint8_t> prefix(valid.begin(), valid.begin() + std::ptrdiff_t(length));
      // A copy of exactly `length` bytes, so a read past it is caught by ASan/valgrind.
      CHECK_THROWS_AS(parse(prefix), Error);
    }
  }
  SECTION("random byte changes, insertions and deletions parse or throw llmsim::Error") {
    Rng rng(2024);
    int parsed = 0, rejected = 0;
    for (int trial = 0; trial < 6000; ++trial) {
      std::vector<uint8_t> bytes = valid;
      const int edits = 1 + int(rng.next_u64() % 4);
      for (int k = 0; k < edits && !bytes.empty(); ++k) {
        // Most edits hit the header, where a change can mean anything; some hit the
        // length field and the data.
        const bool in_header = rng.uniform() < 0.8 && header_end <= bytes.size();
        const size_t pos = in_header ? 8 + size_t(rng.next_u64() % header_size)
                                     : size_t(rng.next_u64() % bytes.size());
        const uint8_t value = uint8_t(rng.next_u64());
        switch (rng.next_u64() % 4) {
          case 0: bytes[pos] = value; break;
          case 1: bytes[pos] ^= uint8_t(1u << (rng.next_u64() % 8)); break;
          case 2: bytes.insert(bytes.begin() + std::ptrdiff_t(pos), value); break;
          default: bytes.erase(bytes.begin() + std::ptrdiff_t(pos)); break;
        }
      }
      try {
        parse(bytes);
        ++parsed;
      } catch (const Error&) {
        ++rejected;
      }
    }
    // Both outcomes occur: the corruptions are neither all harmless nor all caught early.
    CHECK(parsed > 20);
    CHECK(rejected > 1000);
  }
}

// ---------------------------------------------------------------------------
// Files on disk and model loading

TEST_CASE("files are written to and read from disk", "[safetensors]") {
  namespace fs = std::filesystem;
  const fs::path path = fs::temp_directory_path() /
                        ("llmsim_test_" +
                         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) +
                         ".safetensors");
  const TensorFile f = sample_file();
  write_safetensors(path.string(), f, DType::F32);
  const TensorFile back = read_safetensors(path.string());
  fs::remove(path);
  CHECK(back.metadata == f.metadata);
  CHECK(back.tensors.at("w").data == f.tensors.at("w").data);
  CHECK(back.tensors.at("b").data == f.tensors.at("b").data);

  auto read_error = [](const std::string& p) -> std::string {
    try {
      read_safetensors(p);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK_THAT(read_error("/nonexistent/model.safetensors"),
             Contains("/nonexistent/model.safetensors: cannot open"));
  // A folder where the file should be used to read as 0 bytes ("file is 0 bytes").
  const std::string directory = fs::temp_directory_path().string();
  CHECK_THAT(read_error(directory), Contains(directory + ": is a folder, not a file"));
  CHECK_THROWS_WITH(write_safetensors("/nonexistent/dir/model.safetensors", f, DType::F16),
                    Contains("/nonexistent/dir/model.safetensors: cannot open the file for writing"));
}

TEST_CASE("tensor_matrix and tensor_vector check shapes and keep row-major order",
          "[safetensors]") {
  const TensorFile f = sample_file();
  const Matrix w = tensor_matrix(f, "w", 2, 3, "model.safetensors");
  REQUIRE(w.rows() == 2);
  REQUIRE(w.cols() == 3);
  CHECK(w(0, 0) == 1.0f);
  CHECK(w(0, 2) == 0.5f);
  CHECK(w(1, 0) == 0.25f);
  CHECK(w(1, 2) == 3.0f);

  const Matrix row = tensor_matrix(f, "b", 1, 3, "model.safetensors");
  const Matrix column = tensor_matrix(f, "b", 3, 1, "model.safetensors");
  CHECK(row(0, 2) == -0.3f);
  CHECK(column(2, 0) == -0.3f);
  const Vector b = tensor_vector(f, "b", 3, "model.safetensors");
  CHECK(b(1) == 0.2f);

  CHECK_THROWS_WITH(tensor_matrix(f, "w", 3, 2, "model.safetensors"),
                    "model.safetensors: tensor \"w\" has shape [2, 3], expected [3, 2]");
  CHECK_THROWS_WITH(tensor_matrix(f, "b", 3, 3, "model.safetensors"),
                    "model.safetensors: tensor \"b\" has shape [3], expected [3, 3]");
  CHECK_THROWS_WITH(tensor_vector(f, "w", 6, "model.safetensors"),
                    "model.safetensors: tensor \"w\" has shape [2, 3], expected [6]");
  CHECK_THROWS_WITH(tensor_matrix(f, "wq", 2, 3, "model.safetensors"),
                    Contains("model.safetensors: no tensor named \"wq\" (the file has 4 tensors: "
                             "\"b\", \"e\", \"s\", \"w\")"));
  CHECK_THROWS_AS(tensor_matrix(f, "w", -2, -3, "model.safetensors"), Error);

  TensorFile inconsistent;
  inconsistent.tensors["x"] = Tensor{{2, 2}, {1, 2, 3}};
  CHECK_THROWS_WITH(tensor_matrix(inconsistent, "x", 2, 2, "m"), Contains("holds 3 values"));
}

TEST_CASE("I8 rows with per-row scales: hand-built bytes read as q times the row's scale",
          "[safetensors][i8]") {
  // w: I8 [2, 3] = [[127, -64, 0], [1, 2, -127]]; w.scale: F32 [2] = [0.5, 2]
  const std::string header =
      R"({"w":{"dtype":"I8","shape":[2,3],"data_offsets":[0,6]},)"
      R"("w.scale":{"dtype":"F32","shape":[2],"data_offsets":[6,14]}})";
  std::vector<uint8_t> data = {127, uint8_t(-64), 0, 1, 2, uint8_t(-127)};
  for (uint32_t bits : {0x3f000000u /* 0.5 */, 0x40000000u /* 2 */})
    for (int i = 0; i < 4; ++i) data.push_back(uint8_t(bits >> (8 * i)));
  const TensorFile f = parse(file_bytes(header, data));
  REQUIRE(f.tensors.size() == 1);  // the scale partner is folded in and dropped
  const std::vector<float> expected = {63.5f, -32.0f, 0.0f, 2.0f, 4.0f, -254.0f};
  CHECK(f.tensors.at("w").data == expected);

  const std::string no_scale = R"({"w":{"dtype":"I8","shape":[2,3],"data_offsets":[0,6]}})";
  CHECK_THROWS_WITH(parse(file_bytes(no_scale, {1, 2, 3, 4, 5, 6})),
                    Contains("needs its per-row scales") && Contains("w.scale"));
  const std::string wrong_rows =
      R"({"w":{"dtype":"I8","shape":[2,3],"data_offsets":[0,6]},)"
      R"("w.scale":{"dtype":"F32","shape":[3],"data_offsets":[6,18]}})";
  CHECK_THROWS_WITH(parse(file_bytes(wrong_rows, std::vector<uint8_t>(18, 0))),
                    Contains("has shape [3]") && Contains("2 rows"));
}

TEST_CASE("writing I8 keeps every weight within half a step of its row's scale",
          "[safetensors][i8]") {
  Rng rng(7);
  TensorFile file;
  Tensor m{{5, 40}, {}}, v{{40}, {}};
  for (int r = 0; r < 5; ++r)
    for (int c = 0; c < 40; ++c) m.data.push_back(float(rng.normal()) * float(1 << (2 * r)));  // rows of very different size
  for (int c = 0; c < 40; ++c) v.data.push_back(float(rng.normal()));
  m.data[3] = 0;
  file.tensors = {{"m", m}, {"v", v}, {"zero", Tensor{{2, 2}, {0, 0, 0, 0}}}};
  const std::vector<uint8_t> bytes = serialize_safetensors(file, DType::I8);
  // One I8 byte per matrix element plus 4-byte scales, 2-byte F16 for the vector.
  const uint64_t header = [&] { uint64_t h = 0; for (int i = 7; i >= 0; --i) h = h << 8 | bytes[size_t(i)]; return h; }();
  CHECK(bytes.size() - 8 - header == 5 * 40 + 5 * 4 + 40 * 2 + 2 * 2 + 2 * 4);
  const TensorFile back = parse(bytes);
  REQUIRE(back.tensors.size() == 3);
  for (int r = 0; r < 5; ++r) {
    float largest = 0;
    for (int c = 0; c < 40; ++c) largest = std::max(largest, std::fabs(m.data[size_t(r * 40 + c)]));
    const float step = largest / 127;
    for (int c = 0; c < 40; ++c)
      CHECK(std::fabs(back.tensors.at("m").data[size_t(r * 40 + c)] - m.data[size_t(r * 40 + c)]) <=
            0.5f * step * 1.0001f);
  }
  CHECK(back.tensors.at("m").data[3] == 0.0f);
  CHECK(back.tensors.at("zero").data == std::vector<float>(4, 0.0f));
  for (int c = 0; c < 40; ++c)
    CHECK(back.tensors.at("v").data[size_t(c)] == half_to_float(float_to_half(v.data[size_t(c)])));

  file.tensors.emplace("x.scale", Tensor{{2, 2}, {1, 2, 3, 4}});
  CHECK_THROWS_WITH(serialize_safetensors(file, DType::I8), Contains("reserved for scales"));
}
