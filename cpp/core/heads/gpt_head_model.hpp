// The GPT seen through the head analysis's HeadModel: the one file of heads/ that
// knows the GPT, so the analysis itself (analysis.hpp) runs on any model offered
// to it, such as the hand-built ones of the tests.
#pragma once
#include "heads/head_model.hpp"
#include "model/gpt.hpp"

namespace llmsim {

// The GPT as a HeadModel. It refers to `gpt`, which must outlive it.
HeadModel gpt_head_model(const Gpt& gpt);

}  // namespace llmsim
