// The shrinkage targets of the local GLMs: the linear varying-coefficient GLM fitted on the
// training rows, and its map from a context to parameters in user units (see
// personalized.hpp, personalized_linear_target).
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "common/error.hpp"
#include "personalized/personalized.hpp"

namespace ctxstats {

namespace {

// A design column of the context: numeric (c_k - mean) / sd, or 1{c_k == code}.
struct Term {
  int col;
  bool categorical;
  double code, mean, sd;
  double at(const double* c) const { return categorical ? (c[col] == code ? 1.0 : 0.0) : (c[col] - mean) / sd; }
};

}  // namespace

LinearTarget personalized_linear_target(const DataView& data, const Scaling& scaling, Family family,
                                        const std::vector<char>& role, const std::vector<int>& categorical,
                                        const std::vector<double>& theta_pop) {
  const std::size_t n = data.n;
  const int m = data.m, q = scaling.q();
  require(role.size() == n && static_cast<int>(theta_pop.size()) == q, "linear target: role or theta_pop malformed");
  std::vector<double> X(n * q), y(n), s(n), Cs(static_cast<std::size_t>(kBlockRows) * m);
  for (std::size_t start = 0; start < n; start += kBlockRows) {
    const int rows = static_cast<int>(std::min<std::size_t>(kBlockRows, n - start));
    load_rows(data, scaling, nullptr, start, rows, Cs.data(), X.data() + start * q, y.data() + start, s.data() + start);
  }
  std::vector<std::size_t> train;
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i)
    if (!role[i] && s[i] > 0.0) {
      train.push_back(i);
      total += s[i];
    }
  require(total > 0.0, "the training rows have zero total weight");

  // The design: every numeric column with spread, standardised over the training rows; every
  // categorical column with 2 to kMaxTargetLevels levels among them as indicators of its levels
  // but the most frequent (ties: the smallest code).
  std::vector<Term> terms;
  for (int k = 0; k < m; ++k) {
    const bool cat = !categorical.empty() && categorical[k];
    if (cat) {
      std::map<double, double> count;
      for (std::size_t i : train) count[data.C[i * m + k]] += s[i];
      if (count.size() < 2 || count.size() > static_cast<std::size_t>(kMaxTargetLevels)) continue;
      double ref = count.begin()->first, most = -1.0;
      for (const auto& [code, c] : count)
        if (c > most) {
          most = c;
          ref = code;
        }
      for (const auto& [code, c] : count)
        if (code != ref) terms.push_back({k, true, code, 0.0, 1.0});
    } else {
      double mean = 0.0, ss = 0.0;
      for (std::size_t i : train) mean += s[i] * data.C[i * m + k];
      mean /= total;
      for (std::size_t i : train) ss += s[i] * (data.C[i * m + k] - mean) * (data.C[i * m + k] - mean);
      const double sd = std::sqrt(ss / total);
      if (sd > 0.0 && std::isfinite(sd)) terms.push_back({k, false, 0.0, mean, sd});
    }
  }
  const int D1 = 1 + static_cast<int>(terms.size()), P = q * D1;
  // z_i = x_i (x) d_i, parameter b[c * D1 + e] for x_c d_e.
  auto design = [&](std::size_t i, double* d) {
    d[0] = 1.0;
    for (int e = 1; e < D1; ++e) d[e] = terms[e - 1].at(data.C + i * m);
  };
  Eigen::VectorXd b = Eigen::VectorXd::Zero(P);
  for (int c = 0; c < q; ++c) b[c * D1] = theta_pop[c];
  // Ridge 1/2 ||b||^2 on the context terms (about one observation's worth, as in the local
  // GLMs); the population part is free.
  Eigen::VectorXd ridge = Eigen::VectorXd::Ones(P);
  for (int c = 0; c < q; ++c) ridge[c * D1] = 0.0;
  std::vector<double> d(D1);
  Eigen::VectorXd z(P);
  auto pass = [&](const Eigen::VectorXd& beta, Eigen::MatrixXd* H, Eigen::VectorXd* g) {
    double f = 0.5 * beta.dot(ridge.cwiseProduct(beta));
    if (H) {
      H->setZero(P, P);
      *g = ridge.cwiseProduct(beta);
    }
    for (std::size_t i : train) {
      design(i, d.data());
      for (int c = 0; c < q; ++c)
        for (int e = 0; e < D1; ++e) z[c * D1 + e] = X[i * q + c] * d[e];
      const double eta = z.dot(beta);
      f += s[i] * loss(family, y[i], eta);
      if (H) {
        *g += (s[i] * dloss(family, y[i], eta)) * z;
        H->selfadjointView<Eigen::Lower>().rankUpdate(z, s[i] * variance(family, eta));
      }
    }
    if (H) *H = H->selfadjointView<Eigen::Lower>();
    return f;
  };
  LinearTarget out;
  Eigen::MatrixXd H;
  Eigen::VectorXd g;
  double f = pass(b, &H, &g);
  for (int it = 0; it < 100 && std::isfinite(f); ++it) {
    // H + a tiny ridge: a predictor constant within the data leaves the population part singular.
    Eigen::MatrixXd Hr = H;
    Hr.diagonal().array() += 1e-10 * (1.0 + H.diagonal().cwiseAbs().maxCoeff());
    const Eigen::VectorXd step = Hr.ldlt().solve(g);
    const double decrement = g.dot(step);
    if (!(decrement > 1e-12 * (1.0 + std::fabs(f)))) {
      out.converged = std::isfinite(decrement);
      break;
    }
    bool moved = false;
    double t = 1.0;
    for (int h = 0; h < 40; ++h, t *= 0.5) {
      const Eigen::VectorXd cand = b - t * step;
      const double fc = pass(cand, nullptr, nullptr);
      if (std::isfinite(fc) && fc <= f) {
        b = cand;
        moved = true;
        break;
      }
    }
    if (!moved) break;
    f = pass(b, &H, &g);
  }
  out.finite = std::isfinite(f) && b.allFinite();
  if (!out.finite) return out;

