// Bayesian (NOTMAD) networks in the core (csrc/networks/dag.* and the "bayesian" network): the
// acyclicity penalties against closed forms and finite differences, the DAG projection, the
// objective's gradient (matrix exponential included) against central differences,
// determinism across thread counts, recovery of a context-dependent DAG, and boundary errors.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ctxstats.hpp"
#include "harness.hpp"

using namespace ctxstats;
using ctxstats_test::check;

namespace {

struct Sem {
  std::size_t n;
  int m, p;
  std::vector<double> C, X;
};

// A chain 0 -> 1 -> 2 -> ... whose first edge's weight is 1.5 c and the others 0.8.
Sem make_sem(std::size_t n, int p, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z;
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Sem d{n, 1, p, std::vector<double>(n), std::vector<double>(n * p)};
  for (std::size_t i = 0; i < n; ++i) {
    d.C[i] = u(rng);
    double* x = d.X.data() + i * p;
    x[0] = z(rng);
    for (int j = 1; j < p; ++j) x[j] = (j == 1 ? 1.5 * d.C[i] : 0.8) * x[j - 1] + z(rng);
  }
  return d;
}

FitOptions options(const std::string& encoder, int archetypes, int threads = 1, int max_iter = 0) {
  return ctxstats_test::network_options(encoder, archetypes, threads, max_iter, 4);
}

}  // namespace

