// A model's config.json: any bytes are refused with an Error or give a config whose
// shape the loader's own check accepts and whose parameter count is positive.
#include <nlohmann/json.hpp>

#include "fuzz_check.hpp"
#include "../../cpp/core/error.hpp"
#include "../../cpp/core/model/gpt.hpp"

using namespace llmsim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  try {
    const GptConfig config = GptConfig::from_json(j, "fuzz");
    config.validate("fuzz");
    fuzz::check(config.parameter_count() > 0, "an accepted config has parameters");
    fuzz::check(GptConfig::from_json(config.to_json(), "again").to_json() == config.to_json(),
                "a config writes and reads back the same");
  } catch (const Error&) {
  }
  return 0;
}