  // Every row's parameters (internal scale).
  out.theta.assign(n * q, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    design(i, d.data());
    for (int c = 0; c < q; ++c) {
      double t = 0.0;
      for (int e = 0; e < D1; ++e) t += b[c * D1 + e] * d[e];
      out.theta[i * q + c] = t;
    }
  }
  // The map in user units: theta_to_original is affine, T(t) = A t + a0; the constant term
  // is T(v_0) - sum over numeric terms of A v_e mean / sd, a numeric term's coefficient
  // A v_e / sd, an indicator's A v_e.
  std::vector<double> zero(q, 0.0), v(q);
  theta_to_original(scaling, zero.data(), 1);
  const int width = 2 + q;
  out.map.assign(static_cast<std::size_t>(D1) * width, 0.0);
  double* constant = out.map.data();
  constant[0] = -1.0;
  for (int c = 0; c < q; ++c) v[c] = b[c * D1];
  theta_to_original(scaling, v.data(), 1);
  std::copy(v.begin(), v.end(), constant + 2);
  for (int e = 1; e < D1; ++e) {
    const Term& t = terms[e - 1];
    for (int c = 0; c < q; ++c) v[c] = b[c * D1 + e];
    theta_to_original(scaling, v.data(), 1);
    double* row = out.map.data() + static_cast<std::size_t>(e) * width;
    row[0] = t.col;
    row[1] = t.categorical ? t.code : 0.0;
    for (int c = 0; c < q; ++c) {
      const double av = v[c] - zero[c];
      row[2 + c] = av / t.sd;
      constant[2 + c] -= av * t.mean / t.sd;
    }
  }
  return out;
}

std::vector<double> target_map_eval(const std::vector<double>& map, int q, const double* C, std::size_t rows, int m,
                                    const std::vector<int>& categorical) {
  const std::size_t width = static_cast<std::size_t>(q) + 2;
  require(q >= 1 && map.size() % width == 0, "the target map must have 2 + q columns (q = " + std::to_string(q) + ")");
  require(categorical.empty() || static_cast<int>(categorical.size()) == m,
          "categorical must have one flag per context column");
  const std::size_t terms = map.size() / width;
  for (std::size_t e = 0; e < terms; ++e) {
    const double* row = map.data() + e * width;
    for (std::size_t c = 0; c < width; ++c)
      require(std::isfinite(row[c]), "the target map has a non-finite entry in term " + std::to_string(e));
    require(row[0] == std::floor(row[0]) && row[0] >= -1.0 && row[0] < m,
            "the target map's term " + std::to_string(e) + " names no context column (0.." + std::to_string(m - 1) +
                ", or -1 for the constant)");
  }
  std::vector<double> out(rows * q, 0.0);
  for (std::size_t r = 0; r < rows; ++r) {
    const double* c = C + r * m;
    double* t = out.data() + r * q;
    for (std::size_t e = 0; e < terms; ++e) {
      const double* row = map.data() + e * width;
      const int col = static_cast<int>(row[0]);
      double value = 1.0;
      if (col >= 0) {
        const bool cat = !categorical.empty() && categorical[col];
        value = cat ? (c[col] == row[1] ? 1.0 : 0.0) : c[col];
      }
      if (value != 0.0)
        for (int k = 0; k < q; ++k) t[k] += value * row[2 + k];
    }
  }
  return out;
}

}  // namespace ctxstats