int main() {
  // Closed forms on a 2-cycle a: 0 -> 1, b: 1 -> 0 (ab = t):
  //   notears 2 cosh(t) - 2, poly t^2 / 2, dagma -log(s^2 - t^2) + 2 log s.
  {
    const double a = 0.7, b = -1.3, t = a * b, W[4] = {0.0, a, b, 0.0};
    check(std::fabs(acyclicity(DagLoss::kNotears, 1.0, W, 2, nullptr) - (2.0 * std::cosh(t) - 2.0)) < 1e-14,
          "notears h of a 2-cycle is 2 cosh(ab) - 2");
    check(std::fabs(acyclicity(DagLoss::kPoly, 1.0, W, 2, nullptr) - t * t / 2.0) < 1e-14,
          "poly h of a 2-cycle is (ab)^2 / 2");
    const double s = 1.5;
    check(std::fabs(acyclicity(DagLoss::kDagma, s, W, 2, nullptr) - (-std::log(s * s - t * t) + 2.0 * std::log(s))) <
              1e-14,
          "dagma h of a 2-cycle is -log(s^2 - (ab)^2) + 2 log s");
    const double big[4] = {0.0, 2.0, 2.0, 0.0};
    check(std::isinf(acyclicity(DagLoss::kDagma, 1.0, big, 2, nullptr)), "dagma is +inf outside its domain");
    // A large weight: scaling and squaring keeps the relative accuracy.
    const double W2[4] = {0.0, 3.0, 2.0, 0.0};
    const double h = acyclicity(DagLoss::kNotears, 1.0, W2, 2, nullptr), want = 2.0 * std::cosh(6.0) - 2.0;
    check(std::fabs(h - want) < 1e-13 * want, "notears h of a heavy 2-cycle to 1e-13 relative");
  }
  // h = 0 on a DAG (strictly upper-triangular), > 0 with a cycle; gradients by central differences.
  {
    const int p = 6;
    std::mt19937_64 rng(3);
    std::normal_distribution<double> z(0.0, 0.3);
    std::vector<double> dag(p * p, 0.0), W(p * p, 0.0);
    for (int i = 0; i < p; ++i)
      for (int j = 0; j < p; ++j) {
        if (i < j) dag[i * p + j] = z(rng);
        if (i != j) W[i * p + j] = z(rng);
      }
    for (DagLoss loss : {DagLoss::kNotears, DagLoss::kPoly, DagLoss::kDagma}) {
      const std::string name = dag_loss_name(loss);
      check(std::fabs(acyclicity(loss, 1.0, dag.data(), p, nullptr)) < 1e-14, name + ": h = 0 on a DAG");
      std::vector<double> g(p * p);
      const double h = acyclicity(loss, 1.0, W.data(), p, g.data());
      check(h > 1e-6, name + ": h > 0 with cycles");
      double worst = 0.0;
      for (int k = 0; k < p * p; ++k) {
        std::vector<double> a = W, b = W;
        a[k] += 1e-6;
        b[k] -= 1e-6;
        const double fd = (acyclicity(loss, 1.0, a.data(), p, nullptr) - acyclicity(loss, 1.0, b.data(), p, nullptr)) / 2e-6;
        worst = std::max(worst, std::fabs(fd - g[k]) / std::max(1.0, std::fabs(fd)));
      }
      check(worst < 1e-8, name + ": dh/dW matches finite differences (" + std::to_string(worst) + ")");
    }
  }
  // Projection: a DAG is left alone; a dense graph becomes acyclic keeping the heaviest edges.
  {
    const int p = 7;
    std::mt19937_64 rng(4);
    std::normal_distribution<double> z;
    for (int rep = 0; rep < 50; ++rep) {
      std::vector<double> W(p * p, 0.0);
      for (int i = 0; i < p; ++i)
        for (int j = 0; j < p; ++j)
          if (i != j) W[i * p + j] = z(rng);
      std::vector<double> P = W;
      project_to_dag(P.data(), p, 0.0);
      bool ok = is_dag(P.data(), p);
      // The heaviest edge always survives, and every kept entry is the original one.
      std::size_t heaviest = 0;
      for (std::size_t k = 0; k < W.size(); ++k)
        if (std::fabs(W[k]) > std::fabs(W[heaviest])) heaviest = k;
      ok = ok && P[heaviest] == W[heaviest];
      for (std::size_t k = 0; k < W.size(); ++k) ok = ok && (P[k] == 0.0 || P[k] == W[k]);
      if (!ok) {
        check(false, "projection of graph " + std::to_string(rep));
        break;
      }
      std::vector<double> Q = P;
      project_to_dag(Q.data(), p, 0.0);
      if (Q != P) {
        check(false, "projecting a DAG changes it");
        break;
      }
    }
    check(true, "50 random dense graphs project to DAGs keeping their heaviest edge; DAGs are unchanged");
    std::vector<double> T = {0.0, 0.05, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0};
    project_to_dag(T.data(), 3, 0.1);
    check(T[1] == 0.0 && T[5] == 0.5, "the threshold removes small edges");
  }

  // The objective's gradient against central differences: linear and mlp encoders, archetypes,
  // every penalty (both parts' acyclicity and L1, weight decay), row weights.
  for (const char* enc : {"linear", "mlp"}) {
    for (int K : {0, 3}) {
      const Sem s = make_sem(60, 4, 9);
      OptionMap o = {{"family", OptionValue::string("gaussian")}, {"encoder", OptionValue::string(enc)},
                     {"archetypes", OptionValue::integer(K)}, {"weight_decay", OptionValue::real(0.01)}};
      if (std::string(enc) == "mlp") {
        o.emplace_back("width", OptionValue::integer(3));
        o.emplace_back("depth", OptionValue::integer(1));
      }
      const FitOptions fo = fit_options_from(o);
      DagOptions dag = dag_options_from({{"sample_specific_l1", OptionValue::real(0.02)},
                                         {"archetype_l1", OptionValue::real(0.03)},
                                         {"archetype_alpha", OptionValue::real(0.5)},
                                         {"archetype_rho", OptionValue::real(0.2)},
                                         {"sample_specific_rho", OptionValue::real(0.3)}});
      std::vector<double> rw(s.n);
      for (std::size_t i = 0; i < s.n; ++i) rw[i] = 0.5 + (i % 3);
      const std::size_t nw = network_n_weights(NetworkType::kBayesian, fo, s.m, s.p);
      std::vector<double> w(nw), g;
      std::mt19937_64 rng(1);
      std::normal_distribution<double> z(0.0, 0.4);
      for (auto& v : w) v = z(rng);
      const auto f = [&](const std::vector<double>& x, std::vector<double>* gr) {
        return network_objective(NetworkType::kBayesian, s.C.data(), s.X.data(), rw.data(), s.n, s.m, s.p, fo, x, gr,
                                 dag);
      };
      f(w, &g);
      double worst = 0.0;
      for (std::size_t k = 0; k < nw; ++k) {
        std::vector<double> a = w, b = w;
        a[k] += 1e-6;
        b[k] -= 1e-6;
        const double fd = (f(a, nullptr) - f(b, nullptr)) / 2e-6;
        worst = std::max(worst, std::fabs(fd - g[k]) / std::max(1.0, std::fabs(fd)));
      }
      check(worst < 1e-6, std::string("bayesian ") + enc + ", archetypes " + std::to_string(K) +
                              ": objective gradient matches finite differences (" + std::to_string(worst) + ")");
    }
  }

  // Bitwise identical for any thread count (L-BFGS and bootstrap replicates).
  {
    const Sem big = make_sem(1500, 4, 2);
    const auto run = [&](int threads) {
      return fit_network(NetworkType::kBayesian, big.C.data(), big.X.data(), nullptr, big.n, big.m, big.p,
                         options("mlp", 3, threads, 40), 3, true);
    };
    const NetworkModel a = run(1), b = run(3);
    check(a.replicate_weights == b.replicate_weights && a.weights == b.weights &&
              a.residual_variance == b.residual_variance,
          "bayesian mlp with archetypes: identical for 1 and 3 threads");
  }

  // Recovery: the linear encoder finds the chain, and the first edge's weight 1.5 c.
  {
    const Sem s = make_sem(3000, 4, 7);
    const NetworkModel md = fit_network(NetworkType::kBayesian, s.C.data(), s.X.data(), nullptr, s.n, s.m, s.p,
                                        options("linear", 0), 0, true);
    check(md.solve.converged, "the linear Bayesian network converges (" + md.solve.message + ")");
    const double cs[3] = {-0.8, 0.0, 0.8};
    NetworkParams prm = predict_network_params(md, cs, 3, 1, 1);
    double worst = 0.0;
    for (int r = 0; r < 3; ++r) {
      const double* W = prm.betas.data() + r * 16;
      worst = std::max(worst, std::fabs(W[0 * 4 + 1] - 1.5 * cs[r]));
      worst = std::max(worst, std::fabs(W[1 * 4 + 2] - 0.8));
      worst = std::max(worst, std::fabs(W[2 * 4 + 3] - 0.8));
    }
    check(worst < 0.15, "the chain's weights are recovered within 0.15 (" + std::to_string(worst) + ")");
    project_network_dags(md, prm, true, 0.0);
    bool acyclic = true;
    for (int r = 0; r < 3; ++r) acyclic = acyclic && is_dag(prm.betas.data() + r * 16, 4);
    check(acyclic, "projected networks are DAGs");
    check(std::fabs(prm.mus[0]) == 0.0, "Bayesian networks have no offsets");
  }

  // Boundary errors: refused with a message, never an abort.
  {
    const Sem s = make_sem(50, 3, 1);
    check(ctxstats_test::throws_invalid([] { dag_options_from({{"archetype_alpha", OptionValue::real(-1.0)}}); }, "archetype_alpha"),
          "a negative alpha is refused");
    check(ctxstats_test::throws_invalid([] { dag_options_from({{"archetype_dag_loss_type", OptionValue::string("cubic")}}); }, "NOTEARS"),
          "an unknown DAG loss is refused");
    check(ctxstats_test::throws_invalid([] { dag_options_from({{"sample_specific_beta", OptionValue::real(1.0)}}); }, "unknown"),
          "an unknown option is refused");
    const DagOptions poly = dag_options_from({{"sample_specific_dag_loss_type", OptionValue::string("poly")}});
    check(poly.sample.alpha == 1.0 && poly.sample.rho == 0.0 && poly.archetype.alpha == 0.1,
          "a part's defaults follow its loss type");
    FitOptions exact = options("linear", 0);
    exact.solver = "exact";
    check(ctxstats_test::throws_invalid([&] { fit_network(NetworkType::kBayesian, s.C.data(), s.X.data(), nullptr, s.n, s.m, s.p, exact, 0,
                                   true); },
                 "lbfgs"),
          "solver exact is refused for Bayesian networks");
    const NetworkModel md = fit_network(NetworkType::kBayesian, s.C.data(), s.X.data(), nullptr, s.n, s.m, s.p,
                                        options("linear", 0), 0, false);
    const NetworkParams prm = predict_network_params(md, s.C.data(), s.n, s.m, 1);
    check(ctxstats_test::throws_invalid([&] { network_correlations(md, prm, false); }, "not Bayesian"), "correlations are refused");
  }
  std::printf("%d passed, %d failed\n", ctxstats_test::passed, ctxstats_test::failed);
  return ctxstats_test::failed == 0 ? 0 : 1;
}
