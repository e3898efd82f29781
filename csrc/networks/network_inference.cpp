// Bootstrap inference on the edges of contextualized networks (networks.hpp:
// network_edge_inference), by the core's bootstrap summaries (inference/bootstrap_summary.hpp).
#include "common/error.hpp"
#include "inference/bootstrap_summary.hpp"
#include "networks/networks.hpp"

namespace ctxstats {

NetworkModel network_full_fit(const NetworkModel& md) {
  NetworkModel full = md;
  const std::size_t R = md.residual_variance.size() / md.n_replicates;
  full.n_replicates = 1;
  full.replicate_weights = md.weights;
  full.residual_variance.assign(md.residual_variance.begin(), md.residual_variance.begin() + static_cast<std::ptrdiff_t>(R));
  return full;
}

NetworkEdgeInference network_edge_inference(const NetworkModel& md, const double* C, std::size_t rows, int m,
                                            double alpha, bool project, double threshold, int threads) {
  validate_network_model(md);
  require(md.n_replicates >= 2,
          "edge intervals and tests need bootstrap replicates: refit with n_bootstraps=B (e.g. 100)");
  require(alpha > 0.0 && alpha < 1.0, "alpha must lie in (0, 1)");
  NetworkParams est = predict_network_params(network_full_fit(md), C, rows, m, threads);
  NetworkParams rep = predict_network_params(md, C, rows, m, threads);
  project_network_dags(md, est, project, threshold);
  project_network_dags(md, rep, project, threshold);

  const int p = md.p, q = p * p;
  const std::size_t B = md.n_replicates;
  NetworkEdgeInference out;
  out.replicates = B;
  out.rows = rows;
  out.p = p;
  out.estimate = est.betas;
  const PercentileSummary ps = percentile_summary(rep.betas.data(), B, rows * static_cast<std::size_t>(q), alpha);
  out.se = ps.se;
  out.lower = ps.lower;
  out.upper = ps.upper;
  out.pvalue = ps.pvalue;
  out.pvalue_floor = ps.pvalue_floor;
  const BootstrapPass bp = bootstrap_pass_values(rep.betas.data(), B, rows, q, est.betas.data(), threads);
  out.het_statistic = bp.het_statistic;
  out.het_pvalue = bp.het_pvalue;
  out.sign_flip_share = bp.sign_flip_share;
  return out;
}

}  // namespace ctxstats
