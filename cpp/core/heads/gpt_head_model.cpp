#include "heads/gpt_head_model.hpp"

namespace llmsim {

HeadModel gpt_head_model(const Gpt& gpt) {
  HeadModel m;
  m.n_layer = gpt.config().n_layer;
  m.n_head = gpt.config().n_head;
  m.context = gpt.config().context;
  m.vocab_size = gpt.config().vocab_size;
  m.bos_id = gpt.tokenizer().bos_id();
  m.encode = [&gpt](const std::string& text) {
    Encoding e = gpt.tokenizer().encode(text, /*add_bos=*/true);
    return EncodedText{std::move(e.ids), std::move(e.spans)};
  };
  m.forward = [&gpt](const std::vector<int>& ids, const HeadAblations& ablation, Trace& trace) {
    ModelRun options;
    options.ablation = ablation;
    gpt_forward(gpt.config(), gpt.weights(), ids, options, trace);
  };
  m.token_text = [&gpt](int id) { return gpt.tokenizer().token_display(id); };
  m.top_k = [&gpt](const RowVector& logits, int k) {
    return top_k_predictions(logits, k, /*temperature=*/1.0f, gpt.tokenizer());
  };
  return m;
}

}  // namespace llmsim
