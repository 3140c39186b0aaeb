#include "heads/rollout.hpp"

#include <string>

#include "error.hpp"

namespace llmsim {

Matrix attention_rollout(const Trace& trace, int layer, const std::vector<int>& path) {
  if (layer < 0 || layer >= int(trace.layers.size()))
    throw Error("rollout: layer " + std::to_string(layer) + " does not exist (the trace has " +
                std::to_string(trace.layers.size()) + " layers)");
  if (!path.empty() && int(path.size()) != layer + 1)
    throw Error("rollout: a path names one head (or −1 for the mean) for each layer 0.." +
                std::to_string(layer));
  const int T = int(trace.tokens.size());
  Matrix rollout = Matrix::Identity(T, T);
  for (int l = 0; l <= layer; ++l) {
    const std::vector<HeadTrace>& heads = trace.layers[l].heads;
    const int head = path.empty() ? -1 : path[l];
    if (head < -1 || head >= int(heads.size()) || heads.empty())
      throw Error("rollout: head " + std::to_string(l) + "." + std::to_string(head) + " does not exist");
    // A_l: the chosen head's weights, or the mean of the layer's heads   [T, T]
    Matrix a = Matrix::Zero(T, T);
    if (head >= 0) {
      a = heads[head].weights;
    } else {
      for (const HeadTrace& h : heads) a += h.weights;
      a /= float(heads.size());
    }
    if (a.rows() != T || a.cols() != T)
      throw Error("rollout: layer " + std::to_string(l) + " holds no attention weights");
    // R_l = (A_l + I)/2 · R_{l−1}
    const Matrix mixed = 0.5f * (a + Matrix::Identity(T, T));
    rollout = mixed * rollout;
  }
  return rollout;
}

}  // namespace llmsim
