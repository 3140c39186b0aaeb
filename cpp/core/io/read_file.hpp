// Reading a whole file, with the errors a user can act on. One function for every
// file the core and the CLI read (model files, probes, corpus, --text-file): a path
// that is a folder used to read as an empty file ("model.safetensors is 0 bytes").
#pragma once
#include <string>

namespace llmsim {

// The file's bytes; Error "<path>: ..." if it is missing, a folder, or unreadable.
std::string read_whole_file(const std::string& path);
// Whether `path` is a file (not a folder) that exists, for folders whose files may
// come in more than one layout.
bool file_exists(const std::string& path);

}  // namespace llmsim
