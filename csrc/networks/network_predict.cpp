// Predictions of fitted networks (networks.hpp): per-sample regression parameters in the
// user's units, correlations, precisions, predictions of X and mean squared errors.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.hpp"
#include "glm/objective.hpp"
#include "networks/factors.hpp"
#include "networks/networks.hpp"

namespace ctxstats {

namespace {

void check_all_finite(const std::vector<double>& v, const char* what) {
  for (double x : v)
    if (!std::isfinite(x)) throw InvalidArgument(std::string("the network model's ") + what + " are not all finite");
}

}  // namespace

void validate_network_model(const NetworkModel& md) {
  require(md.p >= 2 && md.m >= 1, "the network model's dimensions are malformed (p >= 2 features and m >= 1 context "
                                  "columns are needed)");
  validate_scaling(md.scaling);
  require(static_cast<int>(md.scaling.c_mean.size()) == md.m && static_cast<int>(md.scaling.x_mean.size()) == md.p &&
              md.scaling.intercept,
          "the network model's scaling does not match its " + std::to_string(md.p) + " features and " +
              std::to_string(md.m) + " context columns");
  validate_dag_options(md.dag);
  const NetworkLayout L = network_layout(md.type, md.p);
  const std::size_t nw = make_encoder(md.encoder, md.m, network_output_layout(md.type, md.p, md.dag).outputs())
                             ->n_weights() +
                         static_cast<std::size_t>(md.dag.factors) * md.p;
  require(md.weights.size() == nw, "the network model's weights have the wrong length (" +
                                       std::to_string(md.weights.size()) + ", the encoder" +
                                       (md.dag.factors > 0 ? " and the factor logits have " : " has ") +
                                       std::to_string(nw) + ")");
  require(md.n_replicates >= 1 && md.replicate_weights.size() == md.n_replicates * nw,
          "the network model's replicate weights must be n_replicates x n_weights");
  require(md.residual_variance.size() == md.n_replicates * static_cast<std::size_t>(L.regressions()),
          "the network model's residual variances must be n_replicates x regressions");
  check_all_finite(md.weights, "weights");
  check_all_finite(md.replicate_weights, "replicate weights");
  check_all_finite(md.residual_variance, "residual variances");
}

NetworkParams predict_network_params(const NetworkModel& md, const double* C, std::size_t rows, int m, int threads,
                                     bool factor_graphs) {
  validate_network_model(md);
  require(!factor_graphs || md.dag.factors > 0, "factor graphs need a Bayesian network fitted with num_factors >= 2");
  const bool factors = md.dag.factors > 0;
  // L: the encoder's graph (the factors' with factors, else the network's); p: the result's nodes.
  const NetworkLayout L = network_output_layout(md.type, md.p, md.dag);
  const int p = factor_graphs ? md.dag.factors : md.p, q = L.outputs(), R = L.regressions();
  auto encoder = make_encoder(md.encoder, md.m, q);
  const std::size_t nw = encoder->n_weights() + static_cast<std::size_t>(md.dag.factors) * md.p,
                    nwe = encoder->n_weights();
  std::vector<double> Cs(rows * static_cast<std::size_t>(md.m));
  scale_context(md.scaling, C, rows, m, Cs.data());  // checks the columns and finiteness
  std::vector<FactorMap> maps;  // each replicate's assignment of the features to the factors
  if (factors && !factor_graphs)
    for (std::size_t b = 0; b < md.n_replicates; ++b)
      maps.push_back(factor_map(md.replicate_weights.data() + b * nw + nwe, md.dag.factors, md.p));

  NetworkParams out;
  out.replicates = md.n_replicates;
  out.rows = rows;
  out.p = p;
  const std::size_t pp = static_cast<std::size_t>(p) * p;
  const bool corr = md.type == NetworkType::kCorrelation;
  out.betas.assign(md.n_replicates * rows * pp, 0.0);
  out.mus.assign(md.n_replicates * rows * (corr ? pp : static_cast<std::size_t>(p)), 0.0);
  const Scaling& sc = md.scaling;
  const std::size_t blocks = (rows + kBlockRows - 1) / kBlockRows;
  const std::ptrdiff_t tasks = static_cast<std::ptrdiff_t>(md.n_replicates * blocks);
#pragma omp parallel num_threads(resolve_threads(threads))
  {
    std::vector<double> theta(static_cast<std::size_t>(kBlockRows) * q), work(encoder->workspace_size(kBlockRows)),
        Wf(factors ? static_cast<std::size_t>(L.p) * L.p : 0, 0.0);
#pragma omp for schedule(dynamic, 1)
    for (std::ptrdiff_t t = 0; t < tasks; ++t) {
      const std::size_t b = static_cast<std::size_t>(t) / blocks, start = (static_cast<std::size_t>(t) % blocks) * kBlockRows;
      const int count = static_cast<int>(std::min<std::size_t>(kBlockRows, rows - start));
      encoder->forward(md.replicate_weights.data() + b * nw, Cs.data() + start * md.m, count, theta.data(),
                       work.data());
      for (int r = 0; r < count; ++r) {
        const std::size_t row = b * rows + start + r;
        const double* th = theta.data() + static_cast<std::size_t>(r) * q;
        double* beta = out.betas.data() + row * pp;
        double* mu = out.mus.data() + row * (corr ? pp : static_cast<std::size_t>(p));
        // Internal scale x'_i = mu' + sum beta' x'_j  ->  x_i = mu + sum beta x_j with
        // beta = beta' s_i / s_j and mu = m_i + s_i mu' - sum beta m_j.
        if (md.type == NetworkType::kBayesian) {  // W in the user's units: the column of feature k
          const int nodes = L.p;
          double* G = factors && !factor_graphs ? Wf.data() : beta;  // the encoder's graph
          for (int k = 0; k < R; ++k) {
            const std::vector<int>& parents = L.predictors[k];
            for (std::size_t e = 0; e < parents.size(); ++e)
              G[static_cast<std::size_t>(parents[e]) * nodes + k] = th[L.offset[k] + e];
          }
          if (factors && !factor_graphs) factor_graph_to_features(maps[b], Wf.data(), beta);
          continue;
        }
        for (int k = 0; k < R; ++k) {
          const int i = L.response[k], off = L.offset[k];
          const std::vector<int>& preds = L.predictors[k];
          double shift = 0.0;
          for (std::size_t e = 0; e < preds.size(); ++e) {
            const int j = preds[e];
            const double bj = th[off + 1 + e] * sc.x_scale[i] / sc.x_scale[j];
            beta[static_cast<std::size_t>(i) * p + j] = bj;
            shift += bj * sc.x_mean[j];
          }
          const double intercept = sc.x_mean[i] + sc.x_scale[i] * th[off] - shift;
          if (corr) mu[static_cast<std::size_t>(i) * p + preds[0]] = intercept;
          else mu[i] = intercept;
        }
        if (corr)
          for (int i = 0; i < p; ++i) beta[static_cast<std::size_t>(i) * p + i] = 1.0;
      }
    }
  }
  return out;
}

std::vector<double> replicate_mean(const std::vector<double>& v, std::size_t replicates) {
  require(replicates >= 1 && v.size() % replicates == 0, "the values are not replicate-major");
  const std::size_t per = v.size() / replicates;
  std::vector<double> out(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(per));
  for (std::size_t b = 1; b < replicates; ++b)
    for (std::size_t k = 0; k < per; ++k) out[k] += v[b * per + k];
  const double count = static_cast<double>(replicates);
  for (double& x : out) x /= count;
  return out;
}

NetworkParams network_params_summary(const NetworkParams& prm, bool individual) {
  if (individual) return prm;
  NetworkParams out = prm;
  out.betas = replicate_mean(prm.betas, prm.replicates);
  out.mus = replicate_mean(prm.mus, prm.replicates);
  out.replicates = 1;
  return out;
}

void project_network_dags(const NetworkModel& md, NetworkParams& prm, bool project, double threshold) {
  require(std::isfinite(threshold) && threshold >= 0.0, "threshold must be a finite number >= 0");
  if (md.type != NetworkType::kBayesian || (!project && threshold == 0.0)) return;
  const std::size_t pp = static_cast<std::size_t>(prm.p) * prm.p, total = prm.replicates * prm.rows;
  for (std::size_t s = 0; s < total; ++s) {
    double* W = prm.betas.data() + s * pp;
    if (project) project_to_dag(W, prm.p, threshold);
    else
      for (std::size_t k = 0; k < pp; ++k)
        if (std::fabs(W[k]) <= threshold) W[k] = 0.0;
  }
}

std::vector<double> network_correlations(const NetworkModel& md, const NetworkParams& prm, bool squared,
                                         bool individual) {
  require(md.type != NetworkType::kBayesian,
          "correlations come from correlation and markov networks, not Bayesian networks");
  if (!individual) {
    std::vector<double> mean = replicate_mean(network_correlations(md, prm, false, true), prm.replicates);
    if (squared)
      for (double& x : mean) x *= x;
    return mean;
  }
  require(prm.p == md.p, "the parameters do not belong to this network");
  const int p = prm.p;
  const std::size_t pp = static_cast<std::size_t>(p) * p, total = prm.replicates * prm.rows;
  std::vector<double> out(total * pp);
  for (std::size_t s = 0; s < total; ++s) {
    const double* b = prm.betas.data() + s * pp;
    double* o = out.data() + s * pp;
    for (int i = 0; i < p; ++i)
      for (int j = 0; j < p; ++j) {
        const double bij = b[static_cast<std::size_t>(i) * p + j], bji = b[static_cast<std::size_t>(j) * p + i];
        double rho;
        if (i == j) rho = 1.0;
        else if (bij * bji > 0.0) rho = (bij > 0.0 ? 1.0 : -1.0) * std::sqrt(bij * bji);
        else rho = 0.0;
        o[static_cast<std::size_t>(i) * p + j] = squared ? rho * rho : rho;
      }
  }
  return out;
}

std::vector<double> network_precisions(const NetworkModel& md, const NetworkParams& prm, bool individual) {
  if (!individual) return replicate_mean(network_precisions(md, prm, true), prm.replicates);
  require(md.type == NetworkType::kMarkov, "precision matrices come from markov networks, not correlation networks");
  require(prm.p == md.p && prm.replicates == md.n_replicates, "the parameters do not belong to this network");
  const int p = prm.p;
  const std::size_t pp = static_cast<std::size_t>(p) * p;
  for (std::size_t k = 0; k < md.residual_variance.size(); ++k)
    if (!(md.residual_variance[k] > 0.0))
      throw InvalidArgument("feature " + std::to_string(k % p) +
                            " is predicted exactly by the others (residual variance 0): its precision is infinite");
  std::vector<double> out(prm.replicates * prm.rows * pp);
  for (std::size_t b = 0; b < prm.replicates; ++b) {
    const double* var = md.residual_variance.data() + b * p;
    for (std::size_t r = 0; r < prm.rows; ++r) {
      const std::size_t s = b * prm.rows + r;
      const double* beta = prm.betas.data() + s * pp;
      double* o = out.data() + s * pp;
      for (int i = 0; i < p; ++i)
        for (int j = 0; j < p; ++j)
          o[static_cast<std::size_t>(i) * p + j] =
              i == j ? 1.0 / var[i]
                     : -0.5 * (beta[static_cast<std::size_t>(i) * p + j] / var[i] +
                               beta[static_cast<std::size_t>(j) * p + i] / var[j]);
    }
  }
  return out;
}

namespace {

void check_rows(const NetworkParams& prm, std::size_t rows, int p) {
  require(p == prm.p, "X has " + std::to_string(p) + " columns; the network was fitted with " + std::to_string(prm.p));
  require(rows == prm.rows, "X has " + std::to_string(rows) + " rows but C has " + std::to_string(prm.rows));
}

}  // namespace

std::vector<double> network_predict_x(const NetworkModel& md, const NetworkParams& prm, const double* X,
                                      std::size_t rows, int p, bool individual) {
  if (!individual) return replicate_mean(network_predict_x(md, prm, X, rows, p, true), prm.replicates);
  check_rows(prm, rows, p);
  check_finite(X, rows, p, "X");
  const std::size_t pp = static_cast<std::size_t>(p) * p, total = prm.replicates * rows;
  const bool corr = md.type == NetworkType::kCorrelation;
  std::vector<double> out(total * (corr ? pp : static_cast<std::size_t>(p)));
  for (std::size_t s = 0; s < total; ++s) {
    const double* x = X + (s % rows) * p;
    const double* beta = prm.betas.data() + s * pp;
    for (int i = 0; i < p; ++i) {
      if (corr) {
        const double* mu = prm.mus.data() + s * pp;
        for (int j = 0; j < p; ++j) {
          const std::size_t ij = static_cast<std::size_t>(i) * p + j;
          out[s * pp + ij] = mu[ij] + beta[ij] * x[j];
        }
      } else if (md.type == NetworkType::kBayesian) {
        double v = 0.0;
        for (int j = 0; j < p; ++j) v += x[j] * beta[static_cast<std::size_t>(j) * p + i];
        out[s * p + i] = v;
      } else {
        double v = prm.mus[s * p + i];
        for (int j = 0; j < p; ++j) v += beta[static_cast<std::size_t>(i) * p + j] * x[j];
        out[s * p + i] = v;
      }
    }
  }
  return out;
}

std::vector<double> network_mses(const NetworkModel& md, const NetworkParams& prm, const double* X, std::size_t rows,
                                 int p, bool individual) {
  if (!individual) return replicate_mean(network_mses(md, prm, X, rows, p, true), prm.replicates);
  const std::vector<double> pred = network_predict_x(md, prm, X, rows, p);
  const bool corr = md.type == NetworkType::kCorrelation;
  const std::size_t per = corr ? static_cast<std::size_t>(p) * p : static_cast<std::size_t>(p);
  std::vector<double> out(prm.replicates * rows, 0.0);
  for (std::size_t s = 0; s < out.size(); ++s) {
    const double* x = X + (s % rows) * p;
    double sum = 0.0;
    for (std::size_t k = 0; k < per; ++k) {
      const double d = x[corr ? k / p : k] - pred[s * per + k];
      sum += d * d;
    }
    out[s] = sum / static_cast<double>(per);
  }
  return out;
}

}  // namespace ctxstats
