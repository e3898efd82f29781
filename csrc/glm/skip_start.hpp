// The start of a network with a linear skip path (option linear_skip, encoders/encoder_skip.cpp):
// the exact linear varying-coefficient fit (the linear encoder's exact solver: penalised
// normal equations, IRLS for binomial and poisson) with the network's output layer at zero,
// so the fit begins at the linear model's optimum and the network learns what it misses.
#pragma once
#include "common/data.hpp"
#include "common/family.hpp"
#include "encoders/encoder.hpp"
#include "glm/objective.hpp"
#include "glm/solver.hpp"

namespace ctxstats {

// w: the seeded weights of a linear_skip encoder (n_weights of them). Sets the skip B and the
// network's output bias from the linear fit of `data` (its weights: the rows' case weights)
// and the network's other output weights to zero; the hidden weights stay as seeded. A linear
// fit that is not finite is an InvalidArgument naming the option. With an L1 penalty the linear
// fit takes only its L2 part (alpha (1 - l1_ratio)).
void linear_skip_start(const Encoder& encoder, Family family, const DataView& data, const Scaling& scaling,
                       const Penalty& penalty, const SolverOptions& options, double* w);

}  // namespace ctxstats
