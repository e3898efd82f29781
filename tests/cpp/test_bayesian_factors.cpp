// Low-rank factor graphs of Bayesian networks (csrc/networks/factors.*, num_factors): the
// softmax assignment and the feature graph it induces against direct computations, the
// objective's gradient -- through the factor graph and the softmax assignment -- against central
// differences, determinism across thread counts, recovery of a factor-structured SEM, the
// option's parsing and round trip, and boundary errors.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ctxstats.hpp"
#include "harness.hpp"
#include "networks/factors.hpp"

using namespace ctxstats;
using ctxstats_test::check;

namespace {

using Sem = ctxstats_test::Data;  // C, X (y and w unused)

// Two groups of three features: factor A = {0, 1, 2} (independent), factor B = {3, 4, 5}, each
// x_j = (1 + c) mean(x_0, x_1, x_2) + e_j. Factor graph A -> B with weight 1 + c, so the
// feature graph has W[i, j] = (1 + c) / 3 for i in A, j in B.
Sem make_factor_sem(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z;
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Sem d{n, 6, 1, std::vector<double>(n), std::vector<double>(n * 6), {}, {}};
  for (std::size_t i = 0; i < n; ++i) {
    const double c = u(rng);
    d.C[i] = c;
    double* x = d.X.data() + i * 6;
    for (int j = 0; j < 3; ++j) x[j] = z(rng);
    const double mean = (x[0] + x[1] + x[2]) / 3.0;
    for (int j = 3; j < 6; ++j) x[j] = (1.0 + c) * mean + 0.5 * z(rng);
  }
  return d;
}

// The Bayesian networks' options (harness: network_options) with hidden layers of width 3.
FitOptions options(const std::string& encoder, int archetypes, int threads = 1, int max_iter = 0) {
  return ctxstats_test::network_options(encoder, archetypes, threads, max_iter, 3);
}

DagOptions factors(int k, OptionMap more = {}) {
  more.emplace_back("num_factors", OptionValue::integer(k));
  return dag_options_from(more);
}

}  // namespace

