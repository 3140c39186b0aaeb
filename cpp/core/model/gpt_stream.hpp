// A model folder whose model.safetensors arrives in pieces: the page streams a big
// checkpoint into its worker as it reads the file, so the module never holds the
// whole file beside the weights made from it.
//
//   GptStream s(config_json, tokenizer_json, head, head_size);  // head: the file's
//                                                               // first bytes, through its header
//   s.feed(bytes, n) ...    // the whole file, from byte 0, in order (any piece sizes)
//   Gpt gpt = s.finish();   // an Error if the file was cut short
//
// A Hugging Face GPT-2 checkpoint is decoded tensor by tensor as its bytes come
// (HfGpt2Stream, model/hf_gpt2.hpp); the project's own files, a few MB, are gathered
// and read as Gpt::from_bytes reads them. Either way the result, and every error, is
// Gpt::from_bytes's for the same files.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "model/gpt.hpp"

namespace llmsim {

class HfGpt2Stream;

class GptStream {
 public:
  GptStream(const std::string& config_json, const std::string& tokenizer_json, const uint8_t* head,
            size_t head_size);
  ~GptStream();
  uint64_t file_bytes() const;  // what feed must be given in all
  void feed(const uint8_t* bytes, size_t n);
  Gpt finish();

 private:
  std::string config_json_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::unique_ptr<HfGpt2Stream> hf_;  // a Hugging Face checkpoint
  std::string whole_;                 // or the project's own file, gathered
  uint64_t file_bytes_ = 0;
};

}  // namespace llmsim
