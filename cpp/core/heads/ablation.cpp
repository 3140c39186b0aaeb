#include "heads/ablation.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "error.hpp"
#include "io/trace_json.hpp"  // predictions_to_json
#include "model/softmax.hpp"

namespace llmsim {

static int parse_index(const std::string& s, const std::string& item) {
  if (s.empty() || s.size() > 4 ||
      !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw Error("head \"" + item + "\" should be LAYER.HEAD, like 0.1 (0-based numbers)");
  return std::stoi(s);
}

std::vector<HeadId> parse_head_list(const std::string& text, int n_layer, int n_head) {
  std::vector<HeadId> heads;
  if (text.empty()) return heads;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const auto dot = item.find('.');
    if (dot == std::string::npos)
      throw Error("head \"" + item + "\" should be LAYER.HEAD, like 0.1 (0-based numbers)");
    const HeadId id{parse_index(item.substr(0, dot), item), parse_index(item.substr(dot + 1), item)};
    if (id.layer >= n_layer || id.head >= n_head)
      throw Error("head " + item + " does not exist: the model has layers 0.." +
                  std::to_string(n_layer - 1) + " and heads 0.." + std::to_string(n_head - 1));
    if (std::find(heads.begin(), heads.end(), id) != heads.end())
      throw Error("head " + item + " is listed twice");
    heads.push_back(id);
  }
  if (!text.empty() && text.back() == ',') throw Error("the head list ends with ','");
  return heads;
}

AblationMode parse_ablation_mode(const std::string& text) {
  if (text == "zero") return AblationMode::zero;
  if (text == "mean") return AblationMode::mean;
  throw Error("ablation mode must be zero or mean, got \"" + text + "\"");
}

const char* ablation_mode_name(AblationMode mode) {
  return mode == AblationMode::zero ? "zero" : "mean";
}

EncodedText encode_within_context(const HeadModel& model, const std::string& text,
                                  std::string* warning) {
  EncodedText e = model.encode(text);
  if (int(e.ids.size()) > model.context) {
    if (warning)
      *warning = truncation_warning(long(e.ids.size()), model.context, "the model's context (BOS included)");
    e.ids.resize(model.context);
    e.spans.resize(model.context);
  }
  return e;
}

HeadMeans head_mean_outputs(const HeadModel& model, const std::vector<std::string>& texts) {
  HeadMeans means(model.n_layer, std::vector<RowVector>(model.n_head));
  long rows = 0;
  Trace trace;
  for (const std::string& text : texts) {
    const EncodedText e = encode_within_context(model, text);
    model.forward(e.ids, {}, trace);
    for (int l = 0; l < model.n_layer; ++l)
      for (int h = 0; h < model.n_head; ++h) {
        const Matrix& out = trace.layers.at(l).heads.at(h).output;  // [T, d_k]
        if (means[l][h].size() == 0) means[l][h] = RowVector::Zero(out.cols());
        means[l][h] += out.colwise().sum();
      }
    rows += long(e.ids.size());
  }
  if (rows == 0) throw Error("head means need at least one non-empty text");
  for (auto& layer : means)
    for (RowVector& m : layer) m /= float(rows);
  return means;
}

HeadAblations make_ablations(int n_layer, int n_head, const std::vector<HeadId>& heads,
                             AblationMode mode, const HeadMeans* means) {
  if (heads.empty()) return {};
  if (mode == AblationMode::mean && !means) throw Error("mean ablation needs the head means");
  HeadAblations ablation(n_layer, std::vector<HeadAblation>(n_head));
  for (const HeadId& id : heads) {
    HeadAblation& a = ablation.at(id.layer).at(id.head);
    a.ablated = true;
    if (mode == AblationMode::mean) a.replacement = means->at(id.layer).at(id.head);
  }
  return ablation;
}

AblationResult run_ablation(const HeadModel& model, const std::string& text,
                            const std::vector<HeadId>& heads, AblationMode mode,
                            const HeadMeans* means, int top_k) {
  AblationResult r;
  r.heads = heads;
  r.mode = mode;
  const EncodedText e = encode_within_context(model, text, &r.warning);
  r.n_tokens = int(e.ids.size());
  Trace trace;
  model.forward(e.ids, {}, trace);
  r.loss_before = next_token_loss(trace.logits, e.ids);
  r.top_before = model.top_k(trace.logits.bottomRows(1), top_k);
  model.forward(e.ids, make_ablations(model.n_layer, model.n_head, heads, mode, means), trace);
  r.loss_after = next_token_loss(trace.logits, e.ids);
  r.top_after = model.top_k(trace.logits.bottomRows(1), top_k);
  return r;
}

nlohmann::ordered_json ablation_to_json(const AblationResult& r) {
  nlohmann::ordered_json heads = nlohmann::ordered_json::array();
  for (const HeadId& id : r.heads)
    heads.push_back(std::to_string(id.layer) + "." + std::to_string(id.head));
  nlohmann::ordered_json j = {{"heads", heads},
                      {"mode", ablation_mode_name(r.mode)},
                      {"n_tokens", r.n_tokens},
                      {"loss_before", r.loss_before},
                      {"loss_after", r.loss_after},
                      {"loss_change", r.loss_after - r.loss_before},
                      {"loss_change_relative", (r.loss_after - r.loss_before) / r.loss_before},
                      {"top_k_before", predictions_to_json<nlohmann::ordered_json>(r.top_before)},
                      {"top_k_after", predictions_to_json<nlohmann::ordered_json>(r.top_after)}};
  if (!r.warning.empty()) j["warning"] = r.warning;
  return j;
}

double mean_loss(const HeadModel& model, const std::vector<std::string>& texts,
                 const HeadAblations& ablation) {
  double sum = 0;
  long predicted = 0;
  Trace trace;
  for (const std::string& text : texts) {
    const EncodedText e = encode_within_context(model, text);
    if (e.ids.size() < 2) continue;
    model.forward(e.ids, ablation, trace);
    sum += next_token_loss(trace.logits, e.ids) * double(e.ids.size() - 1);
    predicted += long(e.ids.size()) - 1;
  }
  if (predicted == 0) throw Error("the loss needs a text of at least one word");
  return sum / double(predicted);
}

}  // namespace llmsim
