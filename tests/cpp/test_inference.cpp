// Tests of the core's inference (csrc/inference/) on its own: closed forms (the covariance
// of a mean, a Wald statistic on a diagonal covariance, quantiles and percentile p-values of
// small samples), the same covariance for any thread count, and InvalidArgument for bad
// input. The numbers are held against numpy and statsmodels in tests/test_inference_core.py.
// Prints "N passed, M failed" and exits non-zero on failure.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "harness.hpp"
#include "encoders/context_basis.hpp"
#include "glm/cross_validation.hpp"
#include "glm/fit.hpp"
#include "inference/inference.hpp"
#include "common/rng.hpp"

using namespace ctxstats;
using namespace ctxstats_test;

namespace {

bool near(double a, double b, double tol) { return std::fabs(a - b) <= tol * std::max(1.0, std::fabs(b)); }

// An intercept-only gaussian model with one constant-free context column: y = b0 + b1 c + e.
Data line_data(std::size_t n) {
  Data d{n, 0, 1, {}, {}, {}, {}};
  CounterRng rng(3, Stream::kInit, 1);
  for (std::size_t i = 0; i < n; ++i) {
    const double c = rng.normal();
    d.C.push_back(c);
    d.y.push_back(1.0 + 0.5 * c + rng.normal());
    d.w.push_back(1.0);
  }
  return d;
}

void covariance_checks() {
  const Data d = line_data(1000);
  const DataView v = d.view(false);
  // Least squares by hand: b = (Z'Z)^-1 Z'y with Z = [1, c].
  double s1 = 0, sc = 0, scc = 0, sy = 0, scy = 0;
  for (std::size_t i = 0; i < d.n; ++i) {
    s1 += 1;
    sc += d.C[i];
    scc += d.C[i] * d.C[i];
    sy += d.y[i];
    scy += d.C[i] * d.y[i];
  }
  const double det = s1 * scc - sc * sc;
  const std::vector<double> b = {(scc * sy - sc * scy) / det, (s1 * scy - sc * sy) / det};
  double ssr = 0;
  for (std::size_t i = 0; i < d.n; ++i) {
    const double e = d.y[i] - b[0] - b[1] * d.C[i];
    ssr += e * e;
  }
  const double s2 = ssr / (d.n - 2.0);
  const LinearCovariance lc = linear_covariance(v, Family::kGaussian, true, b, CovType::kNonrobust, 1);
  check(lc.rank == 2 && lc.df_resid == d.n - 2.0 && lc.use_t && lc.use_f, "rank, df_resid, use_t, use_f");
  check(near(lc.scale, s2, 1e-12), "scale = SSR / (n - 2)");
  check(near(lc.cov[0], s2 * scc / det, 1e-10) && near(lc.cov[3], s2 * s1 / det, 1e-10) &&
            near(lc.cov[1], -s2 * sc / det, 1e-9) && lc.cov[1] == lc.cov[2],
        "nonrobust covariance = s^2 (Z'Z)^-1, symmetric");
  for (CovType t : {CovType::kNonrobust, CovType::kHC0, CovType::kHC1, CovType::kHC2, CovType::kHC3}) {
    const auto one = linear_covariance(v, Family::kGaussian, true, b, t, 1).cov;
    const auto three = linear_covariance(v, Family::kGaussian, true, b, t, 3).cov;
    check(one == three, "the same covariance for 1 and 3 threads: " + cov_type_name(t));
  }
  const auto hc0 = linear_covariance(v, Family::kGaussian, true, b, CovType::kHC0, 0).cov;
  const auto hc1 = linear_covariance(v, Family::kGaussian, true, b, CovType::kHC1, 0).cov;
  check(near(hc1[0], hc0[0] * d.n / (d.n - 2.0), 1e-12), "HC1 = HC0 n / (n - rank)");
  // The average effect of the intercept, b0 + b1 cbar, has variance a' V a with a = [1, cbar].
  const auto avg = average_effect_covariance(lc.cov, 1, d.C.data(), d.n, 1);
  const double cbar = sc / s1;
  check(near(avg[0], lc.cov[0] + 2 * cbar * lc.cov[1] + cbar * cbar * lc.cov[3], 1e-10), "average effect: a' V a");
  check(throws_invalid([&] { linear_covariance(v, Family::kGaussian, true, {1.0}, CovType::kHC0, 0); }),
        "wrong length of params");
  check(throws_invalid([] { parse_cov_type("HC7"); }), "unknown cov_type");
}

void wald_checks() {
  const std::vector<double> b = {1.0, 2.0, -3.0, 0.5};
  std::vector<double> V(16, 0.0);
  for (int j = 0; j < 4; ++j) V[j * 4 + j] = 0.25 * (j + 1);
  const auto t = wald_tests(b, V, {{1, 2}, {3}}, false, 10.0);
  check(near(t[0].statistic, 4.0 / 0.5 + 9.0 / 0.75, 1e-12) && t[0].df == 2 && std::isnan(t[0].df_denom),
        "chi-squared Wald statistic on a diagonal covariance");
  const auto f = wald_tests(b, V, {{1, 2}}, true, 10.0);
  check(near(f[0].statistic, (4.0 / 0.5 + 9.0 / 0.75) / 2, 1e-12) && f[0].df_denom == 10.0, "F form: / J");
  const auto r = heterogeneity_restrictions(2, 3, false), c = heterogeneity_restrictions(2, 3, true);
  check(r.size() == 2 && r[1] == std::vector<int>({5, 6, 7}), "restrictions by coefficient");
  check(c.size() == 3 && c[0] == std::vector<int>({1, 5}), "restrictions by context");
  check(throws_invalid([&] { wald_tests(b, V, {{4}}, false, 1.0); }), "restriction out of range");
}

void percentile_checks() {
  // Two columns of 5 replicates: numpy's quantile(x, 0.25) of 1..5 is 2, of 0.1 is 1.4.
  const std::vector<double> S = {3, -1, 1, 0, 5, 2, 2, 0, 4, 1};
  const PercentileSummary ps = percentile_summary(S.data(), 5, 2, 0.5);
  check(ps.lower[0] == 2.0 && ps.upper[0] == 4.0, "quartiles of 1..5");
  check(ps.lower[1] == 0.0 && ps.upper[1] == 1.0, "quartiles of -1, 0, 0, 1, 2");
  check(near(ps.se[0], std::sqrt(2.5), 1e-15), "standard deviation, ddof = 1");
  check(ps.pvalue[0] == 2.0 / 6.0 && ps.pvalue_floor == 2.0 / 6.0, "no replicate at or below 0: the floor");
  check(ps.pvalue[1] == 1.0, "p = min(1, 2 (1 + 3) / 6)");
  const auto q10 = column_quantiles(S.data(), 5, 2, 0.1);
  check(near(q10[0], 1.4, 1e-15), "interpolated quantile");
  const auto cov = replicate_covariance(S.data(), 5, 2);
  check(near(cov[0], 2.5, 1e-15) && cov[1] == cov[2], "replicate covariance");
  check(throws_invalid([&] { percentile_summary(S.data(), 5, 2, 1.0); }), "alpha outside (0, 1)");
  check(throws_invalid([&] { percentile_summary(S.data(), 0, 2, 0.1); }), "no replicates");
}

// The identifiability report: a duplicated context column and a collinear predictor are named,
// the same report for any thread count, a clear error for values whose squares overflow.
void identifiability_checks() {
  const std::size_t n = 400;
  Data d{n, 3, 3, {}, {}, {}, {}};
  CounterRng rng(5, Stream::kInit, 2);
  for (std::size_t i = 0; i < n; ++i) {
    const double c0 = rng.normal(), c1 = rng.normal(), x0 = rng.normal(), x1 = rng.normal();
    d.C.insert(d.C.end(), {c0, c1, c0});       // context column 2 duplicates column 0
    d.X.insert(d.X.end(), {x0, x1, x0 + 2 * x1});  // exog column 2 = x0 + 2 x1
    d.y.push_back(x0 + rng.normal());
    d.w.push_back(1.0);
  }
  const DataView v = d.view(false);
  const Scaling s = compute_scaling(v, Family::kGaussian, true);
  EncoderSpec e;
  e.type = "linear";
  IdentifiabilityInput in;
  in.param_names = {"Intercept", "a", "b", "ab"};
  in.exog_names = {"a", "b", "ab"};
  in.context_names = {"u", "w", "u2"};
  in.threads = 1;
  const IdentifiabilityReport r1 = identifiability_report(v, s, e, in);
  in.threads = 3;
  const IdentifiabilityReport r3 = identifiability_report(v, s, e, in);
  check(r1.representation_dim == 4 && r1.x.rank == 3 && r1.c.rank == 3 && r1.z.rank == 9,
        "ranks of [1, X] (4 columns), [1, C] (4) and the interaction design (16)");
  check(r1.c_columns.duplicated.size() == 1 && r1.c_columns.duplicated[0] == std::make_pair(2, 0),
        "the duplicated context column is named with its original");
  check(r1.x.aliased.size() == 1 && r1.x.aliased[0].column == 3 && r1.x.aliased[0].partners == std::vector<int>({1, 2}),
        "'ab' is a combination of 'a' and 'b'");
  bool same = r1.checks.size() == r3.checks.size() && r1.notes == r3.notes;
  for (std::size_t k = 0; same && k < r1.checks.size(); ++k) same = r1.checks[k].value == r3.checks[k].value;
  check(same, "the same report for 1 and 3 threads");
  Data big = d;
  for (auto& x : big.X) x *= 1e155;
  const DataView bv = big.view(false);
  // A fit refuses such data (validate_data); the report, handed them with the fit's scaling,
  // refuses them too.
  check(throws_invalid([&] { compute_scaling(bv, Family::kGaussian, true); }), "a fit refuses values near 1e155");
  check(throws_invalid([&] { identifiability_report(bv, s, e, in); }), "values near 1e155: InvalidArgument");
  in.param_names = {"Intercept"};
  check(throws_invalid([&] { identifiability_report(v, s, e, in); }), "wrong number of names");
}

}  // namespace

