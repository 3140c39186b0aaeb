// The head analysis end to end on a scripted model: each head's attention follows a
// rule written here (previous token, first token, nearest determiner, same category,
// uniform, diagonal, induction), so the analysis must find exactly those rules again. Its values
// and unembedding are random but fixed, so loss and ablation are real computations.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <map>

#include "error.hpp"
#include "heads/analysis.hpp"
#include "io/read_file.hpp"
#include "model/softmax.hpp"
#include "rng.hpp"
#include "text/word_tokenizer.hpp"

using namespace llmsim;

namespace {

enum class Rule { previous, first, determiner, category, uniform, diagonal, induction };

// 2 layers × 4 heads, d_k = 4, a word-level vocabulary hashed into V ids.
struct ScriptedModel {
  static constexpr int V = 1024, d_k = 4, n_layer = 2, n_head = 4;
  const Rule rules[n_layer][n_head] = {
      {Rule::previous, Rule::first, Rule::determiner, Rule::uniform},
      {Rule::category, Rule::uniform, Rule::diagonal, Rule::induction}};
  Matrix embedding;                     // [V, d_k]: every head's values
  std::vector<std::vector<Matrix>> unembed;  // [layer][head] -> [d_k, V]
  std::map<std::string, std::string> category_of;  // word -> category
  std::vector<std::string> words_of_id = std::vector<std::string>(V);

  explicit ScriptedModel(const SemanticProbe& semantic) {
    Rng rng(7);
    embedding = rng.normal_matrix(V, d_k, 1.0f);
    unembed.assign(n_layer, std::vector<Matrix>(n_head));
    for (int l = 0; l < n_layer; ++l)
      for (int h = 0; h < n_head; ++h) unembed[l][h] = rng.normal_matrix(d_k, V, 0.5f);
    unembed[1][1].setZero();  // the uniform head's output never reaches the logits: idle
    for (size_t c = 0; c < semantic.categories.size(); ++c)
      for (const std::string& w : semantic.pool[c]) category_of[w] = semantic.categories[c];
  }

  static int id_of(const std::string& word) {
    uint32_t h = 2166136261u;  // FNV-1a
    for (unsigned char c : word) h = (h ^ c) * 16777619u;
    return 1 + int(h % (V - 1));  // 0 is BOS
  }

  EncodedText encode(const std::string& text) const {
    EncodedText e{{0}, {{0, 0}}};
    for (const TokenSpan& s : split_words(text)) {
      e.ids.push_back(id_of(text.substr(s.begin, s.end - s.begin)));
      e.spans.push_back(s);
    }
    return e;
  }

  // The word each token was made from: the scripted rules read words, not ids.
  static std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out = {"<bos>"};
    for (const TokenSpan& s : split_words(text)) out.push_back(text.substr(s.begin, s.end - s.begin));
    return out;
  }

  Matrix pattern(Rule rule, const std::vector<std::string>& w, const std::vector<int>& ids) const {
    const int T = int(w.size());
    Matrix a = Matrix::Zero(T, T);
    for (int i = 0; i < T; ++i) {
      std::vector<int> keys;
      switch (rule) {
        case Rule::previous: keys = {std::max(i - 1, 0)}; break;
        case Rule::first: keys = {0}; break;
        case Rule::diagonal: keys = {i}; break;
        case Rule::uniform:
          for (int j = 0; j <= i; ++j) keys.push_back(j);
          break;
        case Rule::determiner:  // the nearest earlier determiner, else BOS
          for (int j = i - 1; j >= 1 && keys.empty(); --j)
            if (w[j] == "the" || w[j] == "The" || w[j] == "a" || w[j] == "A" || w[j] == "an" ||
                w[j] == "some")
              keys = {j};
          break;
        case Rule::induction:  // the token after the latest earlier occurrence, else BOS
          for (int j = i - 1; j >= 1 && keys.empty(); --j)
            if (ids[j] == ids[i]) keys = {j + 1};
          break;
        case Rule::category: {  // earlier words of the query's category, else BOS
          const auto c = category_of.find(w[i]);
          if (c != category_of.end())
            for (int j = 1; j < i; ++j) {
              const auto d = category_of.find(w[j]);
              if (d != category_of.end() && d->second == c->second) keys.push_back(j);
            }
          break;
        }
      }
      if (keys.empty()) keys = {0};
      for (int j : keys) a(i, j) = 1.0f / float(keys.size());
    }
    return a;
  }

