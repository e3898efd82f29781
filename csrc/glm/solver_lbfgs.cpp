// Full-batch L-BFGS (Nocedal & Wright, Algorithm 7.4) with a line search for the strong
// Wolfe conditions (c1 = 1e-4, c2 = 0.9): bracket, then shrink by safeguarded quadratic
// interpolation.
// Stopping criterion (converged = true): the largest gradient component is at most tol
// (default 1e-8), checked at every iterate including the last one the cap allows; or, when
// options.loglik_tol > 0 (neural encoders, see solver.hpp), the log-likelihood rose by at most
// loglik_tol over the last 10 iterations; or the
// objective has stopped moving (relative change below 1e-14 for five successive iterations);
// or the line search can no longer decrease the objective while the largest gradient
// component is at most 1e3 * tol (rounding noise near the optimum); or options.monitor says
// so (early stopping). Otherwise the fit stops
// unconverged at max_iter (default 1000), or when the line search fails farther out, with a
// message naming the criterion, the cap and what to change.
// Memory: 50 correction pairs (fewer for very large encoders).
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <vector>

#include "common/convergence.hpp"
#include "common/error.hpp"
#include "glm/solver.hpp"

namespace ctxstats {

namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

double inf_norm(const std::vector<double>& a) {
  double s = 0.0;
  for (double v : a) s = std::max(s, std::fabs(v));
  return s;
}

struct LineSearchResult {
  double t = 0.0, f = 0.0;
  bool ok = false;
};

// Finds t along d from x (value f0, slope dg0 < 0); on success x_new, g_new hold the point.
LineSearchResult wolfe_search(const ValueGrad& obj, const std::vector<double>& x, double f0, double dg0,
                              const std::vector<double>& d, double t, std::vector<double>& x_new,
                              std::vector<double>& g_new) {
  constexpr double c1 = 1e-4, c2 = 0.9;
  const double inf = std::numeric_limits<double>::infinity();
  double lo = 0.0, f_lo = f0, dg_lo = dg0, hi = inf, f_hi = inf;
  LineSearchResult best;
  best.f = f0;
  std::vector<double> x_best = x, g_best;
  for (int k = 0; k < 50; ++k) {
    for (std::size_t j = 0; j < x.size(); ++j) x_new[j] = x[j] + t * d[j];
    const double f = obj(x_new.data(), g_new.data());
    const double dg = dot(g_new, d);
    if (std::isfinite(f) && f < best.f) {
      best.f = f;
      best.t = t;
      x_best = x_new;
      g_best = g_new;
    }
    if (!std::isfinite(f) || f > f0 + c1 * t * dg0 || (f >= f_lo && t > lo)) {
      hi = t;
      f_hi = f;
    } else {
      if (std::fabs(dg) <= -c2 * dg0) {
        LineSearchResult r;
        r.t = t;
        r.f = f;
        r.ok = true;
        return r;
      }
      if (dg > 0.0) {
        hi = t;
        f_hi = f;
      } else {
        lo = t;
        f_lo = f;
        dg_lo = dg;
      }
    }
    if (hi == inf) {
      t = std::min(2.0 * t, 1e10);
      continue;
    }
    // Minimiser of the quadratic through (lo, f_lo, dg_lo) and (hi, f_hi), kept inside the
    // middle 80% of the bracket; bisection when f_hi is not finite.
    const double w = hi - lo;
    double next = lo + 0.5 * w;
    if (std::isfinite(f_hi)) {
      const double denom = 2.0 * (f_hi - f_lo - dg_lo * w);
      if (denom > 0.0) next = lo - dg_lo * w * w / denom;
    }
    t = std::clamp(next, lo + 0.1 * w, hi - 0.1 * w);
    if (w < 1e-16 * std::max(1.0, hi)) break;
  }
  // No Wolfe point: accept the best decrease seen, if any.
  if (best.t > 0.0) {
    x_new = x_best;
    g_new = g_best;
    best.ok = true;
  }
  return best;
}

}  // namespace

SolverResult solve_lbfgs(Objective& objective, double* w, const SolverOptions& options) {
  return solve_lbfgs(objective.n_weights(),
                     [&objective](const double* x, double* g) { return objective.value_grad(x, g); }, w, options);
}