// This session's additions: sign p-values, prediction intervals, the cluster covariance and
// cross-validation folds, on closed forms and bad input.
void added_checks() {
  // sign_pvalues: 10 replicates, 2 of them opposite to the mean's sign -> (1 + 2) / 11.
  const std::vector<double> S = {1, -1, 2, 3, -2, 4, 5, 6, 7, 8};
  check(near(sign_pvalues(S.data(), 10, 1, 1.0)[0], 3.0 / 11.0, 1e-15), "sign p-value");
  const std::vector<double> Z = {0, 0, 0};
  check(sign_pvalues(Z.data(), 3, 1, 1.0)[0] == 1.0, "sign p-value of a zero mean is 1");
  check(throws_invalid([&] { sign_pvalues(S.data(), 10, 1, -1.0); }), "negative smoothing refused");
  // prediction intervals: binomial at eta = 0, se 1: mean 0.5, se 0.25, interval logistic(-+crit).
  const double eta = 0.0, se = 1.0;
  const PredictionIntervals p = prediction_intervals(Family::kBinomial, &eta, &se, 1, 2.0, std::nan(""), false);
  check(near(p.mean[0], 0.5, 1e-15) && near(p.se_mean[0], 0.25, 1e-15), "delta-method mean and se");
  check(near(p.lower[0], 1.0 / (1.0 + std::exp(2.0)), 1e-15), "interval mapped through the link");
  const PredictionIntervals g = prediction_intervals(Family::kGaussian, &eta, &se, 1, 2.0, 3.0, true);
  check(near(g.obs_upper[0], 4.0, 1e-15), "observation interval sqrt(se^2 + scale)");
  check(throws_invalid([&] { prediction_intervals(Family::kPoisson, &eta, &se, 1, 2.0, 1.0, false); }),
        "observation interval refused for poisson");
  // cluster covariance: one group per row equals HC0 * n/(n-1) * (n-1)/(n-k) = HC1 for n rows.
  const Data d = line_data(200);
  const DataView v = d.view(false);
  const std::vector<double> b = {1.0, 0.5};
  std::vector<long long> own(200);
  for (int i = 0; i < 200; ++i) own[i] = 1000 - i;
  const LinearCovariance cl = linear_covariance(v, Family::kGaussian, true, b, CovType::kCluster, 1, &own);
  const LinearCovariance h1 = linear_covariance(v, Family::kGaussian, true, b, CovType::kHC1, 1);
  bool same = true;
  for (std::size_t k = 0; k < cl.cov.size(); ++k) same = same && near(cl.cov[k], h1.cov[k], 1e-12);
  check(same && cl.df_denom == 199 && cl.n_groups == 200, "cluster with singleton groups is HC1");
  std::vector<long long> one(200, 7);
  check(throws_invalid([&] { linear_covariance(v, Family::kGaussian, true, b, CovType::kCluster, 1, &one); }),
        "cluster with one group refused");
  check(throws_invalid([&] { linear_covariance(v, Family::kGaussian, true, b, CovType::kCluster, 1); }),
        "cluster without groups refused");
  // cross-validation folds: balanced, seeded, every row once.
  const std::vector<int> f = cross_validation_folds(23, 5, 9), f2 = cross_validation_folds(23, 5, 9);
  std::vector<int> count(5, 0);
  for (int k : f) ++count[k];
  check(f == f2 && *std::min_element(count.begin(), count.end()) == 4 &&
            *std::max_element(count.begin(), count.end()) == 5,
        "folds balanced and seeded");
  check(throws_invalid([] { cross_validation_folds(3, 5, 0); }), "more folds than rows refused");
}

