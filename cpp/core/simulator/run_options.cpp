#include "simulator/run_options.hpp"

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "io/json_number.hpp"
#include "utf8.hpp"

namespace llmsim {

using nlohmann::json;

static int int_in_range(const json& value, const char* key, int lo, int hi) {
  return json_int(value, std::string("option \"") + key + "\"", lo, hi);
}

static bool boolean(const json& value, const char* key) {
  if (!value.is_boolean()) throw Error(std::string("option \"") + key + "\" must be true or false");
  return value.get<bool>();
}

// "layer.head" -> (layer, head); the model checks the ranges.
std::pair<int, int> parse_head_id(const std::string& id) {
  const size_t dot = id.find('.');
  auto number = [&](const std::string& part) {
    if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string::npos)
      throw Error("a head is written layer.head, like 0.3; got \"" + utf8_cut(id, 20) + "\"");
    return std::stoi(part);
  };
  if (dot == std::string::npos) number("");
  return {number(id.substr(0, dot)), number(id.substr(dot + 1))};
}

static std::vector<std::pair<int, int>> head_ids_from_json(const json& value) {
  if (!value.is_array()) throw Error("option \"ablate\" must be a list like [\"0.1\", \"2.3\"]");
  std::vector<std::pair<int, int>> heads;
  for (const json& item : value) {
    if (!item.is_string()) throw Error("option \"ablate\" must be a list of \"layer.head\" strings");
    heads.push_back(parse_head_id(item.get<std::string>()));
  }
  return heads;
}

RunOptions parse_run_options(const std::string& text) {
  RunOptions options;
  if (text.empty()) return options;
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error("options are not valid JSON: " + utf8_cut(text, 80));
  if (!j.is_object()) throw Error("options must be a JSON object, like {\"scale\": false}");
  for (const auto& [key, value] : j.items()) {
    if (key == "seed") {
      if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<int64_t>() >= 0))
        throw Error("option \"seed\" must be a non-negative integer");
      options.seed = value.get<uint64_t>();
    } else if (key == "scale") {
      options.scale = boolean(value, "scale");
    } else if (key == "causal") {
      options.causal = boolean(value, "causal");
    } else if (key == "n_layer") {
      options.n_layer = int_in_range(value, "n_layer", 1, 12);
    } else if (key == "n_head") {
      options.n_head = int_in_range(value, "n_head", 1, 16);
    } else if (key == "d_model") {
      options.d_model = int_in_range(value, "d_model", 1, 512);
    } else if (key == "model") {
      if (!value.is_string()) throw Error("option \"model\" must be a model name");
      options.model = value.get<std::string>();
    } else if (key == "top_k") {
      options.top_k = int_in_range(value, "top_k", 0, kMaxTopK);
    } else if (key == "predict") {
      options.predict = boolean(value, "predict");
    } else if (key == "temperature") {
      if (!value.is_number()) throw Error("option \"temperature\" must be a number");
      const double t = value.get<double>();
      if (!(t >= kMinTemperature && t <= kMaxTemperature))
        throw Error("option \"temperature\" must be between 0.05 and 5, got " + std::to_string(t));
      options.temperature = float(t);
    } else if (key == "ablate") {
      options.ablate = head_ids_from_json(value);
    } else if (key == "ablate_mode") {
      const std::string mode = value.is_string() ? value.get<std::string>() : "";
      if (mode != "zero" && mode != "mean")
        throw Error("option \"ablate_mode\" must be \"zero\" or \"mean\"");
      options.ablate_mode = mode;
    } else {
      throw Error("unknown option \"" + key +
                  "\" (known: model, seed, scale, causal, n_layer, n_head, d_model, top_k, "
                  "predict, temperature, ablate, ablate_mode)");
    }
  }
  if (options.d_model % options.n_head != 0)
    throw Error("d_model " + std::to_string(options.d_model) + " must be divisible by n_head " +
                std::to_string(options.n_head));
  return options;
}

}  // namespace llmsim
