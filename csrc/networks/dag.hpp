// Directed acyclic graphs for Bayesian networks (networks.hpp): differentiable acyclicity
// penalties and the projection of a weighted graph to a DAG.
//
// A weighted graph over p nodes is a p x p matrix W (row-major) with W[i, j] the weight of the
// edge i -> j (x_j = sum_i x_i W[i, j] + e_j in the linear SEM), zero diagonal.
#pragma once
#include <string>
#include <vector>

namespace ctxstats {

// The acyclicity measures h(W) >= 0, zero exactly when W is a DAG, with M = W o W:
//   notears (Zheng et al. 2018):  h = tr(exp(M)) - p,               dh/dW = 2 W o exp(M)'
//   poly    (Yu et al. 2019):     h = tr((I + M / p)^p) - p,        dh/dW = 2 W o ((I + M / p)^(p-1))'
//   dagma   (Bello et al. 2022):  h = -log det(s I - M) + p log s,  dh/dW = 2 W o (s I - M)^-T
// dagma is finite only where s I - M is an M-matrix (spectral radius of M below s); outside it
// returns +infinity (a line search then steps back), as all three do for non-finite W and
// notears where exp(W o W) would overflow (a column sum of W o W of 700 or more). exp is computed by scaling and squaring
// with a degree-12 Taylor polynomial (M >= 0: no cancellation; relative error ~1e-14).
enum class DagLoss { kNotears, kPoly, kDagma };
DagLoss parse_dag_loss(const std::string& name);  // "NOTEARS", "poly", "DAGMA" (case-insensitive)
const char* dag_loss_name(DagLoss loss);

// h(W); when grad is not null, dh/dW (p x p) is written to it.
double acyclicity(DagLoss loss, double s, const double* W, int p, double* grad);

// True when the graph of the non-zero entries of W has no directed cycle.
bool is_dag(const double* W, int p);

// Projects W to a DAG in place, as ContextualizedML's project_to_dag does: edges are taken in
// decreasing |weight| (ties: row-major order) and kept unless they close a directed cycle with
// the edges kept before them. A DAG is returned unchanged. Then entries with |w| <= threshold
// are set to 0 (threshold 0 removes nothing).
void project_to_dag(double* W, int p, double threshold);

}  // namespace ctxstats
