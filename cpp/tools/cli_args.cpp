#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "../core/error.hpp"
#include "commands.hpp"

namespace llmsim::cli {

const std::string& option_value(const Args& args, size_t& i) {
  if (i + 1 >= args.size()) throw Error(args[i] + " needs a value");
  return args[++i];
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the file");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

uint64_t parse_u64(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    const uint64_t value = std::stoull(text, &used);
    if (used == text.size() && !text.empty() && text[0] != '-') return value;
  } catch (const std::exception&) {
  }
  throw Error(flag + " must be a non-negative integer, got \"" + text + "\"");
}

double parse_double(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw Error(flag + " must be a number, got \"" + text + "\"");
}

std::string find_probes_dir(const std::string& given, const std::string& model_dir) {
  if (!given.empty()) return given;
  const std::string beside_model = model_dir + "/../../probes";
  if (std::ifstream(beside_model + "/syntax.txt")) return beside_model;
  return "web/probes";
}

}  // namespace llmsim::cli
