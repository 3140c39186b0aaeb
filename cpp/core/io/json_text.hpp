// JSON turned into text for people: what the CLI prints, what an error message quotes.
// Two hazards live here, so every caller goes through these two functions:
// - nlohmann's dump() throws on bytes that are not valid UTF-8 (a hostile --text, a
//   token cut inside a character, a message cut mid-character), which aborted the CLI
//   and, in WASM, let an exception escape into JS;
// - dump() recurses once per nesting level, so quoting a hostile 200,000-deep array
//   in an error message overflowed the stack.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "utf8.hpp"

namespace llmsim {

// JSON on one line (or `indent` spaces a level), invalid UTF-8 written as U+FFFD.
template <class Json>
std::string json_text(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// A JSON value as an error message shows it: numbers, booleans and null as written,
// a string quoted and cut to a few dozen bytes (on a character boundary), an array
// or an object by its type only. Never recurses, never throws on bad UTF-8.
template <class Json>
std::string describe_json(const Json& value) {
  if (value.is_string()) return "\"" + utf8_cut(value.template get_ref<const std::string&>(), 40) + "\"";
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  if (value.is_binary()) return "binary data";
  return json_text(value);
}

}  // namespace llmsim
