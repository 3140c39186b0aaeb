#include "model/model.hpp"

#include "error.hpp"

namespace llmsim {

void Model::check_layer(int layer) const {
  if (layer < 0 || layer >= n_layer())
    throw Error("layer " + std::to_string(layer) + " does not exist (the model has " +
                std::to_string(n_layer()) + " layers)");
}

}  // namespace llmsim
