// A dense feed-forward network (the piece the mlp, ngam and archetype encoders share):
// sizes[0] inputs, hidden layers with an activation, a linear output layer.
// Weights per layer: W (out x in, row-major) then b (out).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "encoders/encoder.hpp"
#include "common/rng.hpp"

namespace ctxstats {

class Mlp {
 public:
  Mlp(std::vector<int> sizes, Activation act);

  std::size_t n_weights() const { return n_weights_; }
  int n_in() const { return sizes_.front(); }
  int n_out() const { return sizes_.back(); }
  std::size_t workspace_size(int rows) const;

  // Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases.
  void init(CounterRng& rng, double* w) const;
  void forward(const double* w, const double* in, int rows, double* out, double* work) const;
  // Units of the last hidden layer (the inputs when there is none), and where forward left
  // their activations (rows x last_hidden_size(), row-major).
  int last_hidden_size() const { return sizes_[sizes_.size() - 2]; }
  const double* last_hidden(const double* in, int rows, const double* work) const;
  // Position of the output layer's weight from unit l to output k; l == last_hidden_size() is its bias.
  std::size_t output_weight(int k, int l) const;
  // grad += dL/dw; when din is given it receives dL/din (rows x n_in).
  void backward(const double* w, const double* in, int rows, const double* dout, double* grad, double* work,
                double* din) const;

 private:
  std::vector<int> sizes_;
  std::vector<std::size_t> offsets_;   // start of each layer's W in the weight vector
  std::size_t n_weights_ = 0;
  std::size_t hidden_total_ = 0;       // sum of hidden sizes
  int max_hidden_ = 0;
  Activation act_;
};

}  // namespace ctxstats
