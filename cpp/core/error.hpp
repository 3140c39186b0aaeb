// The one exception type of the core. Its message is shown to a person as it is,
// so it says what went wrong and what to do about it.
#pragma once
#include <stdexcept>
#include <string>

namespace llmsim {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace llmsim