  // The rules read words, so the harness below passes the words of the ids too.
  void run(const std::vector<std::string>& w, const std::vector<int>& ids,
           const HeadAblations& ablation, Trace& trace) const {
    REQUIRE(w.size() == ids.size());
    const int T = int(ids.size());
    Matrix values(T, d_k);  // [T, d_k]
    for (int t = 0; t < T; ++t) values.row(t) = embedding.row(ids[t]);
    trace.layers.assign(n_layer, LayerTrace{});
    trace.logits = Matrix::Zero(T, V);
    for (int l = 0; l < n_layer; ++l) {
      trace.layers[l].heads.resize(n_head);
      for (int h = 0; h < n_head; ++h) {
        HeadTrace& head = trace.layers[l].heads[h];
        head.weights = pattern(rules[l][h], w, ids);  // [T, T]
        head.output = head.weights * values;     // [T, d_k]
        if (!ablation.empty() && ablation[l][h].ablated) {
          if (ablation[l][h].replacement.size() == 0) head.output.setZero();
          else head.output.rowwise() = ablation[l][h].replacement;
        }
        // [T, V]; a lazy product stays on this thread (a GEMM this small would fork
        // OpenMP workers, which costs more than the product when the machine is busy)
        trace.logits += head.output.lazyProduct(unembed[l][h]);
      }
    }
  }
};

// A HeadModel over the scripted model. forward() only sees ids, so encode() records
// the text of each id sequence it hands out (forward may get a prefix of one: text
// cut to the context). Ids that come from elsewhere (the induction probe) are words
// "#id", which no word rule matches.
struct Harness {
  ScriptedModel scripted;
  std::map<std::vector<int>, std::string> text_of;
  HeadModel model;

  explicit Harness(const SemanticProbe& semantic) : scripted(semantic) {
    model.n_layer = ScriptedModel::n_layer;
    model.n_head = ScriptedModel::n_head;
    model.context = 256;
    model.vocab_size = ScriptedModel::V;
    model.bos_id = 0;
    model.encode = [this](const std::string& text) {
      EncodedText e = scripted.encode(text);
      text_of[e.ids] = text;
      return e;
    };
    model.forward = [this](const std::vector<int>& ids, const HeadAblations& a, Trace& t) {
      for (const auto& [full, text] : text_of)
        if (full.size() >= ids.size() && std::equal(ids.begin(), ids.end(), full.begin())) {
          std::vector<std::string> w = ScriptedModel::words(text);
          w.resize(ids.size());
          return scripted.run(w, ids, a, t);
        }
      std::vector<std::string> w;
      for (int id : ids) w.push_back("#" + std::to_string(id));
      scripted.run(w, ids, a, t);
    };
    // Softmax of the row, most probable first, ties to the smaller id.
    model.top_k = [](const RowVector& logits, int k) {
      const double max = logits.maxCoeff();
      std::vector<double> p(logits.size());
      double z = 0;
      for (int v = 0; v < logits.size(); ++v) z += (p[v] = std::exp(double(logits(v)) - max));
      std::vector<int> order(logits.size());
      for (int v = 0; v < int(order.size()); ++v) order[v] = v;
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return p[a] > p[b]; });
      std::vector<Prediction> top;
      for (int i = 0; i < k; ++i)
        top.push_back({order[i], "#" + std::to_string(order[i]), "#" + std::to_string(order[i]), float(p[order[i]] / z)});
      return top;
    };
  }
};

// The story probes: the Harness's model is a hand-built story-world model.
std::string probe_dir() {
  for (const std::string d : {"web/probes/stories/", "../../web/probes/stories/"})
    try {
      read_whole_file(d + "syntax.txt");
      return d;
    } catch (const Error&) {
    }
  FAIL("cannot find web/probes/stories; run from the repository root");
  return "";
}

