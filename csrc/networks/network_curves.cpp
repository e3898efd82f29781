// How one edge of a contextualized network changes with one context feature (networks.hpp:
// network_edge_curve): the grid of contexts and the edge along it, for both front ends' plots.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "common/error.hpp"
#include "inference/bootstrap_summary.hpp"
#include "networks/networks.hpp"

namespace ctxstats {

namespace {

// Column j's distinct values in increasing order, with their counts.
std::map<double, std::size_t> column_values(const double* C, std::size_t rows, int m, int j) {
  std::map<double, std::size_t> counts;
  for (std::size_t i = 0; i < rows; ++i) ++counts[C[i * m + j]];
  return counts;
}

}  // namespace

NetworkEdgeCurve network_edge_curve(const NetworkModel& md, const double* C, std::size_t rows, int m, int feature,
                                    int from, int to, int n_grid, double alpha, bool project, double threshold,
                                    int threads) {
  validate_network_model(md);
  require(m == md.m, "C has " + std::to_string(m) + " columns; the network was fitted with " + std::to_string(md.m));
  require(rows >= 1, "C must have at least one row");
  check_finite(C, rows, m, "C");
  require(feature >= 0 && feature < m, "context must be a context column between 0 and " + std::to_string(m - 1) +
                                           ", not " + std::to_string(feature));
  require(from >= 0 && from < md.p && to >= 0 && to < md.p,
          "edge must name two features between 0 and " + std::to_string(md.p - 1));
  require(from != to, "edge must join two different features, not feature " + std::to_string(from) + " to itself");
  require(n_grid >= 2 && n_grid <= 100000, "n_grid must be between 2 and 100000, not " + std::to_string(n_grid));
  require(alpha > 0.0 && alpha < 1.0, "alpha must lie in (0, 1)");

  NetworkEdgeCurve out;
  out.held.assign(m, 0.0);
  for (int j = 0; j < m; ++j) {
    const auto values = column_values(C, rows, m, j);
    if (values.size() <= 2) {  // an indicator: its most common value (ties: the smaller)
      std::size_t best = 0;
      for (const auto& v : values)
        if (v.second > best) {
          best = v.second;
          out.held[j] = v.first;
        }
    } else {
      double s = 0.0;
      for (std::size_t i = 0; i < rows; ++i) s += C[i * m + j];
      out.held[j] = s / static_cast<double>(rows);
    }
  }
  const auto values = column_values(C, rows, m, feature);
  out.indicator = values.size() <= 2;
  if (out.indicator) {
    for (const auto& v : values) out.x.push_back(v.first);
  } else {
    std::vector<double> col(rows);
    for (std::size_t i = 0; i < rows; ++i) col[i] = C[i * m + feature];
    double lo = values.begin()->first, hi = values.rbegin()->first;
    if (rows > 20) {
      const double q1 = column_quantiles(col.data(), rows, 1, 0.01)[0], q99 = column_quantiles(col.data(), rows, 1, 0.99)[0];
      if (q1 < q99) {
        lo = q1;
        hi = q99;
      }
    }
    out.x.resize(n_grid);
    for (int g = 0; g < n_grid; ++g)
      out.x[g] = g == n_grid - 1 ? hi : lo + (hi - lo) * (static_cast<double>(g) / (n_grid - 1));
  }
  const std::size_t G = out.x.size();
  std::vector<double> grid(G * static_cast<std::size_t>(m));
  for (std::size_t g = 0; g < G; ++g) {
    std::copy(out.held.begin(), out.held.end(), grid.begin() + static_cast<std::ptrdiff_t>(g * m));
    grid[g * m + feature] = out.x[g];
  }
  const int p = md.p;
  const std::size_t edge = static_cast<std::size_t>(from) * p + to, pp = static_cast<std::size_t>(p) * p;
  if (md.n_replicates >= 2) {
    const NetworkEdgeInference e = network_edge_inference(md, grid.data(), G, m, alpha, project, threshold, threads);
    for (std::size_t g = 0; g < G; ++g) {
      out.estimate.push_back(e.estimate[g * pp + edge]);
      out.lower.push_back(e.lower[g * pp + edge]);
      out.upper.push_back(e.upper[g * pp + edge]);
    }
  } else {
    NetworkParams prm = predict_network_params(md, grid.data(), G, m, threads);
    project_network_dags(md, prm, project, threshold);
    for (std::size_t g = 0; g < G; ++g) out.estimate.push_back(prm.betas[g * pp + edge]);
  }
  NetworkParams samples = predict_network_params(network_full_fit(md), C, rows, m, threads);
  project_network_dags(md, samples, project, threshold);
  for (std::size_t i = 0; i < rows; ++i) {
    out.sample_x.push_back(C[i * m + feature]);
    out.sample_edge.push_back(samples.betas[i * pp + edge]);
  }
  return out;
}

}  // namespace ctxstats
