#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

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