const Probes& shipped_probes() {
  static const Probes probes = load_probes(probe_dir());
  return probes;
}

}  // namespace

TEST_CASE("the analysis finds each scripted head's rule and labels it") {
  Harness harness(shipped_probes().semantic);
  const auto reports = analyse_heads(harness.model, shipped_probes(), "");
  REQUIRE(reports.size() == 8);
  std::map<std::pair<int, int>, const HeadReport*> by_id;
  for (const HeadReport& r : reports) by_id[{r.layer, r.head}] = &r;

  const HeadReport& prev = *by_id.at({0, 0});
  CHECK(prev.reference.prev_token == 1.0f);
  CHECK(prev.label == "previous-token");
  CHECK(prev.reason.find("1.00 of its attention") != std::string::npos);

  const HeadReport& sink = *by_id.at({0, 1});
  CHECK(sink.reference.first_token == 1.0f);
  CHECK(sink.label == "first-token sink");

  // The nearest determiner is the annotated one for every det pair of the probe.
  const HeadReport& det = *by_id.at({0, 2});
  CHECK(det.syntactic_relation == "det");
  CHECK(det.syntactic_accuracy == 1.0f);
  CHECK(det.syntactic_baseline < 0.85f);
  CHECK(det.label == "syntactic");

  // All its non-BOS weight goes to same-category words, none in the controls.
  const HeadReport& semantic = *by_id.at({1, 0});
  CHECK(semantic.semantic_share == Approx(1.0f));
  CHECK(semantic.semantic_control == 0.0f);
  CHECK(semantic.semantic == Approx(1.001f / 0.001f));
  CHECK(semantic.label == "semantic");
  CHECK(semantic.reason.find("it is also first-token sink") != std::string::npos);
  CHECK(semantic.also == std::vector<std::string>{"first-token sink"});

  const HeadReport& idle = *by_id.at({1, 1});
  CHECK(idle.reference.entropy == Approx(1.0f));
  CHECK(idle.importance == 0.0f);
  CHECK(idle.importance_zero == 0.0f);
  CHECK(prev.importance_zero != 0.0f);
  CHECK(idle.label == "idle");

  const HeadReport& diagonal = *by_id.at({1, 2});
  CHECK(diagonal.reference.self == 1.0f);
  CHECK(diagonal.label != "idle");  // a diagonal pattern stands out even if unimportant

  // [BOS, R, R] with R drawn from 1023 ids: a repeat inside R sends a query elsewhere
  // now and then, so the score is just under 1; every other head scores about 0.
  const HeadReport& induction = *by_id.at({1, 3});
  CHECK(induction.induction > 0.9f);
  CHECK(induction.label == "induction");
  for (const HeadReport& r : reports)
    if (&r != &induction && &r != &prev) CHECK(r.induction < 0.1f);

  std::vector<int> ranks;
  for (const HeadReport& r : reports) ranks.push_back(r.importance_rank);
  std::sort(ranks.begin(), ranks.end());
  CHECK(ranks == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_CASE("pattern scores over texts equal the scores of each trace, weighted by rows") {
  Harness harness(shipped_probes().semantic);
  const std::vector<std::string> texts = {"the red cat sat", "a dog ran to the big park today"};
  const auto scores = pattern_scores(harness.model, texts);
  // Independently: run each text, score its pattern, weight by its rows: BOS + 4 words
  // gives 4 rows i >= 1 and 1 query i >= 4; BOS + 8 words gives 8 and 5.
  Trace t1, t2;
  const EncodedText e1 = harness.model.encode(texts[0]), e2 = harness.model.encode(texts[1]);
  harness.model.forward(e1.ids, {}, t1);
  harness.model.forward(e2.ids, {}, t2);
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 4; ++h) {
      const Matrix& w1 = t1.layers[l].heads[h].weights;
      const Matrix& w2 = t2.layers[l].heads[h].weights;
      CHECK(scores[l][h].entropy ==
            Approx((4 * normalised_entropy(w1) + 8 * normalised_entropy(w2)) / 12));
      CHECK(scores[l][h].self == Approx((1 * self_score(w1) + 5 * self_score(w2)) / 6));
      CHECK(scores[l][h].prev_token ==
            Approx((1 * previous_token_score(w1) + 5 * previous_token_score(w2)) / 6));
      CHECK(scores[l][h].queries == 6);
    }
}

TEST_CASE("the head analysis gives the same JSON twice") {
  Harness a(shipped_probes().semantic), b(shipped_probes().semantic);
  const auto first = head_reports_to_json(analyse_heads(a.model, shipped_probes(), "the cat"));
  const auto second = head_reports_to_json(analyse_heads(b.model, shipped_probes(), "the cat"));
  CHECK(first.dump() == second.dump());
  CHECK(first.at(0).contains("syntactic"));
  CHECK(first.at(0).at("syntactic").contains("relation"));
  CHECK(first.at(0).at("prev_token").is_null());  // BOS + 2 words: nothing to score
  CHECK(first.at(0).at("reference").at("prev_token") == 1.0);
}

TEST_CASE("zero-ablating every head leaves zero logits: loss log V, flat top-k") {
  Harness harness(shipped_probes().semantic);
  std::vector<HeadId> all;
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 4; ++h) all.push_back({l, h});
  const AblationResult r =
      run_ablation(harness.model, "the cat sat on the mat", all, AblationMode::zero, nullptr, 3);
  CHECK(r.loss_after == Approx(std::log(1024.0)).epsilon(1e-9));
  CHECK(r.loss_before != r.loss_after);
  REQUIRE(r.top_after.size() == 3);
  CHECK(r.top_after[0].probability == Approx(1.0 / 1024));
  CHECK(r.top_after[0].id == 0);  // ties go to the smallest id
  CHECK(r.top_after[2].id == 2);
  CHECK(r.n_tokens == 7);
}

