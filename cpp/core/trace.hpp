// Everything one forward pass computed that the page may show. A view draws from a
// Trace alone, so views can be tested without running a model.
#pragma once
#include <string>
#include <vector>

#include "matrix.hpp"

namespace llmsim {

// One head of one layer. T = tokens, d_k = d_model / n_head.
struct HeadTrace {
  Matrix q, k, v;    // [T, d_k] this head's slice of x·W_Q, x·W_K, x·W_V
  Matrix scores;     // [T, T]   raw q·k; entries hidden by the causal mask are 0
  Matrix scaled;     // [T, T]   scores · scale (scale = 1/sqrt(d_k), or 1 when off)
  Matrix weights;    // [T, T]   softmax of each row over its visible keys; masked = 0
  Matrix output;     // [T, d_k] weights · v
  // What each key moves through this head (model/contributions.hpp), filled by a
  // model's run for the page (empty from a bare forward pass):
  Vector value_norms;    // [T]    ‖v_j · W_O^h‖, the length of what token j can add
  Matrix contributions;  // [T, T] weights ⊙ value_norms, each row normalised to sum 1
};

struct LayerTrace {
  std::vector<HeadTrace> heads;
  Matrix input;   // [T, d_model] what the attention read (after LayerNorm, if any)
  Matrix concat;  // [T, d_model] head outputs side by side
  Matrix output;  // [T, d_model] concat · W_O
};

// Where a token came from: byte offsets [begin, end) into the UTF-8 input.
struct TokenSpan {
  int begin = 0, end = 0;
};

struct Prediction {
  int id = 0;
  std::string text;  // the token as the page shows it: "\\n" for a newline, <0xE2> for a stray byte
  std::string raw;   // the token's own text, what generating it adds ("\n"); a byte that is
                     // not a whole character becomes U+FFFD when written as JSON
  float probability = 0;
};

// What the model predicts without any head switched off, kept beside an ablated
// run so the page can show the difference.
struct Baseline {
  float loss = 0;
  std::vector<Prediction> top_k;
};

struct Trace {
  std::string model_name;           // "random", or the trained model's name
  bool has_vocabulary = false;      // a trained model: ids, logits and predictions are real
  std::vector<std::string> tokens;  // token text, as shown
  std::vector<int> ids;             // token ids (-1 where the model has no vocabulary)
  std::vector<TokenSpan> spans;     // byte offsets into the input text
  int n_input_tokens = 0;           // tokens the text had before truncation to the limit
  std::string warning;              // e.g. the text was cut to the token limit
  int n_layer = 0, n_head = 0, d_model = 0;  // the model's shape, even for empty text
  bool causal = true;
  bool scaled = true;
  float scale = 1;
  std::vector<LayerTrace> layers;
  Matrix logits;                    // [T, vocab] (empty when the model has no vocabulary)
  int logits_rows = 0;              // the first rows of logits computed (ModelRun::predict)
  Matrix final_normed;              // [T, d_model]: LN_f(x), what the logits are made from
  // [T]: log Σ_v exp(logits[t, v]) of each row (trained models), kept with the rows a
  // typing run reuses, so the loss over the text costs O(T), not O(T·vocab), per stroke.
  std::vector<double> log_sum_exp;
  std::vector<Prediction> top_k;    // next-token predictions after the last token
  float loss = -1;                  // mean next-token loss over the text; -1: not defined
  bool ablated = false;             // heads were switched off for this run
  Baseline baseline;                // the same text with every head on (when ablated)
};

// The warning a Trace carries when a text is cut: "The text has 600 tokens; the limit
// is 512, so only the first 512 are used." `what` names the limit ("the limit", "the
// model's context"). One wording for every model and command.
inline std::string truncation_warning(long n_tokens, int limit, const std::string& what) {
  return "The text has " + std::to_string(n_tokens) + " tokens; " + what + " is " +
         std::to_string(limit) + ", so only the first " + std::to_string(limit) + " are used.";
}

}  // namespace llmsim
