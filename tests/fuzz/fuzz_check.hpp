// What every fuzz harness shares: the input as a string, and a check that stops the
// fuzzer (a crash it reports with the input) when a property the code promises fails.
// Errors the code throws on purpose (llmsim::Error) are the right answer to bad input;
// any other exception escapes the harness and libFuzzer reports it.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace llmsim::fuzz {

inline std::string as_string(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

inline void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "property failed: %s\n", what);
  std::abort();
}

}  // namespace llmsim::fuzz
