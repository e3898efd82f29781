// Contextualized networks in the core (csrc/networks/): the shared-Gram exact solver against
// each regression solved on its own, the iterative path's gradient against finite
// differences, determinism across thread counts, and boundary errors that never abort.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ctxstats.hpp"
#include "harness.hpp"
#include "inference/bootstrap_summary.hpp"

using namespace ctxstats;
using ctxstats_test::check;

namespace {

struct Net {
  std::size_t n;
  int m, p;
  std::vector<double> C, X;
};

Net make_net(std::size_t n, int m, int p, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z;
  Net d{n, m, p, std::vector<double>(n * m), std::vector<double>(n * p)};
  for (auto& v : d.C) v = z(rng);
  for (std::size_t i = 0; i < n; ++i) {
    for (int j = 0; j < p; ++j) d.X[i * p + j] = z(rng) + 2.0 * j;
    d.X[i * p + 1] += (0.5 + d.C[i * m]) * d.X[i * p];  // an edge that varies with context
  }
  return d;
}

FitOptions options(const std::string& encoder, int threads = 1) {
  OptionMap o = {{"family", OptionValue::string("gaussian")}, {"encoder", OptionValue::string(encoder)},
                 {"threads", OptionValue::integer(threads)}};
  if (encoder != "linear") {
    o.emplace_back("width", OptionValue::integer(4));
    o.emplace_back("depth", OptionValue::integer(1));
    o.emplace_back("max_iter", OptionValue::integer(30));
  }
  return fit_options_from(o);
}

// Column j of X as a contiguous vector (the GLM's response).
std::vector<double> column(const Net& d, int j) {
  std::vector<double> y(d.n);
  for (std::size_t i = 0; i < d.n; ++i) y[i] = d.X[i * d.p + j];
  return y;
}

template <typename F>
bool throws(F f, const std::string& fragment) {
  try {
    f();
  } catch (const InvalidArgument& e) {
    return std::string(e.what()).find(fragment) != std::string::npos;
  }
  return false;
}

}  // namespace

