// The spline basis' smoothing penalties laid out over the weights of q outputs (output k
// major, basis function minor), shared by the exact solver and the location-scale fit.
#pragma once
#include <Eigen/Dense>
#include <vector>

#include "encoders/context_basis.hpp"
#include "smoothing/smoothing.hpp"

namespace ctxstats {

// The basis' penalties repeated for every output k, and their blocks (ranks prepared);
// appends to the vectors. pen_output, pen_term: each penalty's output and basis term.
void expand_penalties(const ContextBasis& basis, int q, std::vector<SmoothPenalty>* pens,
                      std::vector<PenaltyBlock>* blocks, std::vector<int>* pen_output, std::vector<int>* pen_term);

// sum_j exp(rho_j) b_j' S_j b_j over the penalties' blocks of b.
double penalty_value(const std::vector<SmoothPenalty>& pens, const Eigen::VectorXd& rho, const Eigen::VectorXd& b);

}  // namespace ctxstats
