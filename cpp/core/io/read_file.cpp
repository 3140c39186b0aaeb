#include "io/read_file.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "error.hpp"

namespace llmsim {

std::string read_whole_file(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw Error(path + ": is a folder, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the file (does it exist?)");
  // Read at its size, into one string: a stream that grows as it reads copied a
  // 500 MB checkpoint about three times over.
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (!error) {
    std::string contents(size_t(size), '\0');
    if (!in.read(contents.data(), std::streamsize(size)) && !contents.empty())
      throw Error(path + ": reading the file failed");
    return contents;
  }
  // Not a regular file (a pipe, /dev/stdin): read as it comes.
  std::ostringstream contents;
  contents << in.rdbuf();
  // rdbuf() of an empty file sets failbit on the stream written to; only a read
  // error on `in` itself is a failure.
  if (in.bad()) throw Error(path + ": reading the file failed");
  return contents.str();
}

bool file_exists(const std::string& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(path, error);
}

}  // namespace llmsim