SolverResult solve_lbfgs(std::size_t n, const ValueGrad& obj, double* w, const SolverOptions& options) {
  const int max_iter = options.max_iter > 0 ? options.max_iter : 1000;
  const double tol = options.tol > 0.0 ? options.tol : 1e-8;
  // 50 correction pairs: on neural encoders many pairs cut the iterations needed several
  // fold (measured on the public benchmark), while the two-loop recursion stays cheap next to
  // one pass over the data. Capped so the pairs hold at most ~4e6 doubles.
  const int kMemory = static_cast<int>(std::clamp<std::size_t>(4000000 / std::max<std::size_t>(n, 1), 5, 50));
  SolverResult res;
  std::vector<double> x(w, w + n), g(n), x_new(n), g_new(n), d(n), alpha(kMemory);
  std::deque<std::vector<double>> S, Y;
  std::deque<double> rho;
  double f = obj(x.data(), g.data());
  require(std::isfinite(f), "the objective is not finite at the initial weights");
  res.history.push_back(f);
  int flat = 0;
  for (int it = 1; it <= max_iter; ++it) {
    res.n_iter = it - 1;
    if (inf_norm(g) <= tol) {
      res.converged = true;
      break;
    }
    // Two-loop recursion: d = -H g.
    for (std::size_t j = 0; j < n; ++j) d[j] = -g[j];
    const int mem = static_cast<int>(S.size());
    for (int k = mem - 1; k >= 0; --k) {
      alpha[k] = rho[k] * dot(S[k], d);
      for (std::size_t j = 0; j < n; ++j) d[j] -= alpha[k] * Y[k][j];
    }
    if (mem > 0) {
      const double gamma = dot(S.back(), Y.back()) / dot(Y.back(), Y.back());
      for (double& v : d) v *= gamma;
    }
    for (int k = 0; k < mem; ++k) {
      const double beta = rho[k] * dot(Y[k], d);
      for (std::size_t j = 0; j < n; ++j) d[j] += (alpha[k] - beta) * S[k][j];
    }
    double dg = dot(g, d);
    if (!(dg < 0.0)) {  // not a descent direction: restart from steepest descent
      S.clear();
      Y.clear();
      rho.clear();
      for (std::size_t j = 0; j < n; ++j) d[j] = -g[j];
      dg = dot(g, d);
    }
    const double t0 = S.empty() ? std::min(1.0, 1.0 / std::sqrt(dot(g, g))) : 1.0;
    LineSearchResult ls = wolfe_search(obj, x, f, dg, d, t0, x_new, g_new);
    if (!ls.ok) {
      res.n_iter = it;
      res.converged = inf_norm(g) <= 1e3 * tol;
      if (!res.converged)
        res.message = "L-BFGS stopped after " + std::to_string(it) +
                      " iterations: the line search found no decrease while the largest gradient component (" +
                      format_number(inf_norm(g)) + ") was above 1e3*tol=" + format_number(1e3 * tol) + "; " +
                      "standardise the inputs or add weight_decay, or loosen tol";
      break;
    }
    std::vector<double> s(n), y(n);
    for (std::size_t j = 0; j < n; ++j) {
      s[j] = x_new[j] - x[j];
      y[j] = g_new[j] - g[j];
    }
    const double sy = dot(s, y);
    if (sy > 1e-12 * std::sqrt(dot(s, s) * dot(y, y))) {
      if (static_cast<int>(S.size()) == kMemory) {
        S.pop_front();
        Y.pop_front();
        rho.pop_front();
      }
      S.push_back(std::move(s));
      Y.push_back(std::move(y));
      rho.push_back(1.0 / sy);
    }
    const double change = std::fabs(f - ls.f) / std::max({std::fabs(f), std::fabs(ls.f), 1e-300});
    x.swap(x_new);
    g.swap(g_new);
    f = ls.f;
    res.history.push_back(f);
    res.n_iter = it;
    if (stop_requested(options, res, it, f)) break;
    if (options.monitor && options.monitor(it, x.data())) {
      res.converged = true;
      res.message = "";
      break;
    }
    if (options.loglik_tol > 0.0 && static_cast<int>(res.history.size()) > kLoglikWindow) {
      const double f_old = res.history[res.history.size() - 1 - kLoglikWindow];
      const double rise = options.loglik_gaussian && f > 0.0 && f_old > 0.0
                              ? 0.5 * options.loglik_rows * std::log(f_old / f)
                              : options.loglik_rows * (f_old - f);
      if (rise <= options.loglik_tol) {
        res.converged = true;
        res.message = "";
        break;
      }
    }
    flat = change < 1e-14 ? flat + 1 : 0;
    if (flat >= 5) {
      res.converged = true;
      res.message = "the objective stopped changing";
      break;
    }
  }
  // The cap's last step may itself have met the criterion.
  if (!res.converged && !res.interrupted && res.message.empty() && inf_norm(g) <= tol) res.converged = true;
  if (!res.converged && !res.interrupted && res.message.empty())
    res.message = "L-BFGS reached max_iter=" + std::to_string(max_iter) +
                  " before the largest gradient component fell below tol=" + format_number(tol) + " (it is " +
                  format_number(inf_norm(g)) + "); " + neural_fit_advice();
  std::copy(x.begin(), x.end(), w);
  res.objective = f;
  return res;
}

}  // namespace ctxstats