TEST_CASE("ablating no head changes nothing, bit for bit") {
  Harness harness(shipped_probes().semantic);
  const AblationResult r =
      run_ablation(harness.model, "the cat sat on the mat", {}, AblationMode::zero, nullptr, 5);
  CHECK(r.loss_before == r.loss_after);
  for (size_t i = 0; i < r.top_before.size(); ++i) {
    CHECK(r.top_before[i].id == r.top_after[i].id);
    CHECK(r.top_before[i].probability == r.top_after[i].probability);
  }
}

TEST_CASE("mean ablation uses each head's mean output over the texts") {
  Harness harness(shipped_probes().semantic);
  const std::vector<std::string> texts = {"the cat sat", "a dog"};
  const HeadMeans means = head_mean_outputs(harness.model, texts);
  // Independently: the mean over all 4 + 3 rows of head (1, 2)'s output. Its pattern
  // is the diagonal, so its output rows are the embeddings of the tokens themselves.
  RowVector expected = RowVector::Zero(4);
  for (const std::string& t : texts)
    for (int id : harness.model.encode(t).ids) expected += harness.scripted.embedding.row(id);
  expected /= 7.0f;
  CHECK((means[1][2] - expected).cwiseAbs().maxCoeff() < 1e-6f);

  const HeadAblations a = make_ablations(harness.model.n_layer, harness.model.n_head, {{1, 2}}, AblationMode::mean, &means);
  Trace trace;
  const EncodedText e = harness.model.encode("the cat sat");
  harness.model.forward(e.ids, a, trace);
  for (int t = 0; t < 4; ++t) CHECK(trace.layers[1].heads[2].output.row(t) == means[1][2]);
  CHECK_THROWS_AS(make_ablations(harness.model.n_layer, harness.model.n_head, {{1, 2}}, AblationMode::mean, nullptr), Error);
}

TEST_CASE("next-token loss matches a hand computation") {
  // Two positions predict ids[1] = 1 and ids[2] = 0 over V = 2.
  // Row 0 logits [0, ln 3]: p(1) = 3/4, loss ln(4/3) = 0.28768207
  // Row 1 logits [2, 2]:     p(0) = 1/2, loss ln 2   = 0.69314718
  Matrix logits(3, 2);
  logits << 0, std::log(3.0f), 2, 2, 5, -5;
  CHECK(next_token_loss(logits, {0, 1, 0}) == Approx((0.28768207 + 0.69314718) / 2).epsilon(1e-6));
  CHECK_THROWS_AS(next_token_loss(logits.topRows(1), {0}), Error);
}

