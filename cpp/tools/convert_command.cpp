// llmsim convert --model DIR --out DIR --dtype f16|f32|i8
// Rewrites a trained model's weights in another type: i8 stores every matrix as
// int8 with a scale per row (about half the bytes of F16; safetensors.hpp), f16 and
// f32 as plain floats. config.json and tokenizer.json are copied as they are. What
// i8 costs is measured, not assumed: compare `llmsim eval` of both folders.
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "error.hpp"
#include "model/gpt.hpp"

namespace llmsim::cli {

int convert_command(const Args& args) {
  std::string model_dir, out_dir, type;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--model") model_dir = option_value(args, i);
    else if (args[i] == "--out") out_dir = option_value(args, i);
    else if (args[i] == "--dtype") type = option_value(args, i);
    else throw Error("unknown argument \"" + args[i] + "\" for convert");
  }
  if (model_dir.empty() || out_dir.empty() || type.empty())
    throw Error("convert needs --model DIR --out DIR --dtype f16|f32|i8");
  const DType dtype = type == "f16" ? DType::F16
                      : type == "f32" ? DType::F32
                      : type == "i8"  ? DType::I8
                                      : throw Error("--dtype takes f16, f32 or i8, not \"" + type + "\"");
  if (std::filesystem::weakly_canonical(model_dir) == std::filesystem::weakly_canonical(out_dir))
    throw Error("convert writes a new folder: --out must differ from --model");
  const Gpt model = Gpt::load(model_dir);
  std::filesystem::create_directories(out_dir);
  model.save(out_dir, dtype);
  std::cout << json_text(nlohmann::json{{"out", out_dir},
                              {"dtype", type},
                              {"bytes", std::filesystem::file_size(out_dir + "/model.safetensors")}}) << "\n";
  return 0;
}

}  // namespace llmsim::cli
