#include "inference/identifiability_report.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <tuple>

#include "common/error.hpp"
#include "inference/design_grams.hpp"

namespace ctxstats {

namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

constexpr int kQrBlockRows = 4096;

// printf-style formatting of one number ("%.3g" and friends give what Python's format does).
std::string fmt(const char* spec, double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

std::string join_quoted(const std::vector<std::string>& names, const std::vector<int>& idx) {
  std::string out;
  for (std::size_t k = 0; k < idx.size(); ++k) out += (k ? ", " : "") + quoted(names[idx[k]]);
  return out;
}

MatrixXd square(const std::vector<double>& v, int k) {
  MatrixXd G(k, k);
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) G(i, j) = v[static_cast<std::size_t>(i) * k + j];
  return G;
}

// Rank, condition number and aliased columns from an R factor (D columns).
DesignDiagnosis diagnose_r(MatrixXd R) {
  const int D = static_cast<int>(R.cols());
  if (R.rows() < D) {
    MatrixXd padded = MatrixXd::Zero(D, D);
    padded.topRows(R.rows()) = R;
    R = padded;
  }
  R.conservativeResize(D, D);
  DesignDiagnosis out;
  out.columns = D;
  std::vector<bool> zero(D), aliased(D);
  std::vector<int> nonzero;
  for (int j = 0; j < D; ++j) {
    const double nrm = R.col(j).norm();
    zero[j] = !(nrm > 1e-300);
    if (!zero[j]) {
      R.col(j) /= nrm;
      nonzero.push_back(j);
    }
    aliased[j] = zero[j] || std::fabs(R(j, j)) < kAliasTol;
  }
  if (nonzero.empty()) {
    out.condition_number = std::numeric_limits<double>::infinity();
  } else {
    MatrixXd Rn(D, nonzero.size());
    for (std::size_t k = 0; k < nonzero.size(); ++k) Rn.col(k) = R.col(nonzero[k]);
    const VectorXd sv = Eigen::JacobiSVD<MatrixXd>(Rn).singularValues();
    const double smin = sv(sv.size() - 1);
    out.condition_number = smin > 0 ? sv(0) / smin : std::numeric_limits<double>::infinity();
  }
  std::vector<int> kept;
  for (int j = 0; j < D; ++j) {
    if (!aliased[j]) {
      kept.push_back(j);
      continue;
    }
    AliasedColumn a;
    a.column = j;
    if (!zero[j] && !kept.empty()) {
      MatrixXd P(D, kept.size());
      for (std::size_t k = 0; k < kept.size(); ++k) P.col(k) = R.col(kept[k]);
      const VectorXd coef = P.colPivHouseholderQr().solve(R.col(j));
      const double big = 1e-6 * std::max(1.0, coef.cwiseAbs().maxCoeff());
      for (std::size_t k = 0; k < kept.size(); ++k)
        if (std::fabs(coef(k)) > big) a.partners.push_back(kept[k]);
    }
    out.aliased.push_back(std::move(a));
  }
  out.rank = D - static_cast<int>(out.aliased.size());
  return out;
}

// `rows(start, count, out)` fills out (count x D) with rows of the standardised design.
using RowMaker = std::function<void(std::size_t, int, MatrixXd&)>;

// The Gram matrix settles a well-conditioned design; otherwise the rows are formed block by
// block into a TSQR factor.
DesignDiagnosis diagnose(const MatrixXd& G, std::size_t n, const RowMaker& rows) {
  const int D = static_cast<int>(G.rows());
  const VectorXd norms = G.diagonal().cwiseSqrt();
  if (D > 0 && (norms.array() > 0).all()) {
    const MatrixXd Gn = G.array() / (norms * norms.transpose()).array();
    const VectorXd ev = Eigen::SelfAdjointEigenSolver<MatrixXd>(Gn, Eigen::EigenvaluesOnly).eigenvalues();
    if (ev(0) > 0) {
      const double cond = std::sqrt(ev(D - 1) / ev(0));
      if (cond < kGramFastCond) {
        DesignDiagnosis out;
        out.columns = out.rank = D;
        out.condition_number = cond;
        return out;
      }
    }
  }
  MatrixXd R(0, D), Z, stacked;
  for (std::size_t start = 0; start < n; start += kQrBlockRows) {
    const int count = static_cast<int>(std::min<std::size_t>(kQrBlockRows, n - start));
    Z.resize(count, D);
    rows(start, count, Z);
    stacked.resize(R.rows() + count, D);
    stacked << R, Z;
    Eigen::HouseholderQR<MatrixXd> qr(stacked);
    const int k = static_cast<int>(std::min<Eigen::Index>(stacked.rows(), D));
    R = qr.matrixQR().topRows(k).triangularView<Eigen::Upper>();
  }
  return diagnose_r(R);
}

// Constant columns and duplicated pairs of a row-major n x cols array. Equal columns have
// bitwise equal minimum, maximum, mean and scale; only those are compared element by element.
ColumnChecks constant_and_duplicate(const double* A, std::size_t n, int cols, const std::vector<double>& lo,
                                    const std::vector<double>& hi, const std::vector<double>& mean,
                                    const std::vector<double>& scale) {
  ColumnChecks out;
  std::map<std::tuple<double, double, double, double>, std::vector<int>> seen;
  for (int j = 0; j < cols; ++j) {
    if (lo[j] == hi[j]) out.constant.push_back(j);
    auto& earlier = seen[{lo[j], hi[j], mean[j], scale[j]}];
    int match = -1;
    for (int i : earlier) {
      bool equal = true;
      for (std::size_t r = 0; r < n && equal; ++r) equal = A[r * cols + i] == A[r * cols + j];
      if (equal) {
        match = i;
        break;
      }
    }
    if (match < 0)
      earlier.push_back(j);
    else
      out.duplicated.emplace_back(j, match);
  }
  return out;
}

void add_column_findings(std::vector<IdentifiabilityFinding>& out, const std::string& design, const ColumnChecks& c,
                         const std::vector<std::string>& names) {
  for (int j : c.constant) out.push_back({design, "constant", names[j], {}});
  for (const auto& d : c.duplicated) out.push_back({design, "duplicated", names[d.first], {names[d.second]}});
}

void add_alias_findings(std::vector<IdentifiabilityFinding>& out, const std::string& design, const DesignDiagnosis& d,
                        const std::vector<std::string>& names) {
  for (const auto& a : d.aliased) {
    IdentifiabilityFinding f{design, "aliased", names[a.column], {}};
    for (int k : a.partners) f.with.push_back(names[k]);
    out.push_back(std::move(f));
  }
}

std::string alias_sentence(const std::string& what, const DesignDiagnosis& d, const std::vector<std::string>& names) {
  std::string out = what + " is rank deficient: ";
  for (std::size_t k = 0; k < d.aliased.size(); ++k) {
    const AliasedColumn& a = d.aliased[k];
    out += k ? "; " : "";
    if (a.partners.empty())
      out += quoted(names[a.column]) + " is identically zero after standardisation (a constant column)";
    else
      out += quoted(names[a.column]) + " is a linear combination of " + join_quoted(names, a.partners);
  }
  return out + ".";
}

std::string duplicate_sentence(const std::string& what, const ColumnChecks& c, const std::vector<std::string>& names) {
  std::string out = "Duplicated " + what + " column(s): ";
  for (std::size_t k = 0; k < c.duplicated.size(); ++k)
    out += (k ? "; " : "") + quoted(names[c.duplicated[k].first]) + " equals " + quoted(names[c.duplicated[k].second]);
  return out + ".";
}

// A column whose standardised square overflows cannot be checked (nor fitted) in double
// precision: say which.
void check_standardisable(const double* A, std::size_t n, int cols, const std::vector<double>& mean,
                          const std::vector<double>& scale, const std::vector<std::string>& names, const char* what) {
  for (int j = 0; j < cols; ++j) {
    double biggest = 0.0, ss = 0.0;
    for (std::size_t r = 0; r < n; ++r) {
      const double z = (A[r * cols + j] - mean[j]) / scale[j];
      biggest = std::max(biggest, std::fabs(A[r * cols + j]));
      ss += z * z;
    }
    require(std::isfinite(ss) && std::isfinite(mean[j]),
            std::string(what) + " column " + quoted(names[j]) + " has values too large in magnitude (up to " +
                fmt("%.3g", biggest) +
                ") to standardise in double precision (their squares overflow): rescale it, e.g. divide by 1e100");
  }
}

}  // namespace

