// Test support: the message of the llmsim::Error a call throws, for checking that a
// bad input is refused with the message a person can act on.
#pragma once
#include <functional>
#include <string>

#include "error.hpp"

namespace llmsim {

// "(no error)" when the call returns; any other exception escapes and fails the test.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace llmsim