// Quasi-likelihood (binomial/poisson with dispersion "pearson"): the Pearson dispersion scales
// the family's covariance, no likelihood, and anova's F test (R's quasi families).
void quasi_checks() {
  Data d{300, 0, 1, {}, {}, {}, {}};
  CounterRng rng(5, Stream::kInit, 1);
  for (std::size_t i = 0; i < d.n; ++i) {
    const double c = rng.normal();
    d.C.push_back(c);
    d.y.push_back(std::floor(std::exp(1.0 + 0.3 * c) * 3.0 * rng.uniform()));  // overdispersed counts
    d.w.push_back(1.0);
  }
  const DataView v = d.view(false);
  const std::vector<double> b = {1.0, 0.3};
  const LinearCovariance plain = linear_covariance(v, Family::kPoisson, true, b, CovType::kNonrobust, 1);
  const LinearCovariance quasi = linear_covariance(v, Family::kPoisson, true, b, CovType::kNonrobust, 1, nullptr, true);
  double pearson = 0.0;
  std::vector<double> mu(d.n);
  for (std::size_t i = 0; i < d.n; ++i) {
    mu[i] = std::exp(b[0] + b[1] * d.C[i]);
    pearson += (d.y[i] - mu[i]) * (d.y[i] - mu[i]) / mu[i];
  }
  const double phi = pearson / (d.n - 2.0);
  check(plain.scale == 1.0 && !plain.use_t && near(quasi.scale, phi, 1e-12) && quasi.use_t && quasi.use_f,
        "quasi scale = Pearson chi2 / df_resid, t and F");
  bool scaled = true;
  for (std::size_t k = 0; k < plain.cov.size(); ++k) scaled = scaled && near(quasi.cov[k], phi * plain.cov[k], 1e-12);
  check(scaled, "quasi covariance = dispersion x the family's");
  const auto hc = linear_covariance(v, Family::kPoisson, true, b, CovType::kHC0, 1, nullptr, true).cov;
  check(hc == linear_covariance(v, Family::kPoisson, true, b, CovType::kHC0, 1).cov, "sandwich free of dispersion");
  check(throws_invalid([&] { linear_covariance(v, Family::kGaussian, true, b, CovType::kNonrobust, 1, nullptr, true); }),
        "quasi gaussian refused");
  const FitStatistics fs = fit_statistics(Family::kPoisson, d.y.data(), mu.data(), nullptr, d.n, true, true);
  check(std::isnan(fs.loglik) && near(fs.pearson_chi2, pearson, 1e-12), "quasi: no likelihood, Pearson chi2");
  check(near(dispersion(Family::kPoisson, pearson, d.n - 2.0, true), phi, 1e-15) &&
            dispersion(Family::kPoisson, pearson, d.n - 2.0) == 1.0,
        "dispersion of quasi and plain poisson");
  const NestedTest t = nested_test(Family::kPoisson, 130.0, 98.0, 100.0, 96.0, 100.0, 96.0, 2.5);
  check(t.use_f && near(t.statistic, (30.0 / 2.0) / 2.5, 1e-15) && t.df_denom == 96.0, "quasi F test");
  check(throws_invalid([] { nested_test(Family::kPoisson, 130.0, 98.0, 100.0, 96.0, 100.0, 96.0, -1.0); }),
        "non-positive dispersion refused");
}

