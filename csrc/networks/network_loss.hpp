// The objectives the network fits minimise (private to csrc/networks): the regressions'
// (network_fit.cpp) and the Bayesian networks' (bayesian_objective.cpp), behind one interface.
#pragma once
#include <memory>
#include <vector>

#include "common/data.hpp"
#include "encoders/encoder.hpp"
#include "glm/objective.hpp"
#include "networks/networks.hpp"

namespace ctxstats {

class NetworkLoss {
 public:
  virtual ~NetworkLoss() = default;
  // L(w) and (grad not null) its gradient; rss (not null) receives each regression's weighted
  // mean squared residual (internal scale), one per regression of the layout.
  virtual double value_grad(const double* w, double* grad, std::vector<double>* rss = nullptr) const = 0;
  // Bayesian networks: the acyclicity at the weights of the latest value_grad -- the rows'
  // weighted mean h(W_i) and the sum over archetypes of h(A_k) (0 for a part without a
  // penalty); 0 for the other networks.
  virtual void last_acyclicity(double* sample, double* archetype) const { *sample = *archetype = 0.0; }
};

std::unique_ptr<NetworkLoss> make_bayesian_loss(const Encoder& encoder, const NetworkLayout& layout,
                                                const DataView& data, const Scaling& scaling, const Penalty& penalty,
                                                const DagOptions& dag, int archetypes, int threads);

}  // namespace ctxstats