int representation_dim(const EncoderSpec& e, int m) {
  if (e.archetypes > 0) return e.archetypes;
  if (e.type == "spline") {
    const int kt = e.interaction_knots - 1;
    return 1 + m * (e.n_knots - 1) + static_cast<int>(e.interactions.size()) * kt * kt;
  }
  if (e.type == "linear" || e.depth == 0) return m + 1;
  const int skip = e.linear_skip ? m : 0;  // the linear skip path's features c
  if (e.type == "mlp") return e.width + 1 + skip;
  return m * e.width + 1 + skip;  // ngam
}

IdentifiabilityReport identifiability_report(const DataView& data, const Scaling& scaling, const EncoderSpec& encoder,
                                             const IdentifiabilityInput& in) {
  const int m = data.m, p = data.p, q = scaling.q(), off = scaling.intercept ? 1 : 0, m1 = m + 1;
  const std::size_t n = data.n;
  require(n > 0, "the data have zero rows");
  require(static_cast<int>(scaling.c_mean.size()) == m && static_cast<int>(scaling.x_mean.size()) == p,
          "the scaling does not match the columns of context and exog");
  require(static_cast<int>(in.param_names.size()) == q, "param_names must have one name per parameter");
  require(static_cast<int>(in.exog_names.size()) == p, "exog_names must have one name per exog column");
  require(static_cast<int>(in.context_names.size()) == m, "context_names must have one name per context column");
  require(in.sign_flip_share.empty() || static_cast<int>(in.sign_flip_share.size()) == q,
          "sign_flips must have one share per parameter");
  require(in.sign_determined.empty() || in.sign_determined.size() == in.sign_flip_share.size(),
          "sign_determined must have one entry per parameter");
  check_standardisable(data.X, n, p, scaling.x_mean, scaling.x_scale, in.exog_names, "exog");
  check_standardisable(data.C, n, m, scaling.c_mean, scaling.c_scale, in.context_names, "context");

  IdentifiabilityReport rep;
  auto add = [&rep](std::string check, double value, double threshold, bool passed, const std::string& note) {
    rep.checks.push_back({std::move(check), value, threshold, passed});
    if (!passed) rep.notes.push_back(note);
  };
  const double nd = static_cast<double>(n);

  // counting heuristic
  const int dg = representation_dim(encoder, m), ds = q;
  const double dgds = static_cast<double>(dg) * ds;
  rep.representation_dim = dg;
  add("n > d_g*d_s (d_g=" + std::to_string(dg) + ", d_s=" + std::to_string(ds) + ")", nd, dgds, nd > dgds,
      "The counting heuristic fails: " + std::to_string(n) + " observations for a model that is, given the encoder's " +
          std::to_string(dg) + "-dimensional representation of context, a GLM with d_g*d_s = " + fmt("%.0f", dgds) +
          " coefficients; use a smaller encoder (width, archetypes), fewer predictors, or more data.");

  const int K = encoder.archetypes;
  const bool interaction = encoder.type == "linear" && K == 0;
  const DesignGrams g = design_grams(data, scaling, interaction, in.threads);

  // Rows of the standardised designs, for the QR diagnosis (constant columns exactly zero when centred).
  auto xs = [&](std::size_t i, int j) {
    if (off && g.x_min[j] == g.x_max[j]) return 0.0;
    return (data.X[i * p + j] - scaling.x_mean[j]) / scaling.x_scale[j];
  };
  auto cs = [&](std::size_t i, int l) {
    if (g.c_min[l] == g.c_max[l]) return 0.0;
    return (data.C[i * m + l] - scaling.c_mean[l]) / scaling.c_scale[l];
  };
  auto xt = [&](std::size_t i, int k) { return off ? (k == 0 ? 1.0 : xs(i, k - 1)) : xs(i, k); };
  auto ct = [&](std::size_t i, int l) { return l == 0 ? 1.0 : cs(i, l - 1); };

  // predictors
  rep.x_columns = constant_and_duplicate(data.X, n, p, g.x_min, g.x_max, scaling.x_mean, scaling.x_scale);
  const auto& cx = rep.x_columns;
  add_column_findings(rep.findings, "exog", cx, in.exog_names);
  add("constant exog columns", off ? static_cast<double>(cx.constant.size()) : 0.0, 0.0, !(off && !cx.constant.empty()),
      "exog column(s) " + join_quoted(in.exog_names, cx.constant) + " are constant and aliased with the intercept.");
  add("duplicated exog columns", static_cast<double>(cx.duplicated.size()), 0.0, cx.duplicated.empty(),
      duplicate_sentence("exog", cx, in.exog_names));
  if (q) {
    rep.x = diagnose(square(g.gx, q), n, [&](std::size_t s, int count, MatrixXd& Z) {
      for (int r = 0; r < count; ++r)
        for (int k = 0; k < q; ++k) Z(r, k) = xt(s + r, k);
    });
    const std::string what = off ? "The predictor matrix [1, X]" : "The predictor matrix X";
    add_alias_findings(rep.findings, off ? "[1, X]" : "X", rep.x, in.param_names);
    add(off ? "rank of [1, X]" : "rank of X", rep.x.rank, q, rep.x.rank == q,
        alias_sentence(what, rep.x, in.param_names));
    add("condition number of X (standardised)", rep.x.condition_number, kConditionLimit,
        rep.x.rank < q || rep.x.condition_number <= kConditionLimit,
        "The predictors are nearly collinear (condition number " + fmt("%.3g", rep.x.condition_number) + " > " +
            fmt("%g", kConditionLimit) + ").");
  }

  // context
  rep.c_columns = constant_and_duplicate(data.C, n, m, g.c_min, g.c_max, scaling.c_mean, scaling.c_scale);
  const auto& cc = rep.c_columns;
  add_column_findings(rep.findings, "context", cc, in.context_names);
  add("constant context columns", static_cast<double>(cc.constant.size()), 0.0, cc.constant.empty(),
      "context column(s) " + join_quoted(in.context_names, cc.constant) +
          " are constant: they carry no information and are aliased with the encoder's bias.");
  add("duplicated context columns", static_cast<double>(cc.duplicated.size()), 0.0, cc.duplicated.empty(),
      duplicate_sentence("context", cc, in.context_names));
  std::vector<std::string> cnames1{"1"};
  cnames1.insert(cnames1.end(), in.context_names.begin(), in.context_names.end());
  rep.c = diagnose(square(g.gc, m1), n, [&](std::size_t s, int count, MatrixXd& Z) {
    for (int r = 0; r < count; ++r)
      for (int l = 0; l < m1; ++l) Z(r, l) = ct(s + r, l);
  });
  add_alias_findings(rep.findings, "[1, C]", rep.c, cnames1);
  add("rank of [1, C]", rep.c.rank, m1, rep.c.rank == m1, alias_sentence("The context matrix [1, C]", rep.c, cnames1));
  add("condition number of C (standardised)", rep.c.condition_number, kConditionLimit,
      rep.c.rank < m1 || rep.c.condition_number <= kConditionLimit,
      "The context features are nearly collinear (condition number " + fmt("%.3g", rep.c.condition_number) + " > " +
          fmt("%g", kConditionLimit) + ").");

  // interaction design (linear encoder)
  if (interaction) {
    const int D = q * m1;
    std::vector<std::string> inames;
    for (const auto& k : in.param_names) {
      inames.push_back(k);
      for (const auto& c : in.context_names) inames.push_back(k == "Intercept" ? c : k + ":" + c);
    }
    rep.z = diagnose(square(g.gz, D), n, [&](std::size_t s, int count, MatrixXd& Z) {
      for (int r = 0; r < count; ++r)
        for (int k = 0; k < q; ++k) {
          const double x = xt(s + r, k);
          for (int l = 0; l < m1; ++l) Z(r, k * m1 + l) = x * ct(s + r, l);
        }
    });
    add_alias_findings(rep.findings, "interaction design", rep.z, inames);
    add("rank of interaction design", rep.z.rank, D, rep.z.rank == D,
        alias_sentence("The interaction design [1, x] (x) [1, c]", rep.z, inames));
    add("condition number of interaction design", rep.z.condition_number, kConditionLimit,
        rep.z.rank < D || rep.z.condition_number <= kConditionLimit,
        "The interaction design is nearly collinear (condition number " + fmt("%.3g", rep.z.condition_number) +
            " > " + fmt("%g", kConditionLimit) + ").");
  }

  // archetypes
  if (K > 0) {
    const std::string s1 = std::to_string(ds + 1);
    add("archetypes K <= d_s + 1", K, ds + 1, K <= ds + 1,
        std::to_string(K) + " archetypes in a " + std::to_string(ds) +
            "-dimensional parameter space cannot be affinely independent (at most " + s1 +
            "), so the mixture weights are not unique; use archetypes <= " + s1 + ".");
    const std::size_t size = static_cast<std::size_t>(K) * ds;
    if (!in.weights.empty() && K <= ds + 1) {
      require(in.weights.size() >= size, "the weights are too short for the archetypes");
      const double* A = in.weights.data() + (in.weights.size() - size);
      MatrixXd diffs(K - 1, ds);
      for (int a = 1; a < K; ++a)
        for (int j = 0; j < ds; ++j) diffs(a - 1, j) = A[a * ds + j] - A[j];
      int arank = 0;
      if (K > 1 && ds > 0) {
        const VectorXd sv = Eigen::JacobiSVD<MatrixXd>(diffs).singularValues();
        const double tol = 1e-8 * std::max(sv.size() ? sv.maxCoeff() : 0.0, 1e-300);
        arank = static_cast<int>((sv.array() > tol).count());
      }
      rep.archetype_rank = arank;
      add("rank of fitted archetype differences", arank, K - 1, arank == K - 1,
          "The fitted archetypes span only " + std::to_string(arank + 1) + " affinely independent points of " +
              std::to_string(K) +
              ": some archetypes are mixtures of others, so their weights are not identified.");
    }
  }

  // stability across bootstrap replicates
  for (std::size_t k = 0; k < in.sign_flip_share.size(); ++k) {
    const double flip = in.sign_flip_share[k];
    const bool det = in.sign_determined.empty() || in.sign_determined[k];
    add("sign flips across replicates: " + in.param_names[k], flip, kSignFlipLimit, !det || flip <= kSignFlipLimit,
        "The average effect of " + quoted(in.param_names[k]) +
            " is significant (its 95% bootstrap interval excludes zero), but its per-sample sign is unstable: for " +
            fmt("%.0f", 100 * flip) + "% of the samples it differs from the fit's in more than " +
            fmt("%.0f", 100 * kFlipRate) +
            "% of the bootstrap replicates. The data determine the sign of the average effect, not of each "
            "sample's coefficient: report the average effect, or use a smaller encoder or more data before "
            "reading per-sample signs.");
  }
  return rep;
}

