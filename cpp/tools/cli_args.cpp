#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "error.hpp"

namespace llmsim::cli {

const std::string& option_value(const Args& args, size_t& i) {
  if (i + 1 >= args.size()) throw Error(args[i] + " needs a value");
  return args[++i];
}

uint64_t parse_u64(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    const uint64_t value = std::stoull(text, &used);
    if (used == text.size() && !text.empty() && text[0] != '-') return value;
  } catch (const std::exception&) {
  }
  throw Error(flag + " must be a non-negative integer, got \"" + utf8_cut(text, 40) + "\"");
}

int parse_int(const std::string& flag, const std::string& text, int min, int max) {
  const uint64_t value = parse_u64(flag, text);
  if (value < uint64_t(std::max(min, 0)) || value > uint64_t(max))
    throw Error(flag + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                ", got " + text);
  return int(value);
}

// 0.05, 5, 1e+06: a bound as a person writes it.
static std::string shortest(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", x);
  return text;
}

double parse_double(const std::string& flag, const std::string& text, double min, double max) {
  double value = std::nan("");
  try {
    size_t used = 0;
    value = std::stod(text, &used);
    if (used != text.size()) value = std::nan("");
  } catch (const std::exception&) {
  }
  // NaN fails both comparisons' negation, so "nan", "inf" and junk all land here.
  if (!(value >= min && value <= max))
    throw Error(flag + " must be a number between " + shortest(min) + " and " + shortest(max) +
                ", got \"" + utf8_cut(text, 40) + "\"");
  return value;
}

std::string find_probes_dir(const std::string& given, const std::string& model_dir) {
  if (!given.empty()) return given;
  // web/models/models.json names each shipped model's probe set (web/probes/<set>/).
  namespace fs = std::filesystem;
  const fs::path model = fs::path(model_dir).lexically_normal();
  const std::string name = (model.has_filename() ? model : model.parent_path()).filename().string();
  const fs::path models_dir = (model.has_filename() ? model : model.parent_path()).parent_path();
  std::string set = "english";  // models this project trains are trained on English
  if (std::ifstream manifest{models_dir / "models.json"}) {
    const nlohmann::json j = nlohmann::json::parse(manifest, nullptr, false);
    if (j.is_object() && j.contains("models") && j["models"].is_array())
      for (const nlohmann::json& m : j["models"])
        if (m.is_object() && m.value("name", "") == name && m.contains("probes") &&
            m["probes"].is_string())
          set = m["probes"].get<std::string>();
  }
  const fs::path beside_model = models_dir.parent_path() / "probes" / set;
  if (fs::exists(beside_model / "syntax.txt")) return beside_model.string();
  return "web/probes/" + set;
}

}  // namespace llmsim::cli
