// The neural encoders' fit (L-BFGS, with early stopping on a held-out split by default) over
// rows held elsewhere: the partitions of a Dask collection on other machines (ctxstats.dask).
//
// The objective of objective.hpp is a weighted mean over rows, so it is a ratio of two sums
// over rows: sum s [loss + pen] and sum s, with the gradient of the first. A pass returns
// those sums for one partition (network_pass, on a worker); the client adds the partitions'
// sums in partition order, divides, adds the weight decay (reduce_objective) and runs the
// in-memory fit's optimiser and early-stopping rule on the result (fit_network_passes). The
// early-stopping split is the in-memory fit's, drawn over the rows of positive weight in
// partition order (held_out_ordinals), so the fit is the in-memory fit of the same rows up to
// the rounding of summing them in another order, and the same for any number of workers.
#pragma once
#include <cstddef>
#include <functional>
#include <vector>

#include "common/data.hpp"
#include "glm/early_stopping.hpp"  // held_out_ordinals: the split, drawn on the client
#include "glm/fit.hpp"

namespace ctxstats {

// The rows a pass reads: all, or one part of the early-stopping split.
enum class RowSet { kAll = 0, kTrain = 1, kHeldOut = 2 };

struct NetworkSums {
  double f = 0.0;             // sum s [loss + pen] (held-out rows: the loss alone, as the rule uses it)
  double total = 0.0;         // sum s
  std::vector<double> grad;   // the gradient of f in the weights (empty when not asked for)
};

// The rows of positive weight in data (those the early-stopping split draws from).
std::size_t positive_rows(const DataView& data);

// One partition's sums at weights w (internal scale). held_out: the sorted ordinals, among the
// partition's rows of positive weight, of those the split holds out (read for kTrain and
// kHeldOut; kTrain reads the other rows of positive weight).
NetworkSums network_pass(const DataView& data, const FitOptions& options, const Scaling& scaling,
                         const std::vector<double>& w, bool grad, RowSet rows,
                         const std::vector<std::size_t>& held_out);

// into += part (gradients of the same length, or both empty).
void add_network_sums(NetworkSums* into, const NetworkSums& part);

// A pass over every partition, their sums added in partition order.
using NetworkPass = std::function<NetworkSums(const std::vector<double>& w, bool grad, RowSet rows)>;

// The fit() of a neural encoder (mlp, ngam, archetypes; solver lbfgs) whose rows are reached
// only through `pass`, on the scaling of all the rows (scaling_from_sums), from the seeded
// initial weights. m: context columns. Refused (InvalidArgument naming what works): the exact
// encoders (fit_exact_passes), adam and varpro, output_start, scale 'context' and the negative
// binomial family.
FitResult fit_network_passes(const FitOptions& options, const Scaling& scaling, int m, const NetworkPass& pass);

}  // namespace ctxstats