int main() {
  // The assignment: columns of P sum to 1, rows of Pn sum to 1; the feature graph is
  // offdiag(P' Wf Pn) by a direct triple sum, and one row's prediction is x W.
  {
    const int k = 3, p = 5;
    std::mt19937_64 rng(5);
    std::normal_distribution<double> z;
    std::vector<double> R(k * p), Wf(k * k, 0.0), x(p);
    for (auto& v : R) v = z(rng);
    for (int a = 0; a < k; ++a)
      for (int b = 0; b < k; ++b)
        if (a != b) Wf[a * k + b] = z(rng);
    for (auto& v : x) v = z(rng);
    const FactorMap F = factor_map(R.data(), k, p);
    double worst = 0.0;
    for (int j = 0; j < p; ++j) {
      double s = 0.0;
      for (int a = 0; a < k; ++a) s += F.P[a * p + j];
      worst = std::max(worst, std::fabs(s - 1.0));
    }
    for (int a = 0; a < k; ++a) {
      double s = 0.0;
      for (int j = 0; j < p; ++j) s += F.Pn[a * p + j];
      worst = std::max(worst, std::fabs(s - 1.0));
    }
    check(worst < 1e-14, "softmax columns and normalised rows sum to 1");
    std::vector<double> W(p * p);
    factor_graph_to_features(F, Wf.data(), W.data());
    double wdiff = 0.0;
    for (int i = 0; i < p; ++i)
      for (int j = 0; j < p; ++j) {
        double v = 0.0;
        for (int a = 0; a < k; ++a)
          for (int b = 0; b < k; ++b) v += F.P[a * p + i] * Wf[a * k + b] * F.Pn[b * p + j];
        wdiff = std::max(wdiff, std::fabs((i == j ? 0.0 : v) - W[i * p + j]));
      }
    check(wdiff < 1e-14, "the feature graph is offdiag(P' Wf Pn)");
    std::vector<double> pred(p), work(k + k * p);
    factor_predict(F, Wf.data(), x.data(), pred.data(), work.data());
    double pdiff = 0.0;
    for (int j = 0; j < p; ++j) {
      double v = 0.0;
      for (int i = 0; i < p; ++i) v += x[i] * W[i * p + j];
      pdiff = std::max(pdiff, std::fabs(v - pred[j]));
    }
    check(pdiff < 1e-13, "a row's prediction is x W");
    // A one-hot assignment: W[i, j] = Wf[a, b] / |b|.
    std::vector<double> hard(k * p, -40.0);
    const int group[5] = {0, 0, 1, 2, 2};
    for (int j = 0; j < p; ++j) hard[group[j] * p + j] = 40.0;
    const FactorMap H = factor_map(hard.data(), k, p);
    factor_graph_to_features(H, Wf.data(), W.data());
    const double size[3] = {2.0, 1.0, 2.0};
    double hdiff = 0.0;
    for (int i = 0; i < p; ++i)
      for (int j = 0; j < p; ++j)
        if (i != j) hdiff = std::max(hdiff, std::fabs(W[i * p + j] - Wf[group[i] * k + group[j]] / size[group[j]]));
    check(hdiff < 1e-12, "a one-hot assignment gives W[i, j] = Wf[a, b] / |b|");
  }

  // The objective's gradient against central differences, through the factor graph and the
  // softmax assignment: linear and mlp encoders, archetypes, every penalty (both parts'
  // acyclicity and L1, the factor logits' L1, weight decay), row weights; every DAG loss.
  for (const char* enc : {"linear", "mlp"}) {
    for (int K : {0, 3}) {
      for (const char* loss : {"NOTEARS", "poly", "DAGMA"}) {
        if (std::string(loss) != "NOTEARS" && (K != 3 || std::string(enc) != "linear")) continue;
        const Sem s = make_factor_sem(60, 9);
        OptionMap o = {{"family", OptionValue::string("gaussian")}, {"encoder", OptionValue::string(enc)},
                       {"archetypes", OptionValue::integer(K)}, {"weight_decay", OptionValue::real(0.01)}};
        if (std::string(enc) == "mlp") {
          o.emplace_back("width", OptionValue::integer(3));
          o.emplace_back("depth", OptionValue::integer(1));
        }
        const FitOptions fo = fit_options_from(o);
        const int k = 3;
        const DagOptions dag = factors(k, {{"sample_specific_l1", OptionValue::real(0.02)},
                                           {"archetype_l1", OptionValue::real(0.03)},
                                           {"archetype_alpha", OptionValue::real(0.5)},
                                           {"archetype_rho", OptionValue::real(0.2)},
                                           {"sample_specific_rho", OptionValue::real(0.3)},
                                           {"sample_specific_dag_loss_type", OptionValue::string(loss)},
                                           {"archetype_dag_loss_type", OptionValue::string(loss)},
                                           {"factor_mat_l1", OptionValue::real(0.05)}});
        std::vector<double> rw(s.n);
        for (std::size_t i = 0; i < s.n; ++i) rw[i] = 0.5 + (i % 3);
        const std::size_t nw = network_n_weights(NetworkType::kBayesian, fo, s.m, s.p, dag);
        const std::size_t nw0 = network_n_weights(NetworkType::kBayesian, fo, s.m, s.p);
        check(nw == network_n_weights(NetworkType::kBayesian, fo, s.m, k) + static_cast<std::size_t>(k) * s.p &&
                  nw < nw0,
              "with factors the weights are the k-node encoder's and k x p logits");
        std::vector<double> w(nw), g;
        std::mt19937_64 rng(1);
        std::normal_distribution<double> z(0.0, 0.3);
        for (auto& v : w) v = z(rng);
        const auto f = [&](const std::vector<double>& x, std::vector<double>* gr) {
          return network_objective(NetworkType::kBayesian, s.C.data(), s.X.data(), rw.data(), s.n, s.m, s.p, fo, x,
                                   gr, dag);
        };
        f(w, &g);
        double worst = 0.0, worst_logit = 0.0;
        for (std::size_t j = 0; j < nw; ++j) {
          std::vector<double> a = w, b = w;
          a[j] += 1e-6;
          b[j] -= 1e-6;
          const double fd = (f(a, nullptr) - f(b, nullptr)) / 2e-6;
          const double err = std::fabs(fd - g[j]) / std::max(1.0, std::fabs(fd));
          worst = std::max(worst, err);
          if (j >= nw - static_cast<std::size_t>(k) * s.p) worst_logit = std::max(worst_logit, err);
        }
        check(worst < 1e-6, std::string("factors, ") + enc + ", archetypes " + std::to_string(K) + ", " + loss +
                                ": objective gradient matches finite differences (" + std::to_string(worst) +
                                "; logits " + std::to_string(worst_logit) + ")");
      }
    }
  }

  // Bitwise identical for any thread count (L-BFGS with the augmented Lagrangian, bootstrap).
  {
    const Sem big = make_factor_sem(1500, 2);
    const auto run = [&](int threads) {
      return fit_network(NetworkType::kBayesian, big.C.data(), big.X.data(), nullptr, big.n, big.m, big.p,
                         options("mlp", 3, threads, 40), 3, true, nullptr, factors(2));
    };
    const NetworkModel a = run(1), b = run(3);
    check(a.replicate_weights == b.replicate_weights && a.weights == b.weights &&
              a.residual_variance == b.residual_variance,
          "factors, mlp with archetypes: identical for 1 and 3 threads");
    const double c0 = 0.3;
    const NetworkParams pa = predict_network_params(a, &c0, 1, 1, 1), pb = predict_network_params(b, &c0, 1, 1, 3);
    check(pa.betas == pb.betas, "factors: predictions identical for 1 and 3 threads");
  }

  // Recovery: the linear encoder with two factors finds the two groups and the edge weight
  // (1 + c) / 3 from every feature of A to every feature of B.
  {
    const Sem s = make_factor_sem(3000, 7);
    const DagOptions dag = factors(2);
    const NetworkModel md = fit_network(NetworkType::kBayesian, s.C.data(), s.X.data(), nullptr, s.n, s.m, s.p,
                                        options("linear", 0), 0, true, nullptr, dag);
    check(md.solve.converged, "the factor model converges (" + md.solve.message + ")");
    const double cs[3] = {-0.6, 0.0, 0.6};
    NetworkParams prm = predict_network_params(md, cs, 3, 1, 1);
    double worst = 0.0, other = 0.0;
    for (int r = 0; r < 3; ++r) {
      const double* W = prm.betas.data() + r * 36;
      for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j) {
          if (i < 3 && j >= 3) worst = std::max(worst, std::fabs(W[i * 6 + j] - (1.0 + cs[r]) / 3.0));
          else other = std::max(other, std::fabs(W[i * 6 + j]));
        }
    }
    check(worst < 0.06 && other < 0.06, "the factor graph's edges are recovered within 0.06 (" +
                                             std::to_string(worst) + "; other edges " + std::to_string(other) + ")");
    const FactorMap F = factor_map(md.weights.data() + md.weights.size() - 12, 2, 6);
    const int a0 = F.P[0] > 0.5 ? 0 : 1;
    bool grouped = true;
    for (int j = 0; j < 6; ++j) grouped = grouped && (F.P[(j < 3 ? a0 : 1 - a0) * 6 + j] > 0.9);
    check(grouped, "the assignment puts each group in one factor (P > 0.9)");
    const NetworkParams fg = predict_network_params(md, cs, 3, 1, 1, true);
    check(fg.p == 2 && fg.betas.size() == 3 * 4, "factor graphs are k x k per sample");
    check(std::fabs(fg.betas[a0 * 2 + 1 - a0] - 0.4) < 0.15 && fg.betas[0] == 0.0 && fg.betas[3] == 0.0,
          "the factor graph holds the edge between the factors (" + std::to_string(fg.betas[a0 * 2 + 1 - a0]) +
              ") and a zero diagonal");
    project_network_dags(md, prm, true, 0.0);
    bool acyclic = true;
    for (int r = 0; r < 3; ++r) acyclic = acyclic && is_dag(prm.betas.data() + r * 36, 6);
    check(acyclic, "projected feature graphs are DAGs");
    // The untrained model has the seeded logits and predicts.
    const NetworkModel init = fit_network(NetworkType::kBayesian, s.C.data(), s.X.data(), nullptr, s.n, s.m, s.p,
                                          options("mlp", 0), 0, false, nullptr, dag);
    const std::vector<double> logits(init.weights.end() - 12, init.weights.end());
    check(std::all_of(logits.begin(), logits.end(), [](double v) { return std::fabs(v) <= 0.5 && v != 0.0; }),
          "the untrained model's logits are the seeded start in (-1/2, 1/2)");
  }

  // The option: parsed and round-tripped; bad values refused with a message, never an abort.
  {
    const DagOptions d = factors(3, {{"factor_mat_l1", OptionValue::real(0.1)}});
    const DagOptions back = dag_options_from(dag_options_to_map(d));
    check(back.factors == 3 && back.factor_l1 == 0.1, "num_factors and factor_mat_l1 round-trip through the map");
    check(dag_options_from({{"num_factors", OptionValue::real(2.0)}}).factors == 2, "a whole double is accepted");
    check(ctxstats_test::throws_invalid([] { factors(1); }, "num_factors"), "num_factors = 1 is refused");
    check(ctxstats_test::throws_invalid([] { dag_options_from({{"num_factors", OptionValue::real(2.5)}}); },
                                        "whole number"),
          "a fractional num_factors is refused");
    check(ctxstats_test::throws_invalid([] { factors(2, {{"factor_mat_l1", OptionValue::real(-1.0)}}); },
                                        "factor_mat_l1"),
          "a negative factor_mat_l1 is refused");
    const Sem s = make_factor_sem(50, 1);
    check(ctxstats_test::throws_invalid(
              [&] {
                fit_network(NetworkType::kBayesian, s.C.data(), s.X.data(), nullptr, s.n, s.m, s.p,
                            options("linear", 0), 0, true, nullptr, factors(6));
              },
              "smaller than the number of features"),
          "num_factors >= p is refused");
    check(ctxstats_test::throws_invalid(
              [&] {
                fit_network(NetworkType::kMarkov, s.C.data(), s.X.data(), nullptr, s.n, s.m, s.p,
                            fit_options_from({{"family", OptionValue::string("gaussian")}}), 0, true, nullptr,
                            factors(2));
              },
              "Bayesian networks only"),
          "num_factors is refused for other networks");
    NetworkModel md = fit_network(NetworkType::kBayesian, s.C.data(), s.X.data(), nullptr, s.n, s.m, s.p,
                                  options("linear", 0), 0, false, nullptr, factors(2));
    const NetworkModel plain = fit_network(NetworkType::kBayesian, s.C.data(), s.X.data(), nullptr, s.n, s.m, s.p,
                                           options("linear", 0), 0, false);
    check(ctxstats_test::throws_invalid([&] { predict_network_params(plain, s.C.data(), 2, 1, 1, true); },
                                        "num_factors"),
          "factor graphs of a model without factors are refused");
    NetworkModel bad = md;
    bad.dag.factors = 3;
    check(ctxstats_test::throws_invalid([&] { validate_network_model(bad); }, "wrong length"),
          "a model whose weights do not match its factors is refused");
  }
  std::printf("%d passed, %d failed\n", ctxstats_test::passed, ctxstats_test::failed);
  return ctxstats_test::failed == 0 ? 0 : 1;
}
