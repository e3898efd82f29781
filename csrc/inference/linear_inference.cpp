#include "inference/linear_inference.hpp"

#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "common/error.hpp"
#include "glm/objective.hpp"

namespace ctxstats {

namespace {

constexpr int kDesignBlock = 256;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The transposed interaction design of rows [start, start + rows): column r is z_(start+r).
void design_block(const DataView& data, bool intercept, std::size_t start, int rows, Eigen::MatrixXd& Zt) {
  const int p = data.p, m = data.m, m1 = m + 1, off = intercept ? 1 : 0;
  for (int r = 0; r < rows; ++r) {
    const double* x = data.X + (start + r) * p;
    const double* c = data.C + (start + r) * m;
    for (int k = 0; k < p + off; ++k) {
      const double xk = (off && k == 0) ? 1.0 : x[k - off];
      Zt(k * m1, r) = xk;
      for (int l = 0; l < m; ++l) Zt(k * m1 + l + 1, r) = xk * c[l];
    }
  }
}

// The interaction design in a centred and scaled parametrisation, in which the covariance is
// computed: with the fit's scaling, x~ = (x - xbar) / sx (only scaled without an intercept),
// c~ = (c - cbar) / sc,
// z~ = [1; x~] (x) [1; c~]. With A_x, A_c the triangular maps [1; x] = A_x [1; x~] and
// [1; c] = A_c [1; c~], z = M z~ for M = A_x (x) A_c, so b~ = M' b and
// Cov(b) = Minv' Cov(b~) Minv. In user units a context far from 0 (a calendar year) makes the
// columns x_k and x_k c_l nearly collinear, and the pseudo-inverse of Z'WZ would then drop
// real directions as numerically null; centred, it does not.
struct Standardization {
  Scaling scaling;  // the fit's own centring and scaling of X and C (compute_scaling)
  Eigen::MatrixXd M, Minv;
};

Standardization standardization(const Scaling& scaling) {
  const int p = static_cast<int>(scaling.x_mean.size()), m = static_cast<int>(scaling.c_mean.size()), m1 = m + 1;
  const bool intercept = scaling.intercept;
  const int q = p + (intercept ? 1 : 0);
  Standardization st;
  st.scaling = scaling;
  const Scaling& sc = st.scaling;
  Eigen::MatrixXd Ax = Eigen::MatrixXd::Zero(q, q), Ac = Eigen::MatrixXd::Zero(m1, m1);
  const int off = intercept ? 1 : 0;
  if (intercept) Ax(0, 0) = 1.0;
  for (int j = 0; j < p; ++j) {
    Ax(off + j, off + j) = sc.x_scale[j];
    if (intercept) Ax(off + j, 0) = sc.x_mean[j];
  }
  Ac(0, 0) = 1.0;
  for (int l = 0; l < m; ++l) {
    Ac(l + 1, l + 1) = sc.c_scale[l];
    Ac(l + 1, 0) = sc.c_mean[l];
  }
  const Eigen::MatrixXd Axi = Ax.inverse(), Aci = Ac.inverse();  // triangular, well conditioned
  const int D = q * m1;
  st.M.resize(D, D);
  st.Minv.resize(D, D);
  for (int a = 0; a < q; ++a)
    for (int b = 0; b < q; ++b) {
      st.M.block(a * m1, b * m1, m1, m1) = Ax(a, b) * Ac;
      st.Minv.block(a * m1, b * m1, m1, m1) = Axi(a, b) * Aci;
    }
  return st;
}

// design_block in the standardized parametrisation (column r is z~ of row start + r).
void standardized_block(const DataView& data, bool intercept, const Standardization& st, std::size_t start,
                        int rows, Eigen::MatrixXd& Zt) {
  const int p = data.p, m = data.m, m1 = m + 1, off = intercept ? 1 : 0;
  const Scaling& sc = st.scaling;
  for (int r = 0; r < rows; ++r) {
    const double* x = data.X + (start + r) * p;
    const double* c = data.C + (start + r) * m;
    for (int k = 0; k < p + off; ++k) {
      const double xk = (off && k == 0) ? 1.0 : (x[k - off] - sc.x_mean[k - off]) / sc.x_scale[k - off];
      Zt(k * m1, r) = xk;
      for (int l = 0; l < m; ++l) Zt(k * m1 + l + 1, r) = xk * (c[l] - sc.c_mean[l]) / sc.c_scale[l];
    }
  }
}

// Mean and variance function of `family` at eta, for a block.
void mean_and_variance(Family family, const Eigen::VectorXd& eta, Eigen::VectorXd& mu, Eigen::VectorXd& v) {
  for (Eigen::Index i = 0; i < eta.size(); ++i) {
    mu(i) = inverse_link(family, eta(i));
    v(i) = family == Family::kGaussian ? 1.0 : family == Family::kBinomial ? mu(i) * (1.0 - mu(i)) : mu(i);
  }
}

// Runs body(start, rows, group) over fixed blocks of rows, the blocks split into `groups`
// contiguous ranges processed in parallel; the caller sums the groups' results in order.
template <typename Body>
void for_block_groups(std::size_t n, int groups, int threads, Body body) {
  const std::size_t blocks = (n + kDesignBlock - 1) / kDesignBlock;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int gi = 0; gi < groups; ++gi) {
    const std::size_t b0 = blocks * gi / groups, b1 = blocks * (gi + 1) / groups;
    for (std::size_t blk = b0; blk < b1; ++blk) {
      const std::size_t start = blk * kDesignBlock;
      body(start, static_cast<int>(std::min<std::size_t>(kDesignBlock, n - start)), gi);
    }
  }
}

// Pseudo-inverse and rank of a symmetric positive semi-definite matrix: eigenvalues above
// max * D * eps * 10.
Eigen::MatrixXd pinv_psd(const Eigen::MatrixXd& H, int& rank) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(H);
  const Eigen::VectorXd& ev = es.eigenvalues();
  const double top = ev.size() ? std::max(ev.maxCoeff(), 0.0) : 0.0;
  const double tol = top * static_cast<double>(H.rows()) * std::numeric_limits<double>::epsilon() * 10.0;
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(H.rows(), H.cols());
  rank = 0;
  for (Eigen::Index j = 0; j < ev.size(); ++j) {
    if (!(ev(j) > tol)) continue;
    ++rank;
    out.noalias() += es.eigenvectors().col(j) * (es.eigenvectors().col(j).transpose() / ev(j));
  }
  return out;
}

