// Smoothing-parameter selection on accumulated normal equations.
//
// The (working) model is a penalised least-squares problem
//   minimise  ||z - Z b||^2_W + sum_j lambda_j b' S_j b,
// given only H = Z'WZ, r = Z'Wz, yy = z'Wz and N = sum of weights: after one pass over the
// data everything here is small-matrix work. With A = H + S_lambda, b = A^-1 r and
// D_p = yy - b'r (the penalised residual sum of squares), the restricted likelihood criterion
// (Wood 2011, eq. 4; minus the log restricted likelihood, constants dropped) is
//   unknown scale:  V = (N - M_p)/2 log D_p + 1/2 log|A| - 1/2 log|S_lambda|_+
//   known scale 1:  V = D_p / 2             + 1/2 log|A| - 1/2 log|S_lambda|_+
// with M_p the dimension of the penalties' common null space. V is minimised over
// rho = log lambda by Newton's method with exact first and second derivatives, the Hessian
// made positive definite by flipping and flooring its eigenvalues, steps capped at 5 in any
// rho and halved until V decreases; rho stays within +-15 of its initial balance of penalty
// and data (beyond that a smooth is fully shrunk to its null space, or unpenalised, to
// working precision). Penalties sharing a block of coefficients (tensor-product terms) enter
// log|S|_+ jointly, through the eigenvalues of their sum. Each Newton step costs a Cholesky
// factorisation and an inverse of the D x D matrix A (D^3 flops).
#pragma once
#include <Eigen/Dense>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ctxstats {

// lambda_j b[offset:offset+S.rows()]' S b[...]; penalties with the same block share a
// log-determinant term.
struct SmoothPenalty {
  int offset = 0;
  Eigen::MatrixXd S;
  int block = 0;
};

struct PenaltyBlock {
  int offset = 0, size = 0;
  std::vector<int> penalties;
  int rank = 0;                // rank of the sum of its penalties (filled by prepare_penalty_blocks)
};

struct WorkingModel {
  Eigen::MatrixXd H;           // Z'WZ
  Eigen::VectorXd r;           // Z'Wz
  double yy = 0.0;             // z'Wz (only the unknown-scale criterion uses it)
  double n = 0.0;              // sum of weights
};

struct SmoothingOptions {
  bool known_scale = false;    // binomial, poisson: scale 1
  bool gcv = false;            // GCV (unknown scale) / UBRE (known scale) in place of REML
  int max_iter = 200;
  double tol = 1e-7;           // largest gradient component of V, relative to 1 + |V|
  int threads = 1;
  // Called after each Newton iteration with its number and V; false stops the search, which
  // then reports `interrupted` (the solvers pass the user's interrupt check through).
  std::function<bool(int, double)> callback;
};

struct SmoothingFit {
  Eigen::VectorXd beta;        // b = A^-1 r
  Eigen::VectorXd rho;         // log smoothing parameters
  Eigen::MatrixXd Ainv;        // (H + S_lambda)^-1
  Eigen::VectorXd gradient;    // dV/drho at the end
  double criterion = 0.0;      // V (REML) at the end
  double Dp = 0.0;             // penalised residual sum of squares
  double rss = 0.0;            // ||z - Zb||^2_W
  double scale = 1.0;          // sigma^2: D_p / (N - M_p) for REML with unknown scale
  double edf = 0.0;            // tr((H + S)^-1 H)
  std::vector<double> block_edf;
  int null_dim = 0;            // M_p
  int n_iter = 0;
  bool converged = false;
  bool interrupted = false;    // the callback asked to stop
  std::string message;
};

// What a fit with smoothing penalties reports (all on the core's internal scale; D = q * size
// coefficients, ordered as the encoder weights: output k major, basis function minor).
struct SmoothingReport {
  bool present = false;
  std::string method;                // "REML", "GCV" or "fixed"
  std::vector<double> lambda;        // one per penalty: output k major, then the basis' penalties
  std::vector<int> penalty_output;   // k of each penalty
  std::vector<int> penalty_term;     // basis term of each penalty
  std::vector<double> edf;           // per (output k, basis term), q x n_terms row-major
  double edf_total = 0.0;
  double scale = 1.0;                // sigma^2 (1 for binomial and poisson)
  double criterion = 0.0;            // the REML (or GCV / UBRE) criterion V at the estimate
  int null_dim = 0;
  int n_iter = 0;                    // Newton iterations of the smoothing-parameter search, summed
  int outer_iter = 0;                // PQL iterations (binomial, poisson); 1 for gaussian
  bool converged = false;
  std::string message;
  double n = 0.0;                    // sum of weights
  std::vector<double> Vp;            // D x D: (H + S_lambda)^-1 * scale, the Bayesian covariance
  std::vector<double> H;             // D x D: Z'WZ at the estimate (working weights)
  std::vector<double> gram;          // size x size: sum_i s_i b(c_i) b(c_i)' / sum_i s_i
};

// Completes the blocks' ranks. Must be called once before the other two.
void prepare_penalty_blocks(const std::vector<SmoothPenalty>& pens, std::vector<PenaltyBlock>& blocks);

// Initial log smoothing parameters balancing each penalty against the data (as mgcv's
// initial.sp): lambda_j = mean of H's diagonal over the block / mean non-zero diagonal of S_j.
Eigen::VectorXd initial_rho(const WorkingModel& wm, const std::vector<SmoothPenalty>& pens);

// GCV / UBRE (options.gcv; mgcv's "GCV.Cp"): with tau = tr(A^-1 H) the effective degrees of
// freedom and rss = ||z - Zb||^2_W,
//   unknown scale (GCV):    V = N rss / (N - tau)^2
//   known scale 1 (UBRE):   V = rss / N + 2 tau / N - 1
// minimised over rho by the same Newton iteration, with exact first and second derivatives.
//
// REML (or GCV) estimate of rho (from rho0), or the fit at rho0 when `fixed`. Throws InvalidArgument
// when H + S_lambda is not positive definite at rho0 (an unidentified unpenalised direction).
SmoothingFit fit_smoothing(const WorkingModel& wm, const std::vector<SmoothPenalty>& pens,
                           const std::vector<PenaltyBlock>& blocks, const Eigen::VectorXd& rho0, bool fixed,
                           const SmoothingOptions& options);

}  // namespace ctxstats
