#include "model/gpt_stream.hpp"

#include "error.hpp"
#include "io/safetensors.hpp"
#include "model/hf_gpt2.hpp"
#include "text/tokenizer_files.hpp"

namespace llmsim {

GptStream::GptStream(const std::string& config_json, const std::string& tokenizer_json,
                     const uint8_t* head, size_t head_size)
    : config_json_(config_json), tokenizer_(tokenizer_from_json_text(tokenizer_json, "tokenizer.json")) {
  const FolderConfig folder = read_folder_config(config_json, "config.json", *tokenizer_, "tokenizer.json");
  if (folder.hf) {
    hf_ = std::make_unique<HfGpt2Stream>(config_json, head, head_size);
    file_bytes_ = hf_->file_bytes();
  } else {
    const SafetensorsHeader header = read_safetensors_header(head, head_size, "model.safetensors", /*whole_file=*/false);
    file_bytes_ = header.data_offset + header.data_bytes;  // what the header claims: not reserved
                                                          // up front, the bytes may never come
  }
}

GptStream::~GptStream() = default;

uint64_t GptStream::file_bytes() const { return file_bytes_; }

void GptStream::feed(const uint8_t* bytes, size_t n) {
  if (hf_) return hf_->feed(bytes, n);
  if (whole_.size() + n > file_bytes_)
    throw Error("model.safetensors: the file goes on past byte " + std::to_string(file_bytes_) +
                ", where its header's tensors end");
  whole_.append(reinterpret_cast<const char*>(bytes), n);
}

Gpt GptStream::finish() {
  if (hf_) {
    HfGpt2 checkpoint = hf_->finish();
    hf_.reset();
    return Gpt(checkpoint.config, std::move(checkpoint.weights), tokenizer_);
  }
  std::string whole;
  whole.swap(whole_);
  return Gpt::from_bytes(config_json_, tokenizer_, reinterpret_cast<const uint8_t*>(whole.data()), whole.size());
}

}  // namespace llmsim