// numpy.linalg.pinv / the R packages' pinv for a symmetric matrix: |eigenvalues| above
// 1e-15 * max |eigenvalue| (the singular values of a symmetric matrix).
Eigen::MatrixXd pinv_sym(const Eigen::MatrixXd& V) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(V);
  const Eigen::VectorXd& ev = es.eigenvalues();
  const double top = ev.size() ? ev.cwiseAbs().maxCoeff() : 0.0;
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(V.rows(), V.cols());
  for (Eigen::Index j = 0; j < ev.size(); ++j) {
    if (!(std::fabs(ev(j)) > 1e-15 * top)) continue;
    out.noalias() += es.eigenvectors().col(j) * (es.eigenvectors().col(j).transpose() / ev(j));
  }
  return out;
}

std::vector<double> to_row_major(const Eigen::MatrixXd& A) {
  std::vector<double> out(static_cast<std::size_t>(A.rows()) * A.cols());
  for (Eigen::Index i = 0; i < A.rows(); ++i)
    for (Eigen::Index j = 0; j < A.cols(); ++j) out[static_cast<std::size_t>(i * A.cols() + j)] = A(i, j);
  return out;
}

void require_square(const std::vector<double>& cov, std::size_t D, const char* what) {
  require(cov.size() == D * D, std::string(what) + " must be a " + std::to_string(D) + " x " + std::to_string(D) +
                                   " covariance matrix of the interaction coefficients");
}

}  // namespace