// ---- the spline encoder ---------------------------------------------------------------------

namespace {

MatrixXd block(const MatrixXd& M, const std::vector<int>& rows, const std::vector<int>& cols) {
  MatrixXd out(rows.size(), cols.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < cols.size(); ++j) out(i, j) = M(rows[i], cols[j]);
  return out;
}

// Numerical rank of a symmetric matrix: eigenvalues above 1e-10 of the largest.
int symmetric_rank(const MatrixXd& A) {
  if (A.rows() == 0) return 0;
  const MatrixXd S = (A + A.transpose()) / 2;
  const VectorXd ev = Eigen::SelfAdjointEigenSolver<MatrixXd>(S, Eigen::EigenvaluesOnly).eigenvalues();
  const double tol = std::max(ev.maxCoeff(), 0.0) * 1e-10;
  return static_cast<int>((ev.array() > tol).count());
}

// Pseudo-inverse of a symmetric matrix, eigenvalues below rcond times the largest |ev| dropped.
MatrixXd pinv_symmetric(const MatrixXd& A, double rcond) {
  if (A.rows() == 0) return A;
  Eigen::SelfAdjointEigenSolver<MatrixXd> es((A + A.transpose()) / 2);
  const VectorXd& ev = es.eigenvalues();
  const double tol = rcond * ev.cwiseAbs().maxCoeff();
  MatrixXd out = MatrixXd::Zero(A.rows(), A.cols());
  for (Eigen::Index k = 0; k < ev.size(); ++k)
    if (std::fabs(ev(k)) > tol) out += es.eigenvectors().col(k) * es.eigenvectors().col(k).transpose() / ev(k);
  return out;
}

}  // namespace

