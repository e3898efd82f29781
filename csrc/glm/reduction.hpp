// The ordered reduction that ends an objective over row groups (glm/objective.cpp, the
// networks' objective): groups summed in order, so the result is the same for any thread count.
#pragma once
#include <cstddef>
#include <vector>

namespace ctxstats {

// f = sum_g group_f[g] / (S * divisor) + weight_decay / 2 ||w||^2, S = sum_g group_s[g]; when grad
// is not null, grad = sum_g group_grad[g] / (S * divisor) + weight_decay w (group_grad holds one
// n_weights block per group). Throws InvalidArgument naming `what` when S is not positive.
double reduce_objective(const std::vector<double>& group_f, const std::vector<double>& group_s,
                        const double* group_grad, std::size_t n_weights, const double* w, double divisor,
                        double weight_decay, double* grad, const char* what, double* total = nullptr);

}  // namespace ctxstats