std::vector<double> interaction_coefficients(const Scaling& scaling, int m, const double* weights, std::size_t rows,
                                             std::size_t n_weights) {
  require(m == static_cast<int>(scaling.c_mean.size()), "the scaling does not match the number of context columns");
  const int q = scaling.q(), m1 = m + 1, p = q - (scaling.intercept ? 1 : 0), off = scaling.intercept ? 1 : 0;
  const std::size_t D = static_cast<std::size_t>(q) * m1;
  if (n_weights == 0) n_weights = D;
  require(n_weights == D, "weights must hold q * (m + 1) = " + std::to_string(D) +
                              " linear-encoder weights, not " + std::to_string(n_weights));
  std::vector<double> out(rows * D);
  std::vector<double> A(D);
  for (std::size_t r = 0; r < rows; ++r) {
    const double* W = weights + r * n_weights;
    double* U = out.data() + r * D;
    // Context: theta'_k = W_k [1; (c - c_mean) / c_scale] = A_k [1; c].
    for (int k = 0; k < q; ++k) {
      double shift = 0.0;
      for (int l = 0; l < m; ++l) {
        A[k * m1 + l + 1] = W[k * m1 + l + 1] / scaling.c_scale[l];
        shift += W[k * m1 + l + 1] * (scaling.c_mean[l] / scaling.c_scale[l]);
      }
      A[k * m1] = W[k * m1] - shift;
    }
    // Parameters: theta_to_original, column by column (it is affine in theta').
    for (int l = 0; l < m1; ++l) {
      double shift = 0.0;
      for (int j = 0; j < p; ++j) {
        const double bj = A[(off + j) * m1 + l] / scaling.x_scale[j];
        shift += scaling.x_mean[j] * bj;
        U[(off + j) * m1 + l] = scaling.y_scale * bj;
      }
      if (off) U[l] = scaling.y_scale * (A[l] - shift) + (l == 0 ? scaling.y_mean : 0.0);
    }
  }
  return out;
}

CovType parse_cov_type(const std::string& name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (lower == "nonrobust") return CovType::kNonrobust;
  if (lower == "hc0") return CovType::kHC0;
  if (lower == "hc1") return CovType::kHC1;
  if (lower == "hc2") return CovType::kHC2;
  if (lower == "hc3") return CovType::kHC3;
  if (lower == "cluster") return CovType::kCluster;
  throw InvalidArgument("cov_type must be one of 'nonrobust', 'HC0', 'HC1', 'HC2', 'HC3', 'cluster', not '" + name +
                        "'");
}

std::string cov_type_name(CovType type) {
  switch (type) {
    case CovType::kNonrobust: return "nonrobust";
    case CovType::kHC0: return "HC0";
    case CovType::kHC1: return "HC1";
    case CovType::kHC2: return "HC2";
    case CovType::kHC3: return "HC3";
    case CovType::kCluster: return "cluster";
  }
  return "nonrobust";
}

namespace {

// Group labels as the front ends hand them over, mapped to 0..G-1 in order of first appearance.
std::vector<std::size_t> group_index(const std::vector<long long>& labels, std::vector<long long>* codes) {
  std::unordered_map<long long, std::size_t> index;
  std::vector<std::size_t> group_of(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto it = index.emplace(labels[i], index.size());
    if (it.second) codes->push_back(labels[i]);
    group_of[i] = it.first->second;
  }
  return group_of;
}

}  // namespace

