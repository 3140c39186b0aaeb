// The subcommands of `llmsim`, one file each. Each takes the arguments after its
// name, prints its result to stdout and returns the process exit code; it throws
// llmsim::Error for anything the user can fix (main prints the message).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/json_text.hpp"  // every command prints JSON through it
#include "io/read_file.hpp"  // read_whole_file

namespace llmsim::cli {

using Args = std::vector<std::string>;

int trace_command(const Args& args);
int train_command(const Args& args);
int eval_command(const Args& args);
int heads_command(const Args& args);
int predict_command(const Args& args);
int ablate_command(const Args& args);
int convert_command(const Args& args);
int tokenize_command(const Args& args);

// Loads the trained model in `dir` (config.json, tokenizer.json, model.safetensors)
// into the model registry under the folder's name, which it returns.
std::string load_model_dir(const std::string& dir);

// Small helpers shared by the commands' argument parsing.
const std::string& option_value(const Args& args, size_t& i);  // the value after args[i]
uint64_t parse_u64(const std::string& flag, const std::string& text);
// An integer in [min, max]: a count that would wrap an int (--top-k 4294967296 became 0)
// or run without bound (--repeats 1000000000) is an error naming the range.
int parse_int(const std::string& flag, const std::string& text, int min, int max);
// A finite number in [min, max]; "nan", "inf" and junk are errors (--lr nan trained a
// model the loader then rejected). The default range is what a float can hold.
double parse_double(const std::string& flag, const std::string& text, double min = -3.4e38,
                    double max = 3.4e38);
// The probe folder: `given` if not empty; else, for a model in web/models/NAME, the set
// web/models/models.json names for NAME (web/probes/<set>, beside web/models; "english"
// when the manifest does not list NAME); else web/probes/<set> under the working directory.
std::string find_probes_dir(const std::string& given, const std::string& model_dir);

}  // namespace llmsim::cli