int main() {
  const Net d = make_net(700, 2, 4, 5);

  // Markov, linear encoder: regression i equals the contextualized GLM of x_i on the others.
  {
    const NetworkModel md = fit_network(NetworkType::kMarkov, d.C.data(), d.X.data(), nullptr, d.n, d.m, d.p,
                                        options("linear"), 0, true);
    const NetworkParams prm = predict_network_params(md, d.C.data(), d.n, d.m, 1);
    for (int i = 0; i < d.p; ++i) {
      std::vector<double> Xo;
      for (std::size_t r = 0; r < d.n; ++r)
        for (int j = 0; j < d.p; ++j)
          if (j != i) Xo.push_back(d.X[r * d.p + j]);
      const std::vector<double> y = column(d, i);
      DataView v{d.n, d.p - 1, d.m, d.C.data(), Xo.data(), y.data(), nullptr};
      FitOptions o = options("linear");
      const FitResult fr = fit(v, o);
      const std::vector<double> theta = predict_theta(fr.encoder, fr.scaling, fr.weights, d.C.data(), d.n, d.m, 1);
      double worst = 0.0;
      for (std::size_t r = 0; r < d.n; ++r) {
        worst = std::max(worst, std::fabs(theta[r * d.p] - prm.mus[r * d.p + i]));
        for (int j = 0, k = 1; j < d.p; ++j)
          if (j != i)
            worst = std::max(worst, std::fabs(theta[r * d.p + k++] - prm.betas[(r * d.p + i) * d.p + j]));
      }
      check(worst < 1e-9, "markov regression " + std::to_string(i) + " equals its GLM (max diff " +
                              std::to_string(worst) + ")");
    }
    // The precision is symmetric with a positive diagonal.
    const std::vector<double> omega = network_precisions(md, prm);
    bool symmetric = true;
    for (int i = 0; i < d.p; ++i)
      for (int j = 0; j < d.p; ++j) symmetric = symmetric && omega[i * d.p + j] == omega[j * d.p + i];
    check(symmetric && omega[0] > 0.0, "the markov precision is symmetric with a positive diagonal");
  }

  // The objective's gradient against central differences (mlp, archetypes, penalties).
  for (const char* kind : {"correlation", "markov"}) {
    const Net s = make_net(90, 2, 3, 9);
    OptionMap o = {{"family", OptionValue::string("gaussian")}, {"encoder", OptionValue::string("mlp")},
                   {"width", OptionValue::integer(3)}, {"depth", OptionValue::integer(1)},
                   {"archetypes", OptionValue::integer(2)}, {"alpha", OptionValue::real(0.1)},
                   {"l1_ratio", OptionValue::real(0.5)}, {"weight_decay", OptionValue::real(0.01)}};
    const FitOptions fo = fit_options_from(o);
    const NetworkType t = parse_network_type(kind);
    const std::size_t nw = network_n_weights(t, fo, s.m, s.p);
    std::vector<double> w(nw), g;
    std::mt19937_64 rng(1);
    std::normal_distribution<double> z(0.0, 0.4);
    for (auto& v : w) v = z(rng);
    network_objective(t, s.C.data(), s.X.data(), nullptr, s.n, s.m, s.p, fo, w, &g);
    double worst = 0.0;
    for (std::size_t k = 0; k < nw; k += 3) {
      std::vector<double> a = w, b = w;
      a[k] += 1e-6;
      b[k] -= 1e-6;
      const double fd = (network_objective(t, s.C.data(), s.X.data(), nullptr, s.n, s.m, s.p, fo, a, nullptr) -
                         network_objective(t, s.C.data(), s.X.data(), nullptr, s.n, s.m, s.p, fo, b, nullptr)) /
                        2e-6;
      worst = std::max(worst, std::fabs(fd - g[k]) / std::max(1.0, std::fabs(fd)));
    }
    check(worst < 1e-6, std::string(kind) + " objective gradient matches finite differences (" +
                            std::to_string(worst) + ")");
  }

  // The bootstrap in ranges (ctxstats.dask runs them as tasks) is bitwise fit_network's own:
  // replicates 0-1 and 2-4 of the full-data fit, merged, against n_bootstraps = 5.
  for (const char* enc : {"linear", "mlp"}) {
    const Net s = make_net(300, 2, 3, 4);
    const FitOptions fo = options(enc, 2);
    const NetworkModel whole = fit_network(NetworkType::kMarkov, s.C.data(), s.X.data(), nullptr, s.n, s.m, s.p,
                                           fo, 5, true);
    const NetworkModel full = fit_network(NetworkType::kMarkov, s.C.data(), s.X.data(), nullptr, s.n, s.m, s.p,
                                          fo, 0, true);
    const NetworkModel merged = network_with_replicates(
        full, {network_bootstrap_range(full, s.C.data(), s.X.data(), nullptr, s.n, 0, 2, 1),
               network_bootstrap_range(full, s.C.data(), s.X.data(), nullptr, s.n, 2, 3, 2)});
    check(merged.n_replicates == 5 && merged.replicate_weights == whole.replicate_weights &&
              merged.residual_variance == whole.residual_variance &&
              merged.replicate_n_iter == whole.replicate_n_iter &&
              merged.bootstrap_message == whole.bootstrap_message,
          std::string("a network bootstrap in ranges is bitwise the whole one (") + enc + ")");
    check(throws([&] { network_with_replicates(full, {network_bootstrap_range(full, s.C.data(), s.X.data(), nullptr,
                                                                               s.n, 1, 2, 1)}); },
                 "from replicate 0"),
          "network bootstrap ranges must start at replicate 0");
  }

  // Bitwise identical for any thread count: exact, L-BFGS, and bootstrap replicates.
  for (const char* enc : {"linear", "mlp"}) {
    const Net big = make_net(1800, 2, 3, 2);
    const auto run = [&](int threads) {
      return fit_network(NetworkType::kCorrelation, big.C.data(), big.X.data(), nullptr, big.n, big.m, big.p,
                         options(enc, threads), 3, true);
    };
    const NetworkModel a = run(1), b = run(3);
    check(a.replicate_weights == b.replicate_weights && a.weights == b.weights &&
              a.residual_variance == b.residual_variance,
          std::string(enc) + ": identical for 1 and 3 threads");
  }

  // Boundary errors: InvalidArgument, never an abort.
  const FitOptions lin = options("linear");
  check(throws([&] { fit_network(NetworkType::kMarkov, d.C.data(), d.X.data(), nullptr, d.n, d.m, 1, lin, 0, true); },
               "at least 2 columns"),
        "one feature is refused");
  std::vector<double> bad = d.X;
  bad[7] = std::nan("");
  check(throws([&] { fit_network(NetworkType::kMarkov, d.C.data(), bad.data(), nullptr, d.n, d.m, d.p, lin, 0, true); },
               "X column 3 contains a non-finite value"),
        "NaN in X is named");
  std::vector<double> zero(d.n, 0.0);
  check(throws([&] { fit_network(NetworkType::kMarkov, d.C.data(), d.X.data(), zero.data(), d.n, d.m, d.p, lin, 0, true); },
               "weights sum to zero"),
        "zero weights are refused");
  check(throws([&] { fit_network(NetworkType::kCorrelation, d.C.data(), d.X.data(), nullptr, d.n, d.m, d.p, lin, 1, true); },
               "n_bootstraps"),
        "n_bootstraps = 1 is refused");
  {
    NetworkModel md = fit_network(NetworkType::kCorrelation, d.C.data(), d.X.data(), nullptr, d.n, d.m, d.p, lin, 0,
                                  false);
    md.replicate_weights.pop_back();
    check(throws([&] { predict_network_params(md, d.C.data(), d.n, d.m, 1); }, "replicate weights"),
          "a malformed model is refused");
  }
  // The edge curve (network_edge_curve): the grid by its documented rules, the edge on it as
  // predicted, the bootstrap band as edge inference's, and bad arguments refused.
  {
    Net d = make_net(400, 2, 3, 11);
    for (std::size_t i = 0; i < d.n; ++i) d.C[i * 2 + 1] = (i % 3 == 0) ? 1.0 : 0.0;  // an indicator, mostly 0
    const NetworkModel md = fit_network(NetworkType::kMarkov, d.C.data(), d.X.data(), nullptr, d.n, d.m, d.p,
                                        options("linear"), 4, true);
    const NetworkEdgeCurve e = network_edge_curve(md, d.C.data(), d.n, d.m, 0, 1, 0, 11, 0.1, false, 0.0, 1);
    std::vector<double> c0(d.n);
    double mean = 0.0;
    for (std::size_t i = 0; i < d.n; ++i) mean += (c0[i] = d.C[i * 2]);
    mean /= static_cast<double>(d.n);
    const double lo = column_quantiles(c0.data(), d.n, 1, 0.01)[0], hi = column_quantiles(c0.data(), d.n, 1, 0.99)[0];
    check(!e.indicator && e.x.size() == 11 && e.x.front() == lo && e.x.back() == hi &&
              std::fabs(e.x[5] - (lo + hi) / 2) < 1e-14,
          "the curve runs over the 1st to 99th percentile");
    check(e.held[1] == 0.0 && std::fabs(e.held[0] - mean) < 1e-14, "others held at the mean / most common value");
    std::vector<double> grid;
    for (double x : e.x) grid.insert(grid.end(), {x, 0.0});
    const NetworkEdgeInference inf = network_edge_inference(md, grid.data(), 11, 2, 0.1, false, 0.0, 1);
    bool same = e.lower.size() == 11;
    for (int g = 0; g < 11 && same; ++g)
      same = e.estimate[g] == inf.estimate[g * 9 + 3] && e.lower[g] == inf.lower[g * 9 + 3] &&
             e.upper[g] == inf.upper[g * 9 + 3];
    check(same, "the curve and its band are edge inference's on the grid");
    check(e.estimate.back() - e.estimate.front() > 1.5, "the edge grows with the context as simulated");
    const NetworkEdgeCurve ind = network_edge_curve(md, d.C.data(), d.n, d.m, 1, 1, 0, 11, 0.1, false, 0.0, 1);
    check(ind.indicator && ind.x == std::vector<double>({0.0, 1.0}), "an indicator runs over its values");
    check(ctxstats_test::throws_invalid([&] { network_edge_curve(md, d.C.data(), d.n, d.m, 2, 1, 0, 11, 0.1, false, 0.0, 1); },
                                        "context"),
          "an unknown context column is refused");
    check(ctxstats_test::throws_invalid([&] { network_edge_curve(md, d.C.data(), d.n, d.m, 0, 1, 1, 11, 0.1, false, 0.0, 1); },
                                        "edge"),
          "a self-edge is refused");
    check(ctxstats_test::throws_invalid([&] { network_edge_curve(md, d.C.data(), d.n, d.m, 0, 1, 0, 1, 0.1, false, 0.0, 1); },
                                        "n_grid"),
          "n_grid < 2 is refused");
  }
  std::printf("%d passed, %d failed\n", ctxstats_test::passed, ctxstats_test::failed);
  return ctxstats_test::failed == 0 ? 0 : 1;
}
