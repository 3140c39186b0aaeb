// What the head analysis needs from a model, and nothing more: encode text, run a
// forward pass with some heads switched off. The analysis is written against this
// so that it runs on the shipped GPT (heads/gpt_head_model.hpp) and, in
// the tests, on small hand-built models whose numbers can be worked out by hand.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "model/attention.hpp"
#include "trace.hpp"

namespace llmsim {

struct EncodedText {
  std::vector<int> ids;           // BOS first
  std::vector<TokenSpan> spans;   // byte spans into the text; BOS has an empty span
};

struct HeadModel {
  int n_layer = 0, n_head = 0;
  int context = 0;  // longest token sequence forward accepts, BOS included
  int vocab_size = 0, bos_id = 0;  // for the induction probe's random tokens
  std::function<EncodedText(const std::string& text)> encode;
  // Fills trace.layers (weights and head outputs of every head) and trace.logits [T, V].
  std::function<void(const std::vector<int>& ids, const HeadAblations& ablation, Trace& trace)>
      forward;
  // A token as the page shows it (evidence snippets); may be empty (then "#id").
  std::function<std::string(int id)> token_text;
  // The k most probable next tokens from one row of logits [V], most probable first.
  std::function<std::vector<Prediction>(const RowVector& logits, int k)> top_k;
};

}  // namespace llmsim
