// Labels from the documented thresholds (heads/labels.hpp): each rule fires exactly
// when its numbers clear their thresholds, in the documented order.
#include <catch2/catch.hpp>

#include "heads/labels.hpp"

using namespace llmsim;

// A head with no pattern at all and a loss change of 5%: broad/positional.
static HeadReport plain_head() {
  HeadReport r;
  r.reference = {0.1f, 0.1f, 0.1f, 0.8f, 100};
  r.induction = 0.05f;
  r.syntactic_relation = "det";
  r.syntactic_accuracy = 0.3f;
  r.syntactic_baseline = 0.6f;
  r.syntactic_weight = 0.1f;
  r.semantic = 1.0f;
  r.semantic_share = 0.1f;
  r.semantic_control = 0.1f;
  r.semantic_z = 0.0f;
  r.importance = 0.1f;
  r.importance_relative = 0.05f;
  return r;
}

static std::string label_of(HeadReport r) {
  label_head(r);
  return r.label;
}

TEST_CASE("each label fires at its threshold and not just below it") {
  HeadReport r = plain_head();
  CHECK(label_of(r) == "broad/positional");

  r = plain_head();
  r.induction = 0.30f;
  CHECK(label_of(r) == "induction");
  r.induction = 0.29f;
  CHECK(label_of(r) == "broad/positional");

  r = plain_head();
  r.reference.prev_token = 0.50f;
  CHECK(label_of(r) == "previous-token");
  r.reference.prev_token = 0.49f;
  CHECK(label_of(r) == "broad/positional");

  r = plain_head();
  r.reference.first_token = 0.50f;
  CHECK(label_of(r) == "first-token sink");
  r.reference.first_token = 0.49f;
  CHECK(label_of(r) == "broad/positional");

  r = plain_head();  // syntactic: accuracy, margin over the baseline, and weight
  r.syntactic_accuracy = 0.80f;
  r.syntactic_baseline = 0.60f;
  r.syntactic_weight = 0.40f;
  CHECK(label_of(r) == "syntactic");
  r.syntactic_baseline = 0.70f;  // margin 0.10 < 0.15: adjacency explains it
  CHECK(label_of(r) == "broad/positional");
  r.syntactic_baseline = 0.30f;
  r.syntactic_accuracy = 0.45f;  // margin fine, accuracy too low
  CHECK(label_of(r) == "broad/positional");
  r.syntactic_accuracy = 0.80f;
  r.syntactic_weight = 0.20f;  // wins the argmax by a hair only
  CHECK(label_of(r) == "broad/positional");

  r = plain_head();  // semantic: ratio, share, and z
  r.semantic = 2.0f;
  r.semantic_share = 0.2f;
  r.semantic_control = 0.1f;
  r.semantic_z = 3.0f;
  CHECK(label_of(r) == "semantic");
  r.semantic_z = 2.9f;  // could be noise
  CHECK(label_of(r) == "broad/positional");
  r.semantic_z = 5.0f;
  r.semantic = 1.4f;
  CHECK(label_of(r) == "broad/positional");
  r.semantic = 2.0f;
  r.semantic_share = 0.05f;  // a big ratio of almost nothing
  CHECK(label_of(r) == "broad/positional");
}

TEST_CASE("idle needs a small loss change and no standing-out pattern") {
  HeadReport r = plain_head();
  r.importance_relative = 0.009f;
  CHECK(label_of(r) == "idle");
  r.importance_relative = -0.009f;  // helping the loss a little when removed is idle too
  CHECK(label_of(r) == "idle");
  r.importance_relative = 0.011f;
  CHECK(label_of(r) == "broad/positional");
  r.importance_relative = 0.0f;
  r.reference.self = 0.6f;  // a diagonal head has a visible pattern
  CHECK(label_of(r) == "broad/positional");
  r.reference.self = 0.1f;
  r.reference.first_token = 0.7f;  // an unimportant sink is still a sink
  CHECK(label_of(r) == "first-token sink");
}

TEST_CASE("specific behaviours win over resting patterns, and the reason says both") {
  HeadReport r = plain_head();
  r.reference.first_token = 0.8f;
  r.semantic = 3.0f;
  r.semantic_share = 0.15f;
  r.semantic_control = 0.05f;
  r.semantic_z = 4.0f;
  label_head(r);
  CHECK(r.label == "semantic");
  // every role it clears is in `also`, not only in the reason
  CHECK(r.also == std::vector<std::string>{"first-token sink"});
  CHECK(r.reason.find("it is also first-token sink: 0.80 of its attention goes to the first token") != std::string::npos);
  CHECK(r.reason.find("3.00x") != std::string::npos);
  CHECK(r.reason.find("+5.0%") != std::string::npos);  // the loss change, every time

  r.induction = 0.5f;
  label_head(r);
  CHECK(r.label == "induction");
  CHECK(r.also == std::vector<std::string>{"semantic", "first-token sink"});
  r.induction = 0.0f;
  r.syntactic_accuracy = 0.9f;
  r.syntactic_baseline = 0.5f;
  r.syntactic_weight = 0.5f;
  label_head(r);
  CHECK(r.label == "syntactic");
  CHECK(r.reason.find("det: ") == 0);
}

TEST_CASE("the JSON has the issue's fields, and null text scores for a short text") {
  HeadReport r = plain_head();
  r.layer = 1;
  r.head = 2;
  r.text = {0.123456f, 0.2f, 0.3f, 0.4f, 0};  // no query i >= 4 in the text
  label_head(r);
  const auto j = head_report_to_json(r);
  for (const char* key : {"layer", "head", "prev_token", "first_token", "self", "induction",
                          "entropy", "syntactic", "semantic", "importance", "label", "reason"})
    CHECK(j.contains(key));
  CHECK(j.at("layer") == 1);
  CHECK(j.at("prev_token").is_null());
  CHECK(j.at("entropy") == 0.4);
  CHECK(j.at("syntactic").at("relation") == "det");
  CHECK(j.at("reference").at("prev_token") == 0.1);
  r.text.queries = 3;
  CHECK(head_report_to_json(r).at("prev_token") == 0.1235);  // rounded to 4 decimals
}

TEST_CASE("a head that clears two specific rules is named by the first and lists the other") {
  HeadReport r = plain_head();
  r.syntactic_accuracy = 0.62f;  // the numbers of a real head: dobj and semantic at once
  r.syntactic_baseline = 0.20f;
  r.syntactic_weight = 0.28f;
  r.semantic = 1.59f;
  r.semantic_share = 0.12f;
  r.semantic_control = 0.075f;
  r.semantic_z = 5.1f;
  label_head(r);
  CHECK(r.label == "syntactic");
  REQUIRE(r.also.size() == 1);
  CHECK(r.also[0] == "semantic");
  CHECK(r.reason.find("det: ") == 0);
  CHECK(r.reason.find("; it is also semantic: 0.12 of its attention") != std::string::npos);
  CHECK(head_report_to_json(r).at("also") == nlohmann::ordered_json::array({"semantic"}));

  r.induction = 0.4f;  // all three: induction names it, in the documented order
  label_head(r);
  CHECK(r.label == "induction");
  CHECK(r.also == std::vector<std::string>{"syntactic", "semantic"});

  r.induction = 0.0f;
  r.semantic_z = 2.0f;  // one rule again: nothing else is listed
  label_head(r);
  CHECK(r.label == "syntactic");
  CHECK(r.also.empty());
  CHECK(head_report_to_json(r).at("also").empty());
  CHECK(r.reason.find("also") == std::string::npos);
}