CovarianceSums covariance_sums(const DataView& data, Family family, const Scaling& scaling,
                               const std::vector<double>& b, CovType cov_type, int threads,
                               const std::vector<long long>* cluster_groups, const Eigen::MatrixXd* bread_inverse) {
  const bool intercept = scaling.intercept;
  require(data.p == static_cast<int>(scaling.x_mean.size()) && data.m == static_cast<int>(scaling.c_mean.size()),
          "the data's columns do not match the fit's scaling");
  const int q = data.p + (intercept ? 1 : 0), m1 = data.m + 1, D = q * m1;
  const std::size_t n = data.n;
  require(b.size() == static_cast<std::size_t>(D),
          "params must hold the " + std::to_string(D) + " interaction coefficients, not " + std::to_string(b.size()));
  check_finite(data.X, n, data.p, "exog");
  check_finite(data.C, n, data.m, "context");
  check_finite(data.y, n, 1, "endog");
  if (data.weights) check_finite(data.weights, n, 1, "weights");
  const bool cluster = cov_type == CovType::kCluster;
  const bool leverage = cov_type == CovType::kHC2 || cov_type == CovType::kHC3;
  require(bread_inverse == nullptr || leverage, "the second read (the leverages) is for HC2 and HC3 only");
  require(bread_inverse == nullptr || (bread_inverse->rows() == D && bread_inverse->cols() == D),
          "the inverse bread must be D x D");
  CovarianceSums out;
  out.nobs = n;
  std::vector<std::size_t> group_of;
  if (cluster) {
    require(cluster_groups != nullptr, "cov_type 'cluster' needs groups: one group label per row");
    require(cluster_groups->size() == n, "groups must have one label per row (" + std::to_string(n) + "), not " +
                                             std::to_string(cluster_groups->size()));
    group_of = group_index(*cluster_groups, &out.group_codes);
  } else {
    require(cluster_groups == nullptr, "groups are used by cov_type 'cluster' only");
  }
  const int nthreads = resolve_threads(threads);
  // The first read sums the bread, the residual sums of squares and (HC0, HC1) the meat; the
  // second (HC2, HC3, given the bread's inverse) only the meat with each row's term divided
  // by (1 - h_i)^power.
  const bool second = bread_inverse != nullptr;
  const bool meat = second || cov_type == CovType::kHC0 || cov_type == CovType::kHC1;
  const double power = cov_type == CovType::kHC2 ? 1.0 : 2.0;
  // Each group holds a D x D bread (and meat): cap their total near 256 MB for wide designs.
  // The count depends on n and D only, so the result is the same for any thread count.
  const double group_bytes = 16.0 * D * D;
  const int max_groups = static_cast<int>(std::max(1.0, std::min<double>(kMaxGroups, 268435456.0 / group_bytes)));
  const int groups = reduction_groups(n, kDesignBlock, max_groups);
  const Standardization st = standardization(scaling);
  const Eigen::VectorXd bv = st.M.transpose() * Eigen::Map<const Eigen::VectorXd>(b.data(), D);  // b~
  const auto weight = [&](std::size_t i) { return data.weights ? data.weights[i] : 1.0; };

  struct Part {
    Eigen::MatrixXd H, meat;
    double ssr = 0.0, pearson = 0.0;
  };
  std::vector<Part> parts(groups);
  for (Part& a : parts) {
    if (!second) a.H = Eigen::MatrixXd::Zero(D, D);
    if (meat) a.meat = Eigen::MatrixXd::Zero(D, D);
  }
  for_block_groups(n, groups, nthreads, [&](std::size_t start, int rows, int gi) {
    Part& a = parts[gi];
    Eigen::MatrixXd Zt(D, rows);
    standardized_block(data, intercept, st, start, rows, Zt);
    const Eigen::VectorXd eta = Zt.transpose() * bv;
    Eigen::VectorXd mu(rows), v(rows), wv(rows), u(rows);
    mean_and_variance(family, eta, mu, v);
    if (second) {
      const Eigen::MatrixXd HZ = *bread_inverse * Zt;
      for (int r = 0; r < rows; ++r) {
        const double w = weight(start + r), e = data.y[start + r] - mu(r);
        const double h = w * v(r) * Zt.col(r).dot(HZ.col(r));
        const double adj = h < 1.0 ? 1.0 / std::pow(1.0 - h, power) : std::numeric_limits<double>::infinity();
        u(r) = w * e * std::sqrt(adj);
      }
    } else {
      for (int r = 0; r < rows; ++r) {
        const double w = weight(start + r), e = data.y[start + r] - mu(r);
        wv(r) = w * v(r);
        u(r) = w * e;
        a.ssr += w * e * e;
        a.pearson += w * e * e / std::max(v(r), std::numeric_limits<double>::min());
      }
      a.H.noalias() += Zt * wv.asDiagonal() * Zt.transpose();
    }
    if (meat) {
      const Eigen::MatrixXd U = Zt * u.asDiagonal();
      a.meat.noalias() += U * U.transpose();
    }
  });
  if (!second) {
    out.H = parts[0].H;
    out.ssr = parts[0].ssr;
    out.pearson = parts[0].pearson;
    for (int gi = 1; gi < groups; ++gi) {
      out.H += parts[gi].H;
      out.ssr += parts[gi].ssr;
      out.pearson += parts[gi].pearson;
    }
  }
  if (meat) {
    out.meat = parts[0].meat;
    for (int gi = 1; gi < groups; ++gi) out.meat += parts[gi].meat;
  }
  if (cluster && !second) {
    // Each group's score sum, rows added in row order (serially: bitwise the same for any
    // thread count).
    out.S = Eigen::MatrixXd::Zero(D, static_cast<Eigen::Index>(out.group_codes.size()));
    for (std::size_t start = 0; start < n; start += kDesignBlock) {
      const int rows = static_cast<int>(std::min<std::size_t>(kDesignBlock, n - start));
      Eigen::MatrixXd Zt(D, rows);
      standardized_block(data, intercept, st, start, rows, Zt);
      const Eigen::VectorXd eta = Zt.transpose() * bv;
      Eigen::VectorXd mu(rows), v(rows);
      mean_and_variance(family, eta, mu, v);
      for (int r = 0; r < rows; ++r) {
        const double u = weight(start + r) * (data.y[start + r] - mu(r));
        out.S.col(static_cast<Eigen::Index>(group_of[start + r])) += u * Zt.col(r);
      }
    }
  }
  return out;
}