TEST_CASE("head lists parse as LAYER.HEAD and reject anything else") {
  const auto heads = parse_head_list("0.1,2.3", 4, 4);
  REQUIRE(heads.size() == 2);
  CHECK(heads[0] == HeadId{0, 1});
  CHECK(heads[1] == HeadId{2, 3});
  CHECK(parse_head_list("", 4, 4).empty());
  for (const std::string bad : {"0", "0.1,", ",0.1", "a.b", "0.4", "4.0", "0.1,0.1", "-1.0", "0.1.2"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_head_list(bad, 4, 4), Error);
  }
  CHECK(parse_ablation_mode("mean") == AblationMode::mean);
  CHECK_THROWS_AS(parse_ablation_mode("half"), Error);
}

TEST_CASE("text beyond the context is cut, with a warning") {
  Harness harness(shipped_probes().semantic);
  harness.model.context = 4;
  const AblationResult r =
      run_ablation(harness.model, "one two three four five six", {}, AblationMode::zero, nullptr);
  CHECK(r.n_tokens == 4);
  CHECK(r.warning.find("only the first 4") != std::string::npos);
}

TEST_CASE("pattern scores read a text longer than the context in pieces, each with BOS") {
  Harness harness(shipped_probes().semantic);
  harness.model.context = 8;
  // BOS + 14 words: pieces BOS + 7 and BOS + 7 words, 4 queries i >= 4 in each. The
  // sink head (0, 1) looks at position 0, which is BOS in every piece.
  const auto scores =
      pattern_scores(harness.model, {"a b c d e f g h i j k l m n"});
  CHECK(scores[0][1].queries == 8);
  CHECK(scores[0][1].first_token == 1.0f);
  CHECK(scores[0][0].prev_token == 1.0f);
}

TEST_CASE("induction on repeated passages: [BOS, P, P] scored like the random probe") {
  Harness harness(shipped_probes().semantic);
  // The second passage repeats "the" inside one copy and the third does not fit the
  // context twice: both are skipped, so only the first is scored.
  std::string long_passage;
  for (int i = 0; i < 200; ++i) long_passage += "w" + std::to_string(i) + " ";
  const auto scores = passage_induction_scores(
      harness.model, {"one two three four five", "the cat saw the dog", long_passage});
  REQUIRE(scores.has_value());
  // n = 5, T = 11: the induction head puts all its weight on i − n + 1 over i = 6..10.
  CHECK((*scores)[1][3] == 1.0f);
  // The uniform head gives row i weight 1/(i+1) everywhere, by hand:
  CHECK((*scores)[0][3] == Approx((1.0 / 7 + 1.0 / 8 + 1.0 / 9 + 1.0 / 10 + 1.0 / 11) / 5));
  CHECK((*scores)[0][0] == 0.0f);  // previous token: i − 1, never i − 4
  CHECK((*scores)[0][1] == 0.0f);  // first token

  CHECK_FALSE(passage_induction_scores(harness.model, {"the cat saw the dog"}).has_value());
  CHECK_FALSE(passage_induction_scores(harness.model, {}).has_value());

  // analyse_heads reports it per head when the probes have passages, and not otherwise.
  Probes probes = shipped_probes();
  CHECK_FALSE(analyse_heads(harness.model, probes, "")[7].induction_text.has_value());
  probes.repeated = {"one two three four five"};
  const auto reports = analyse_heads(harness.model, probes, "");
  REQUIRE(reports[7].induction_text.has_value());
  CHECK(*reports[7].induction_text == 1.0f);
  CHECK(head_report_to_json(reports[7])["induction_text"] == 1.0);
  CHECK(head_report_to_json(analyse_heads(harness.model, shipped_probes(), "")[7])["induction_text"].is_null());
}
