// Numbers read out of JSON that a user (or a hostile page) wrote. nlohmann's get<int>
// casts whatever is there: 1e99 into an int is undefined behaviour, 2^32 wraps to 0.
// Every integer option goes through json_int, which checks the kind and the range.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "error.hpp"

namespace llmsim {

// `value` as an int in [lo, hi], or Error("<what> must be ..."); `what` names the
// field as the user wrote it, e.g. "option \"top_k\"".
inline int json_int(const nlohmann::json& value, const std::string& what, int lo, int hi) {
  const std::string range = " between " + std::to_string(lo) + " and " + std::to_string(hi);
  if (!value.is_number_integer()) throw Error(what + " must be an integer" + range);
  // Unsigned values above INT64_MAX are out of any int range: test them before the cast.
  const bool too_big = value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(hi);
  const int64_t v = too_big ? int64_t(hi) + 1 : value.get<int64_t>();
  if (v < lo || v > hi) throw Error(what + " must be" + range + ", got " + value.dump());
  return int(v);
}

}  // namespace llmsim