void add_covariance_sums(CovarianceSums* into, const CovarianceSums& part) {
  require(into->H.rows() == part.H.rows() && into->meat.rows() == part.meat.rows() &&
              into->S.rows() == part.S.rows(),
          "the partitions' covariance sums differ in shape");
  if (part.H.size()) into->H += part.H;
  if (part.meat.size()) into->meat += part.meat;
  into->ssr += part.ssr;
  into->pearson += part.pearson;
  into->nobs += part.nobs;
  if (part.S.rows() == 0) return;
  // A group met again adds to its column; a new one is appended (first appearance order).
  std::unordered_map<long long, Eigen::Index> column;
  for (std::size_t g = 0; g < into->group_codes.size(); ++g) column.emplace(into->group_codes[g], g);
  for (std::size_t g = 0; g < part.group_codes.size(); ++g) {
    const auto it = column.emplace(part.group_codes[g], static_cast<Eigen::Index>(into->group_codes.size()));
    if (it.second) {
      into->group_codes.push_back(part.group_codes[g]);
      into->S.conservativeResize(Eigen::NoChange, into->S.cols() + 1);
      into->S.col(into->S.cols() - 1) = part.S.col(static_cast<Eigen::Index>(g));
    } else {
      into->S.col(it.first->second) += part.S.col(static_cast<Eigen::Index>(g));
    }
  }
}

