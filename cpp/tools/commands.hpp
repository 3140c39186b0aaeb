// The subcommands of `llmsim`, one file each. Each takes the arguments after its
// name, prints its result to stdout and returns the process exit code; it throws
// llmsim::Error for anything the user can fix (main prints the message).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmsim::cli {

using Args = std::vector<std::string>;

int trace_command(const Args& args);
int train_command(const Args& args);
int eval_command(const Args& args);
int heads_command(const Args& args);
int predict_command(const Args& args);
int ablate_command(const Args& args);
int convert_command(const Args& args);

// Loads the trained model in `dir` (config.json, tokenizer.json, model.safetensors)
// into the model registry under the folder's name, which it returns.
std::string load_model_dir(const std::string& dir);

// Small helpers shared by the commands' argument parsing.
const std::string& option_value(const Args& args, size_t& i);  // the value after args[i]
uint64_t parse_u64(const std::string& flag, const std::string& text);
double parse_double(const std::string& flag, const std::string& text);
std::string read_text_file(const std::string& path);  // the whole file, or Error naming it
// JSON as the CLI prints it (one line, or `indent` spaces a level), with bytes that
// are not valid UTF-8 (a hostile --text, a token cut inside a character) written as
// U+FFFD: nlohmann's default throws on them, which aborted the CLI.
template <class Json>
std::string json_text(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}
// The probe folder: `given` if not empty; else, for a model in web/models/NAME, the set
// web/models/models.json names for NAME (web/probes/<set>, beside web/models; "english"
// when the manifest does not list NAME); else web/probes/<set> under the working directory.
std::string find_probes_dir(const std::string& given, const std::string& model_dir);

}  // namespace llmsim::cli
