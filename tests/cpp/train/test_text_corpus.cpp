// The English corpus folder: manifest, validation split, modern share, even samples.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "train/text_corpus.hpp"

using namespace llmsim;
using Catch::Matchers::Contains;

namespace {

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string corpus_dir() {
  const std::string dir = (std::filesystem::temp_directory_path() / "llmsim-text-corpus").string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  write(dir + "/a.txt", "a0\n\na1\n\na2\n\na3\n\na4\n\n");
  write(dir + "/b.txt", "b0 old\n\nb1 old\n\nb2 old\n\n");
  write(dir + "/manifest.json", R"({"sources": [{"file": "a.txt", "bytes": 20, "modern": true},
                                                {"file": "b.txt", "bytes": 24, "modern": false}]})");
  return dir;
}

}  // namespace

TEST_CASE("load_text_corpus holds out every Nth document of each source") {
  const std::string dir = corpus_dir();
  const TextCorpus c = load_text_corpus(dir, 3);
  CHECK(c.split.validation == "a2\n\nb2 old\n\n");
  CHECK(c.split.train == "a0\n\na1\n\na3\n\na4\n\nb0 old\n\nb1 old\n\n");
  CHECK(c.train_bytes == c.split.train.size());
  CHECK(c.modern_train_bytes == 16);
  CHECK(c.manifest["sources"].size() == 2);

  write(dir + "/b.txt", "changed");
  CHECK_THROWS_WITH(load_text_corpus(dir), Contains("b.txt has 7 bytes, the manifest says 24") &&
                                               Contains("./build.sh corpus"));
  std::filesystem::remove(dir + "/manifest.json");
  CHECK_THROWS_WITH(load_text_corpus(dir), Contains("manifest.json: cannot open the file"));
  write(dir + "/manifest.json", R"({"sources": [{"file": "../x", "bytes": 1}]})");
  CHECK_THROWS_WITH(load_text_corpus(dir), Contains("must be a file name in the folder"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("even_document_sample takes whole documents from across the text") {
  std::string text;
  for (int i = 0; i < 100; ++i) text += (i < 50 ? "first" : "second") + std::to_string(i % 10) + "\n\n";
  const std::string sample = even_document_sample(text, text.size() / 4);
  CHECK(sample.size() >= text.size() / 4 - 10);
  CHECK(sample.size() <= text.size() / 4 + 10);
  size_t first = 0, second = 0, pos = 0;
  while ((pos = sample.find("first", pos)) != std::string::npos) ++first, ++pos;
  pos = 0;
  while ((pos = sample.find("second", pos)) != std::string::npos) ++second, ++pos;
  CHECK(first >= 11);   // both halves have their share, not only the beginning
  CHECK(second >= 11);
  CHECK(sample.substr(sample.size() - 2) == "\n\n");  // whole documents
  CHECK(even_document_sample(text, text.size() * 2) == text);
}