// Rows split into partitions (ctxstats.dask): the covariance from the partitions' sums and
// the spline basis placed from their summaries equal the all-rows computations up to rounding.
void partition_checks() {
  Data d{900, 1, 2, {}, {}, {}, {}};
  CounterRng rng(11, Stream::kInit, 1);
  std::vector<long long> groups(d.n);
  for (std::size_t i = 0; i < d.n; ++i) {
    const double c0 = rng.normal(), c1 = rng.uniform(), x = rng.normal();
    d.C.insert(d.C.end(), {c0, c1});
    d.X.push_back(x);
    d.y.push_back(1.0 + x * (0.5 + c0) + 0.3 * c1 + (0.5 + c1) * rng.normal());
    d.w.push_back(0.5 + rng.uniform());
    groups[i] = static_cast<long long>(i % 37) * 3 + 5;  // every group in every partition
  }
  const DataView all = d.view(true);
  const Scaling s = compute_scaling(all, Family::kGaussian, true);
  const std::vector<double> b = {0.9, 0.1, 0.2, 0.6, 1.1, 0.0};
  const std::size_t cuts[] = {0, 250, 251, 640, 900};  // uneven, one of a single row
  auto part = [&](int k) {
    DataView v = all;
    v.n = cuts[k + 1] - cuts[k];
    v.C += cuts[k] * 2;
    v.X += cuts[k];
    v.y += cuts[k];
    v.weights += cuts[k];
    return v;
  };
  for (CovType t : {CovType::kNonrobust, CovType::kHC1, CovType::kHC3, CovType::kCluster}) {
    const bool cl = t == CovType::kCluster;
    const LinearCovariance whole = linear_covariance(all, Family::kGaussian, true, b, t, 2, cl ? &groups : nullptr);
    const LinearCovariance split = linear_covariance_passes(Family::kGaussian, s, t, false,
                                                            [&](const Eigen::MatrixXd* bread_inverse) {
      CovarianceSums total;
      for (int k = 0; k < 4; ++k) {
        const std::vector<long long> g(groups.begin() + cuts[k], groups.begin() + cuts[k + 1]);
        const CovarianceSums c = covariance_sums(part(k), Family::kGaussian, s, b, t, 1, cl ? &g : nullptr,
                                                 bread_inverse);
        if (k == 0) total = c; else add_covariance_sums(&total, c);
      }
      return total;
    });
    bool same = whole.rank == split.rank && whole.n_groups == split.n_groups && near(whole.scale, split.scale, 1e-12);
    for (std::size_t k = 0; k < whole.cov.size(); ++k) same = same && near(split.cov[k], whole.cov[k], 1e-11);
    check(same, "covariance from partition sums = all rows (" + cov_type_name(t) + ")");
  }
  EncoderSpec spec = default_fit_options().encoder;
  spec.type = "spline";
  spec.n_knots = 7;
  spec.interactions = {{0, 1}};
  const EncoderSpec direct = prepare_spline_spec(all, s, spec, 2);
  SplineColumnSummary summary;
  for (int k = 0; k < 4; ++k) {
    const SplineColumnSummary p = spline_column_summary(part(k), s, spec);
    if (k == 0) summary = p; else add_spline_column_summary(&summary, p, spec, 2);
  }
  EncoderSpec placed = spline_spec_from_summary(spec, 2, summary, {"u", "v"});
  std::vector<double> sums;
  for (int k = 0; k < 4; ++k) {
    const std::vector<double> p = spline_centre_sums(part(k), s, placed, 1);
    if (k == 0) sums = p; else for (std::size_t j = 0; j < p.size(); ++j) sums[j] += p[j];
  }
  placed = spline_spec_with_centres(placed, 2, sums);
  bool same = placed.knots.size() == direct.knots.size() && placed.centres.size() == direct.centres.size();
  for (std::size_t j = 0; same && j < placed.knots.size(); ++j) same = placed.knots[j] == direct.knots[j];
  for (std::size_t j = 0; same && j < placed.centres.size(); ++j) same = near(placed.centres[j], direct.centres[j], 1e-14);
  check(same, "spline knots (bitwise) and centres from partition summaries = all rows");
  spec.knot_spacing = "quantile";
  check(throws_invalid([&] { spline_spec_from_summary(spec, 2, summary, {"u", "v"}); }),
        "quantile knots refused for partitions");
}

int main() {
  covariance_checks();
  partition_checks();
  quasi_checks();
  wald_checks();
  percentile_checks();
  identifiability_checks();
  added_checks();
  return report();
}