LinearCovariance linear_covariance_passes(Family family, const Scaling& scaling, CovType cov_type, bool quasi,
                                          const CovariancePass& pass) {
  require(!quasi || family != Family::kGaussian, "a quasi-likelihood covariance is for binomial or poisson fits");
  const int q = scaling.q(), m1 = static_cast<int>(scaling.c_mean.size()) + 1, D = q * m1;
  const CovarianceSums first = pass(nullptr);
  const std::size_t n = first.nobs;
  require(n > 0, "the data have zero rows");
  require(first.H.rows() == D && first.H.cols() == D, "the covariance sums do not match the fit's scaling");
  const bool cluster = cov_type == CovType::kCluster;
  const std::size_t n_groups = first.group_codes.size();
  if (cluster) require(n_groups >= 2, "cov_type 'cluster' needs at least 2 groups, not " + std::to_string(n_groups));
  LinearCovariance out;
  out.cov_type = cov_type;
  out.D = D;
  out.nobs = n;
  const Eigen::MatrixXd Hinv = pinv_psd(first.H, out.rank);
  out.df_resid = static_cast<double>(n) - out.rank;
  const bool estimated = family == Family::kGaussian || quasi;
  out.scale = estimated ? (out.df_resid > 0 ? (quasi ? first.pearson : first.ssr) / out.df_resid : kNaN) : 1.0;
  out.use_t = estimated && cov_type == CovType::kNonrobust;
  out.use_f = estimated;
  Eigen::MatrixXd cov;
  out.df_denom = out.df_resid;
  if (cov_type == CovType::kNonrobust) {
    cov = out.scale * Hinv;
  } else if (cluster) {
    const Eigen::MatrixXd meat = first.S * first.S.transpose();
    const double G = static_cast<double>(n_groups), nn = static_cast<double>(n);
    const double correction = out.df_resid > 0 ? G / (G - 1.0) * (nn - 1.0) / out.df_resid : kNaN;
    cov = correction * (Hinv * meat * Hinv);
    out.df_denom = G - 1.0;
    out.n_groups = n_groups;
  } else {
    const bool leverage = cov_type == CovType::kHC2 || cov_type == CovType::kHC3;
    const Eigen::MatrixXd meat = leverage ? pass(&Hinv).meat : first.meat;
    require(meat.rows() == D && meat.cols() == D, "the covariance sums hold no meat of the right shape");
    cov = Hinv * meat * Hinv;
    if (cov_type == CovType::kHC1) cov *= out.df_resid > 0 ? static_cast<double>(n) / out.df_resid : kNaN;
  }
  const Eigen::MatrixXd& Minv = standardization(scaling).Minv;
  cov = Minv.transpose() * cov * Minv;  // back to the user's parametrisation
  const Eigen::MatrixXd sym = 0.5 * (cov + cov.transpose());
  out.cov = to_row_major(sym);
  return out;
}

LinearCovariance linear_covariance(const DataView& data, Family family, bool intercept, const std::vector<double>& b,
                                   CovType cov_type, int threads, const std::vector<long long>* cluster_groups,
                                   bool quasi) {
  require(data.n > 0, "the data have zero rows");
  const Scaling scaling = compute_scaling(data, family, intercept);
  return linear_covariance_passes(family, scaling, cov_type, quasi, [&](const Eigen::MatrixXd* bread_inverse) {
    return covariance_sums(data, family, scaling, b, cov_type, threads, cluster_groups, bread_inverse);
  });
}

std::vector<double> average_effect_covariance(const std::vector<double>& cov, int q, const double* C,
                                              std::size_t rows, int m) {
  const int m1 = m + 1;
  const std::size_t D = static_cast<std::size_t>(q) * m1;
  require_square(cov, D, "cov");
  require(rows > 0, "context has zero rows");
  std::vector<double> a(m1, 0.0);
  a[0] = 1.0;
  for (std::size_t i = 0; i < rows; ++i)
    for (int l = 0; l < m; ++l) a[l + 1] += C[i * m + l];
  for (int l = 0; l < m; ++l) a[l + 1] /= static_cast<double>(rows);
  std::vector<double> out(static_cast<std::size_t>(q) * q);
  for (int k = 0; k < q; ++k)
    for (int j = 0; j < q; ++j) {
      double s = 0.0;
      for (int l = 0; l < m1; ++l) {
        double t = 0.0;
        for (int h = 0; h < m1; ++h) t += cov[(k * m1 + l) * D + j * m1 + h] * a[h];
        s += a[l] * t;
      }
      out[static_cast<std::size_t>(k) * q + j] = s;
    }
  // Symmetric by construction up to rounding: make it exactly so.
  for (int k = 0; k < q; ++k)
    for (int j = 0; j < k; ++j) {
      const double s = 0.5 * (out[k * q + j] + out[j * q + k]);
      out[k * q + j] = out[j * q + k] = s;
    }
  return out;
}