SplineIdentifiability spline_identifiability(const SmoothingReport& report, const std::vector<SplineTermBlock>& terms,
                                             int nb, const std::vector<double>& weights) {
  require(nb > 0 && report.gram.size() == static_cast<std::size_t>(nb) * nb,
          "the smoothing report's gram must be basis size x basis size");
  const int D = static_cast<int>(std::lround(std::sqrt(static_cast<double>(report.H.size()))));
  require(static_cast<std::size_t>(D) * D == report.H.size() && report.Vp.size() == report.H.size(),
          "the smoothing report's H and Vp must be square and of the same size");
  require(weights.size() % nb == 0, "the weights must be q x basis size");
  const int q = static_cast<int>(weights.size() / nb);
  for (const auto& t : terms)
    require(t.offset >= 0 && t.size > 0 && t.offset + t.size <= nb, "a spline term lies outside the basis");
  const MatrixXd M = square(report.gram, nb), H = square(report.H, D), Vp = square(report.Vp, D);
  require(M.allFinite() && H.allFinite() && Vp.allFinite(), "the smoothing report has non-finite entries");

  SplineIdentifiability out;
  out.basis_size = nb;
  out.basis_rank = symmetric_rank(M);
  out.design_size = D;
  out.design_rank = symmetric_rank(H);
  if (D > 0) {
    const VectorXd ev =
        Eigen::SelfAdjointEigenSolver<MatrixXd>((Vp + Vp.transpose()) / 2, Eigen::EigenvaluesOnly).eigenvalues();
    out.condition_number = ev(0) > 0 ? ev(D - 1) / ev(0) : std::numeric_limits<double>::infinity();
  }
  const double mmax = std::max(1.0, M.cwiseAbs().maxCoeff());
  std::vector<std::string> deficient, high;
  for (std::size_t t = 0; t < terms.size(); ++t) {
    std::vector<int> I, R;
    for (int j = 0; j < nb; ++j) (j >= terms[t].offset && j < terms[t].offset + terms[t].size ? I : R).push_back(j);
    const MatrixXd Mll = block(M, I, I), MlR = block(M, I, R);
    if (symmetric_rank(Mll) < terms[t].size) {
      out.rank_deficient.push_back(static_cast<int>(t));
      deficient.push_back(terms[t].label);
    }
    const MatrixXd Q = MlR * pinv_symmetric(block(M, R, R), 1e-12) * MlR.transpose();  // ||P f||^2 form
    Eigen::SelfAdjointEigenSolver<MatrixXd> es(Mll);
    const VectorXd& ev = es.eigenvalues();
    const double keep = ev.maxCoeff() * 1e-12;
    std::vector<int> kept;
    for (Eigen::Index k = 0; k < ev.size(); ++k)
      if (ev(k) > keep) kept.push_back(static_cast<int>(k));
    MatrixXd Wh(Mll.rows(), kept.size());
    for (std::size_t k = 0; k < kept.size(); ++k) Wh.col(k) = es.eigenvectors().col(kept[k]) / std::sqrt(ev(kept[k]));
    double worst = 0.0;
    if (!kept.empty()) {
      const MatrixXd A = Wh.transpose() * Q * Wh;
      worst = Eigen::SelfAdjointEigenSolver<MatrixXd>((A + A.transpose()) / 2, Eigen::EigenvaluesOnly)
                  .eigenvalues()
                  .maxCoeff();
    }
    worst = std::clamp(worst, 0.0, 1.0);
    double observed = std::numeric_limits<double>::quiet_NaN();
    for (int k = 0; k < q; ++k) {
      VectorXd beta(I.size());
      for (std::size_t j = 0; j < I.size(); ++j) beta(j) = weights[static_cast<std::size_t>(k) * nb + I[j]];
      const double den = beta.dot(Mll * beta);
      if (den > 1e-14 * mmax) {
        const double share = std::clamp(beta.dot(Q * beta) / den, 0.0, 1.0);
        observed = std::isnan(observed) ? share : std::max(observed, share);
      }
    }
    out.worst.push_back(worst);
    out.observed.push_back(observed);
    if (worst > 0.9) high.push_back(terms[t].label);
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (std::size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + v[k];
    return s;
  };
  if (!deficient.empty())
    out.warnings.push_back("the spline basis of " + join(deficient) +
                           " is rank deficient on these data (some basis functions see (almost) no samples: too few "
                           "samples or distinct values for n_knots); the smoothing penalty keeps the fit unique, but a "
                           "smaller n_knots may suit");
  if (!high.empty())
    out.warnings.push_back("high concurvity (worst > 0.9) for " + join(high) +
                           ": the data barely separate these context features' effects");
  if (report.edf_total > 0.5 * report.n)
    out.warnings.push_back("the fit uses " + fmt("%.1f", report.edf_total) + " effective degrees of freedom for " +
                           fmt("%.0f", report.n) + " samples");
  return out;
}

}  // namespace ctxstats
