// How many tokens one run of a GPT may read when it keeps the full Trace.
//
// The Trace keeps, for every head, four [T, T] matrices (raw scores, scaled scores,
// weights, contributions): its size grows as T² · layers · heads. For the project's
// small models that is a few MB at their whole context; for GPT-2 small at its 1,024
// tokens it is 2.6 GB, past what a browser tab can hold beside the weights. So a run
// that keeps the head matrices reads at most token_cap(config) tokens, the text
// beyond them is cut, and the Trace's warning says why (model/gpt.cpp).
#pragma once
#include <cstdint>

#include "model/gpt_weights.hpp"
#include "model/model.hpp"  // kTraceBudgetBytes

namespace llmsim {

// Bytes of float a run on T tokens holds: the Trace (per layer four [T, T] matrices a
// head, q, k, v and the output a head, the layer's input, concatenation and output;
// the logits [T, V]) and one block's activations, which the forward pass reuses from
// layer to layer (block_forward, gpt_block.hpp).
uint64_t trace_bytes(const GptConfig& config, int T);

// The most tokens (BOS included) a run keeping the full Trace reads: the model's
// context when its Trace fits `budget` there (every model the project ships), else
// the largest multiple of 64 whose Trace fits (GPT-2 small: 384 in the default
// budget, ModelRun::trace_budget), and never fewer than 64.
int token_cap(const GptConfig& config, uint64_t budget = kTraceBudgetBytes);

}  // namespace llmsim