std::vector<WaldTest> wald_tests(const std::vector<double>& b, const std::vector<double>& cov,
                                 const std::vector<std::vector<int>>& restrictions, bool use_f, double df_resid) {
  const std::size_t D = b.size();
  require_square(cov, D, "cov");
  std::vector<WaldTest> out;
  out.reserve(restrictions.size());
  for (const auto& S : restrictions) {
    const int J = static_cast<int>(S.size());
    require(J > 0, "a Wald restriction must name at least one coefficient");
    for (int j : S) require(j >= 0 && static_cast<std::size_t>(j) < D, "a Wald restriction names a coefficient out of range");
    Eigen::VectorXd r(J);
    Eigen::MatrixXd V(J, J);
    for (int i = 0; i < J; ++i) {
      r(i) = b[S[i]];
      for (int j = 0; j < J; ++j) V(i, j) = cov[S[i] * D + S[j]];
    }
    WaldTest t;
    t.statistic = r.dot(pinv_sym(V) * r);
    t.df = J;
    if (use_f) {
      t.statistic /= J;
      t.df_denom = df_resid;
    } else {
      t.df_denom = kNaN;
    }
    out.push_back(t);
  }
  return out;
}

std::vector<std::vector<int>> heterogeneity_restrictions(int q, int m, bool by_context) {
  require(q >= 1 && m >= 1, "heterogeneity tests need at least one coefficient and one context feature");
  const int m1 = m + 1;
  std::vector<std::vector<int>> out;
  if (by_context) {
    for (int l = 0; l < m; ++l) {
      std::vector<int> S;
      for (int k = 0; k < q; ++k) S.push_back(k * m1 + l + 1);
      out.push_back(std::move(S));
    }
  } else {
    for (int k = 0; k < q; ++k) {
      std::vector<int> S;
      for (int l = 0; l < m; ++l) S.push_back(k * m1 + l + 1);
      out.push_back(std::move(S));
    }
  }
  return out;
}

std::vector<double> sample_param_se(const std::vector<double>& cov, int q, const double* C, std::size_t rows, int m) {
  const int m1 = m + 1;
  const std::size_t D = static_cast<std::size_t>(q) * m1;
  require_square(cov, D, "cov");
  check_finite(C, rows, m, "context");
  std::vector<double> out(rows * q);
  std::vector<double> a(m1);
  for (std::size_t i = 0; i < rows; ++i) {
    a[0] = 1.0;
    for (int l = 0; l < m; ++l) a[l + 1] = C[i * m + l];
    for (int k = 0; k < q; ++k) {
      double s = 0.0;
      for (int l = 0; l < m1; ++l) {
        double t = 0.0;
        for (int h = 0; h < m1; ++h) t += cov[(k * m1 + l) * D + k * m1 + h] * a[h];
        s += a[l] * t;
      }
      out[i * q + k] = std::sqrt(std::max(s, 0.0));
    }
  }
  return out;
}

std::vector<double> linear_predictor_se(const std::vector<double>& cov, const double* X, int p, const double* C,
                                        int m, std::size_t rows, bool intercept) {
  const int m1 = m + 1, q = p + (intercept ? 1 : 0), D = q * m1;
  require_square(cov, static_cast<std::size_t>(D), "cov");
  check_finite(X, rows, p, "exog");
  check_finite(C, rows, m, "context");
  const Eigen::Map<const RowMatrix> V(cov.data(), D, D);
  std::vector<double> out(rows);
  DataView d;
  d.n = rows;
  d.p = p;
  d.m = m;
  d.X = X;
  d.C = C;
  Eigen::MatrixXd Zt(D, kDesignBlock);
  for (std::size_t start = 0; start < rows; start += kDesignBlock) {
    const int count = static_cast<int>(std::min<std::size_t>(kDesignBlock, rows - start));
    design_block(d, intercept, start, count, Zt);
    const Eigen::MatrixXd VZ = V * Zt.leftCols(count);
    for (int r = 0; r < count; ++r) out[start + r] = std::sqrt(std::max(Zt.col(r).dot(VZ.col(r)), 0.0));
  }
  return out;
}

}  // namespace ctxstats
