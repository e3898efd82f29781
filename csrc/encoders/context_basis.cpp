#include "encoders/context_basis.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <string>
#include <utility>

#include "common/error.hpp"
#include "glm/objective.hpp"
#include "options/schema.hpp"

namespace ctxstats {

// ---- one cubic B-spline margin ---------------------------------------------------------------

BSplineMargin::BSplineMargin(const double* knots, int K) : K_(K), t_(knots, knots + K + 4) {
  require(K >= 4, "a cubic B-spline margin needs at least 4 basis functions");
  for (int j = 1; j < K + 4; ++j)
    require(t_[j] > t_[j - 1], "the knots of a spline margin must be strictly increasing");
  // Evenly spaced knots (the default) have closed-form cardinal B-splines.
  h_ = (t_[K_] - t_[3]) / (K_ - 3);
  uniform_ = true;
  for (int j = 1; j < K + 4; ++j) uniform_ = uniform_ && std::fabs(t_[j] - t_[j - 1] - h_) <= 1e-10 * h_;
  lo_first_ = 0;
  inside(lower(), 3, lo_val_);
  derivative(lower(), 3, lo_der_);
  hi_first_ = K_ - 4;
  inside(upper(), K_ - 1, hi_val_);
  derivative(upper(), K_ - 1, hi_der_);
}

// Index i with t_i <= x < t_{i+1}, for x in [lower, upper] (upper maps to the last interval).
int BSplineMargin::interval(double x) const {
  const auto it = std::upper_bound(t_.begin() + 4, t_.begin() + K_, x);
  return static_cast<int>(it - t_.begin()) - 1;
}

// Cox-de Boor: the four cubic B-splines B_{i-3..i} at x in [t_i, t_{i+1}].
void BSplineMargin::inside(double x, int i, double* N) const {
  double left[4], right[4];
  N[0] = 1.0;
  for (int j = 1; j <= 3; ++j) {
    left[j] = x - t_[i + 1 - j];
    right[j] = t_[i + j] - x;
    double saved = 0.0;
    for (int r = 0; r < j; ++r) {
      const double temp = N[r] / (right[r + 1] + left[j - r]);
      N[r] = saved + right[r + 1] * temp;
      saved = left[j - r] * temp;
    }
    N[j] = saved;
  }
}

// d/dx of B_{i-3..i} at x: B'_{a,3} = 3 [B_{a,2} / (t_{a+3} - t_a) - B_{a+1,2} / (t_{a+4} - t_{a+1})].
void BSplineMargin::derivative(double x, int i, double* der) const {
  double N2[3], left[3], right[3];
  N2[0] = 1.0;
  for (int j = 1; j <= 2; ++j) {
    left[j] = x - t_[i + 1 - j];
    right[j] = t_[i + j] - x;
    double saved = 0.0;
    for (int r = 0; r < j; ++r) {
      const double temp = N2[r] / (right[r + 1] + left[j - r]);
      N2[r] = saved + right[r + 1] * temp;
      saved = left[j - r] * temp;
    }
    N2[j] = saved;
  }
  // N2[r] = B_{i-2+r, 2}; cubic index a = i - 3 + r uses B_{a,2} = N2[r-1] and B_{a+1,2} = N2[r].
  for (int r = 0; r < 4; ++r) {
    const int a = i - 3 + r;
    const double first = r >= 1 ? N2[r - 1] / (t_[a + 3] - t_[a]) : 0.0;
    const double second = r <= 2 ? N2[r] / (t_[a + 4] - t_[a + 1]) : 0.0;
    der[r] = 3.0 * (first - second);
  }
}

int BSplineMargin::eval(double x, double* val) const {
  if (x < lower()) {
    const double d = x - lower();
    for (int r = 0; r < 4; ++r) val[r] = lo_val_[r] + d * lo_der_[r];
    return lo_first_;
  }
  if (x > upper()) {
    const double d = x - upper();
    for (int r = 0; r < 4; ++r) val[r] = hi_val_[r] + d * hi_der_[r];
    return hi_first_;
  }
  if (uniform_) {
    // Cardinal cubic B-splines: with u the position within interval j of width h,
    // (1-u)^3/6, (3u^3 - 6u^2 + 4)/6, (-3u^3 + 3u^2 + 3u + 1)/6, u^3/6.
    const double z = (x - t_[3]) / h_;
    int j = static_cast<int>(z);
    j = std::min(std::max(j, 0), K_ - 4);
    const double u = z - j, u2 = u * u, u3 = u2 * u, w = 1.0 - u;
    val[0] = w * w * w / 6.0;
    val[1] = (3.0 * u3 - 6.0 * u2 + 4.0) / 6.0;
    val[2] = (-3.0 * u3 + 3.0 * u2 + 3.0 * u + 1.0) / 6.0;
    val[3] = u3 / 6.0;
    return j;
  }
  const int i = interval(x);
  inside(x, i, val);
  return i - 3;
}

// ---- generic ------------------------------------------------------------------------------------

void ContextBasis::finish_transform() {
  row_start_.assign(raw_size_ + 1, 0);
  row_col_.clear();
  row_val_.clear();
  for (int a = 0; a < raw_size_; ++a) {
    for (int j = 0; j < size_; ++j)
      if (T_(a, j) != 0.0) {
        row_col_.push_back(j);
        row_val_.push_back(T_(a, j));
      }
    row_start_[a + 1] = static_cast<int>(row_col_.size());
  }
}

void ContextBasis::eval(const double* C, int rows, double* out) const {
  std::vector<int> idx(max_nonzeros_);
  std::vector<double> val(max_nonzeros_);
  for (int r = 0; r < rows; ++r) {
    double* o = out + static_cast<std::size_t>(r) * size_;
    const int nnz = raw_row(C + static_cast<std::size_t>(r) * m_, idx.data(), val.data());
    std::fill(o, o + size_, 0.0);
    if (identity_) {
      for (int e = 0; e < nnz; ++e) o[idx[e]] = val[e];
      continue;
    }
    // b = T' r over the non-zeros of r, T stored by rows.
    for (int e = 0; e < nnz; ++e) {
      const double v = val[e];
      for (int p = row_start_[idx[e]]; p < row_start_[idx[e] + 1]; ++p) o[row_col_[p]] += v * row_val_[p];
    }
  }
}

namespace {

// ---- b(c) = [1, c] ------------------------------------------------------------------------------

class LinearBasis final : public ContextBasis {
 public:
  explicit LinearBasis(int m) {
    m_ = m;
    size_ = raw_size_ = max_nonzeros_ = m + 1;
    identity_ = true;
    T_ = Eigen::MatrixXd::Identity(m + 1, m + 1);
    terms_.push_back({BasisTerm::kConstant, -1, -1, 0, 1});
    for (int l = 0; l < m; ++l) terms_.push_back({BasisTerm::kLinear, l, -1, 1 + l, 1});
  }
  bool sparse() const override { return false; }
  int raw_row(const double* c, int* idx, double* val) const override {
    idx[0] = 0;
    val[0] = 1.0;
    for (int l = 0; l < m_; ++l) {
      idx[l + 1] = l + 1;
      val[l + 1] = c[l];
    }
    return m_ + 1;
  }
};

// ---- the spline basis ---------------------------------------------------------------------------

// Second-difference penalty D'D on K coefficients, restricted to the K - 1 kept by the
// constraint (the first is dropped).
Eigen::MatrixXd difference_penalty(int K) {
  Eigen::MatrixXd D = Eigen::MatrixXd::Zero(K - 2, K);
  for (int r = 0; r < K - 2; ++r) {
    D(r, r) = 1.0;
    D(r, r + 1) = -2.0;
    D(r, r + 2) = 1.0;
  }
  const Eigen::MatrixXd S = D.transpose() * D;
  return S.bottomRightCorner(K - 1, K - 1);
}

// Margins in spec order: one per context feature, then two per interaction.
struct MarginLayout {
  std::vector<int> feature, K, knot_offset, centre_offset;
  int knots_total = 0, centres_total = 0;
};

MarginLayout margin_layout(const EncoderSpec& spec, int m) {
  MarginLayout L;
  auto add = [&](int feature, int K) {
    L.feature.push_back(feature);
    L.K.push_back(K);
    L.knot_offset.push_back(L.knots_total);
    L.centre_offset.push_back(L.centres_total);
    L.knots_total += K + 4;
    L.centres_total += K - 1;
  };
  for (int l = 0; l < m; ++l) add(l, spec.n_knots);
  for (const auto& pr : spec.interactions) {
    add(pr.first, spec.interaction_knots);
    add(pr.second, spec.interaction_knots);
  }
  return L;
}

void validate_spline_spec(const EncoderSpec& spec, int m) {
  require(spec.n_knots >= 4, "n_knots must be at least 4 (a cubic B-spline basis), not " +
                                 std::to_string(spec.n_knots));
  require(spec.interaction_knots >= 4, "interaction_knots must be at least 4, not " +
                                           std::to_string(spec.interaction_knots));
  require(spec.knot_spacing == "even" || spec.knot_spacing == "quantile",
          "knot_spacing must be 'even' or 'quantile', not '" + spec.knot_spacing + "'");
  for (std::size_t t = 0; t < spec.interactions.size(); ++t) {
    const auto& pr = spec.interactions[t];
    require(pr.first >= 0 && pr.first < m && pr.second >= 0 && pr.second < m,
            "interactions must name context columns 0.." + std::to_string(m - 1));
    require(pr.first != pr.second, "an interaction needs two different context columns");
    for (std::size_t u = 0; u < t; ++u) {
      const auto& o = spec.interactions[u];
      require(!((o.first == pr.first && o.second == pr.second) || (o.first == pr.second && o.second == pr.first)),
              "interactions lists the same pair of context columns twice");
    }
  }
}

class SplineBasis final : public ContextBasis {
 public:
  SplineBasis(const EncoderSpec& spec, int m) {
    validate_spline_spec(spec, m);
    m_ = m;
    const MarginLayout L = margin_layout(spec, m);
    require(spec.knots.size() == static_cast<std::size_t>(L.knots_total),
            "the spline encoder's knots are missing or have the wrong length (" + std::to_string(spec.knots.size()) +
                ", expected " + std::to_string(L.knots_total) + ")");
    require(spec.centres.size() == static_cast<std::size_t>(L.centres_total),
            "the spline encoder's centres are missing or have the wrong length");
    const int nm = static_cast<int>(L.K.size());
    margins_.reserve(nm);
    for (int g = 0; g < nm; ++g) margins_.emplace_back(spec.knots.data() + L.knot_offset[g], L.K[g]);
    feature_ = L.feature;

    // Raw layout: [1 | margin 0 .. margin nm-1 | products of each interaction].
    raw_margin_offset_.resize(nm);
    int raw = 1;
    for (int g = 0; g < nm; ++g) {
      raw_margin_offset_[g] = raw;
      raw += L.K[g];
    }
    const int nt = static_cast<int>(spec.interactions.size());
    raw_product_offset_.resize(nt);
    for (int t = 0; t < nt; ++t) {
      raw_product_offset_[t] = raw;
      raw += L.K[m + 2 * t] * L.K[m + 2 * t + 1];
    }
    raw_size_ = raw;
    max_nonzeros_ = 1 + 4 * nm + 16 * nt;

    // Constrained layout and T.
    int size = 1;
    terms_.push_back({BasisTerm::kConstant, -1, -1, 0, 1});
    for (int l = 0; l < m; ++l) {
      terms_.push_back({BasisTerm::kMain, l, -1, size, L.K[l] - 1});
      size += L.K[l] - 1;
    }
    for (int t = 0; t < nt; ++t) {
      const int K1 = L.K[m + 2 * t] - 1, K2 = L.K[m + 2 * t + 1] - 1;
      terms_.push_back({BasisTerm::kTensor, spec.interactions[t].first, spec.interactions[t].second, size, K1 * K2});
      size += K1 * K2;
    }
    size_ = size;
    identity_ = false;
    T_ = Eigen::MatrixXd::Zero(raw_size_, size_);
    T_(0, 0) = 1.0;
    const double* ctr = spec.centres.data();
    for (int l = 0; l < m; ++l) {
      const int off = terms_[1 + l].offset, K = L.K[l];
      for (int a = 1; a < K; ++a) {
        T_(raw_margin_offset_[l] + a, off + a - 1) = 1.0;
        T_(0, off + a - 1) = -ctr[L.centre_offset[l] + a - 1];
      }
    }
    for (int t = 0; t < nt; ++t) {
      const int g1 = m + 2 * t, g2 = g1 + 1, K1 = L.K[g1], K2 = L.K[g2], off = terms_[1 + m + t].offset;
      const double* c1 = ctr + L.centre_offset[g1];
      const double* c2 = ctr + L.centre_offset[g2];
      for (int a = 1; a < K1; ++a)
        for (int b = 1; b < K2; ++b) {
          const int col = off + (a - 1) * (K2 - 1) + (b - 1);
          // (B_a - m_a)(B_b - m_b) = B_a B_b - m_b B_a - m_a B_b + m_a m_b
          T_(raw_product_offset_[t] + a * K2 + b, col) = 1.0;
          T_(raw_margin_offset_[g1] + a, col) = -c2[b - 1];
          T_(raw_margin_offset_[g2] + b, col) = -c1[a - 1];
          T_(0, col) = c1[a - 1] * c2[b - 1];
        }
    }

    finish_transform();
    fixed_smoothing_ = spec.smoothing;
    require(spec.smoothing_method == "REML" || spec.smoothing_method == "GCV",
            "method must be 'REML' or 'GCV', not '" + spec.smoothing_method + "'");
    smoothing_method_ = spec.smoothing_method;
    for (double v : fixed_smoothing_)
      require(std::isfinite(v) && v > 0.0, "smoothing parameters must be positive and finite");
    // Penalties: one per main smooth, two per tensor term.
    for (int l = 0; l < m; ++l) {
      BasisPenalty p;
      p.term = 1 + l;
      p.offset = terms_[1 + l].offset;
      p.S = difference_penalty(L.K[l]);
      p.rank = L.K[l] - 2;
      penalties_.push_back(std::move(p));
    }
    for (int t = 0; t < nt; ++t) {
      const int K1 = L.K[m + 2 * t] - 1, K2 = L.K[m + 2 * t + 1] - 1;
      const Eigen::MatrixXd S1 = difference_penalty(K1 + 1), S2 = difference_penalty(K2 + 1);
      BasisPenalty p1, p2;
      p1.term = p2.term = 1 + m + t;
      p1.offset = p2.offset = terms_[1 + m + t].offset;
      p1.S = Eigen::MatrixXd::Zero(K1 * K2, K1 * K2);
      p2.S = Eigen::MatrixXd::Zero(K1 * K2, K1 * K2);
      for (int a = 0; a < K1; ++a)
        for (int a2 = 0; a2 < K1; ++a2)
          for (int b = 0; b < K2; ++b) p1.S(a * K2 + b, a2 * K2 + b) = S1(a, a2);
      for (int a = 0; a < K1; ++a)
        for (int b = 0; b < K2; ++b)
          for (int b2 = 0; b2 < K2; ++b2) p2.S(a * K2 + b, a * K2 + b2) = S2(b, b2);
      p1.rank = (K1 - 1) * K2;
      p2.rank = K1 * (K2 - 1);
      penalties_.push_back(std::move(p1));
      penalties_.push_back(std::move(p2));
    }
  }

  bool sparse() const override { return true; }

  bool unity_margin(int* offset, int* size) const override {
    *offset = raw_margin_offset_[0];
    *size = margins_[0].size();
    return true;
  }

  int raw_row(const double* c, int* idx, double* val) const override {
    idx[0] = 0;
    val[0] = 1.0;
    const int nm = static_cast<int>(margins_.size());
    for (int g = 0; g < nm; ++g) {
      double* v = val + 1 + 4 * g;
      const int first = raw_margin_offset_[g] + margins_[g].eval(c[feature_[g]], v);
      for (int r = 0; r < 4; ++r) idx[1 + 4 * g + r] = first + r;
    }
    int n = 1 + 4 * nm;
    const int nt = static_cast<int>(raw_product_offset_.size());
    for (int t = 0; t < nt; ++t) {
      const int g1 = m_ + 2 * t, g2 = g1 + 1, K2 = margins_[g2].size();
      const int f1 = idx[1 + 4 * g1] - raw_margin_offset_[g1], f2 = idx[1 + 4 * g2] - raw_margin_offset_[g2];
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b) {
          idx[n] = raw_product_offset_[t] + (f1 + a) * K2 + f2 + b;
          val[n++] = val[1 + 4 * g1 + a] * val[1 + 4 * g2 + b];
        }
    }
    return n;
  }

 private:
  std::vector<BSplineMargin> margins_;
  std::vector<int> feature_, raw_margin_offset_, raw_product_offset_;
};

// As mgcv refuses a smooth with more basis functions than unique covariate values: a basis
// larger than the data's distinct values is not identifiable, only slower. The default basis
// stays available on a discrete context (binary, a factor): its extra functions are tied down
// by the penalty and the rank deficiency is reported. A larger one is refused, which also
// bounds the basis by the data (n_knots=1000 at n=200 ran for minutes). `distinct` may be
// capped at K: the test only asks whether it is below K.
// The option table's default of a spline basis size (n_knots, interaction_knots).
long long spline_default(const char* option) {
  const OptionValue def = option_default(*find_option(option), "glm", "spline");
  return std::strtoll(def.text.c_str(), nullptr, 10);
}

void check_distinct_values(std::size_t distinct, int K, const std::string& column, const char* option) {
  const long long default_k = spline_default(option);
  if (distinct >= 2 && static_cast<std::size_t>(K) > distinct && K > default_k)
    throw InvalidArgument(std::string(option) + "=" + std::to_string(K) + " is more than the " +
                          std::to_string(distinct) + " distinct values of " + column +
                          "; a spline basis cannot have more functions than the feature has distinct values "
                          "(as mgcv refuses); use " + option + " <= " +
                          std::to_string(std::max<long long>(default_k, static_cast<long long>(distinct))));
}

// J + 1 evenly spaced inner knots over [lo, hi].
std::vector<double> even_inner_knots(double lo, double hi, int J, const std::string& column) {
  require(hi > lo, column + " is constant; a spline in it needs at least two distinct values");
  std::vector<double> inner(J + 1);
  for (int j = 0; j <= J; ++j) inner[j] = lo + (hi - lo) * j / J;
  return inner;
}

// The inner knots and three more beyond each end, spaced as the end intervals.
std::vector<double> with_boundary_knots(const std::vector<double>& inner) {
  const int J = static_cast<int>(inner.size()) - 1;
  const double lo = inner.front(), hi = inner.back();
  const double h0 = inner[1] - inner[0], h1 = inner[J] - inner[J - 1];
  std::vector<double> t;
  t.reserve(J + 7);
  for (int j = 3; j >= 1; --j) t.push_back(lo - j * h0);
  for (double x : inner) t.push_back(x);
  for (int j = 1; j <= 3; ++j) t.push_back(hi + j * h1);
  return t;
}

// Knots of one margin from the (standardised) values of its feature.
// `column` names the feature in messages (context_column_label).
std::vector<double> place_knots(std::vector<double>& v, int K, const std::string& spacing, const std::string& column,
                                const char* option) {
  const int J = K - 3;  // intervals between the boundary knots
  std::sort(v.begin(), v.end());
  std::size_t distinct = v.empty() ? 0 : 1;
  for (std::size_t i = 1; i < v.size(); ++i) distinct += v[i] != v[i - 1];
  check_distinct_values(distinct, K, column, option);
  const auto mm = std::minmax_element(v.begin(), v.end());
  const double lo = *mm.first, hi = *mm.second;
  std::vector<double> inner = even_inner_knots(lo, hi, J, column);
  if (spacing == "quantile") {
    std::vector<double> q(J + 1);
    const double last = static_cast<double>(v.size() - 1);
    for (int j = 0; j <= J; ++j) {
      const double pos = last * j / J;
      const std::size_t i0 = static_cast<std::size_t>(std::floor(pos));
      const std::size_t i1 = std::min(i0 + 1, v.size() - 1);
      q[j] = v[i0] + (pos - static_cast<double>(i0)) * (v[i1] - v[i0]);
    }
    q.front() = lo;
    q.back() = hi;
    bool distinct_q = true;
    for (int j = 1; j <= J; ++j) distinct_q = distinct_q && (q[j] - q[j - 1] > 1e-6 * (hi - lo));
    if (distinct_q) inner = q;  // ties (few distinct values): keep the even spacing
  }
  return with_boundary_knots(inner);
}

// Each margin's feature on the internal scale at row i.
double margin_value(const DataView& data, const Scaling& scaling, int l, std::size_t i) {
  return (data.C[i * data.m + l] - scaling.c_mean[l]) / scaling.c_scale[l];
}

}  // namespace

std::unique_ptr<ContextBasis> make_linear_basis(int m) { return std::make_unique<LinearBasis>(m); }

std::unique_ptr<ContextBasis> make_spline_basis(const EncoderSpec& spec, int m) {
  return std::make_unique<SplineBasis>(spec, m);
}

int spline_basis_size(const EncoderSpec& spec, int m) {
  validate_spline_spec(spec, m);
  int size = 1 + m * (spec.n_knots - 1);
  size += static_cast<int>(spec.interactions.size()) * (spec.interaction_knots - 1) * (spec.interaction_knots - 1);
  return size;
}

EncoderSpec prepare_spline_spec(const DataView& data, const Scaling& scaling, const EncoderSpec& spec, int threads) {
  const int m = data.m;
  validate_spline_spec(spec, m);
  if (!spec.knots.empty() || !spec.centres.empty()) {
    make_spline_basis(spec, m);  // checks the lengths and the knots
    return spec;
  }
  EncoderSpec out = spec;
  const MarginLayout L = margin_layout(spec, m);
  const int nm = static_cast<int>(L.K.size());
  std::vector<double> v(data.n);
  out.knots.clear();
  for (int g = 0; g < nm; ++g) {
    const int l = L.feature[g];
    for (std::size_t i = 0; i < data.n; ++i) v[i] = margin_value(data, scaling, l, i);
    const std::vector<double> t =
        place_knots(v, L.K[g], spec.knot_spacing, context_column_label(data, l),
                    g < m ? "n_knots" : "interaction_knots");
    out.knots.insert(out.knots.end(), t.begin(), t.end());
  }
  // A tensor-product term has interaction_knots^2 functions: above the default, at most the
  // distinct value pairs of its two columns (mgcv: "fewer unique covariate combinations than
  // specified maximum degrees of freedom"; interaction_knots=60 at n=200 ran for minutes).
  const long long default_ik = spline_default("interaction_knots");
  if (spec.interaction_knots > default_ik) {
    std::vector<std::pair<double, double>> pairs(data.n);
    for (const auto& pr : spec.interactions) {
      for (std::size_t i = 0; i < data.n; ++i) pairs[i] = {data.C[i * m + pr.first], data.C[i * m + pr.second]};
      std::sort(pairs.begin(), pairs.end());
      const std::size_t distinct = static_cast<std::size_t>(std::unique(pairs.begin(), pairs.end()) - pairs.begin());
      const long long k2 = static_cast<long long>(spec.interaction_knots) * spec.interaction_knots;
      if (static_cast<std::size_t>(k2) > distinct)
        throw InvalidArgument("interaction_knots=" + std::to_string(spec.interaction_knots) +
                              " gives the interaction of " + context_column_label(data, pr.first) + " and " +
                              context_column_label(data, pr.second) + " " + std::to_string(k2) +
                              " basis functions, more than their " + std::to_string(distinct) +
                              " distinct value pairs (as mgcv refuses); use interaction_knots <= " +
                              std::to_string(std::max<long long>(
                                  default_ik, static_cast<long long>(std::sqrt(static_cast<double>(distinct))))));
    }
  }
  return spline_spec_with_centres(out, m, spline_centre_sums(data, scaling, out, threads));
}

std::vector<double> spline_centre_sums(const DataView& data, const Scaling& scaling, const EncoderSpec& out,
                                       int threads) {
  const MarginLayout L = margin_layout(out, data.m);
  const int nm = static_cast<int>(L.K.size());
  require(static_cast<int>(out.knots.size()) == L.knots_total, "the spline's knots are not placed");
  // Weighted sums of each margin's functions over the data (and the total weight last),
  // accumulated in fixed row blocks and summed in block order (deterministic for any thread
  // count).
  std::vector<BSplineMargin> margins;
  for (int g = 0; g < nm; ++g) margins.emplace_back(out.knots.data() + L.knot_offset[g], L.K[g]);
  const int width = L.knots_total;  // room for every margin's K sums (K + 4 > K)
  const std::size_t blocks = (data.n + kBlockRows - 1) / kBlockRows;
  const int groups = reduction_groups(data.n, kBlockRows, kMaxGroups);
  std::vector<double> sums(static_cast<std::size_t>(groups) * (width + 1), 0.0);
#pragma omp parallel for num_threads(resolve_threads(threads)) schedule(static)
  for (int gi = 0; gi < groups; ++gi) {
    double* acc = sums.data() + static_cast<std::size_t>(gi) * (width + 1);
    double val[4];
    const std::size_t i0 = blocks * gi / groups * kBlockRows;
    const std::size_t i1 = std::min<std::size_t>(data.n, blocks * (gi + 1) / groups * kBlockRows);
    for (std::size_t i = i0; i < i1; ++i) {
      const double s = data.weights ? data.weights[i] : 1.0;
      acc[width] += s;
      for (int g = 0; g < nm; ++g) {
        const int f = margins[g].eval(margin_value(data, scaling, L.feature[g], i), val);
        for (int r = 0; r < 4; ++r) acc[L.knot_offset[g] + f + r] += s * val[r];
      }
    }
  }
  std::vector<double> total(width + 1, 0.0);
  for (int gi = 0; gi < groups; ++gi)
    for (int j = 0; j <= width; ++j) total[j] += sums[static_cast<std::size_t>(gi) * (width + 1) + j];
  return total;
}

EncoderSpec spline_spec_with_centres(const EncoderSpec& spec, int m, const std::vector<double>& total) {
  const MarginLayout L = margin_layout(spec, m);
  const int nm = static_cast<int>(L.K.size()), width = L.knots_total;
  require(total.size() == static_cast<std::size_t>(width) + 1,
          "the spline's centre sums must hold " + std::to_string(width + 1) + " values");
  require(total[width] > 0.0, "the spline's centres need a positive total weight");
  EncoderSpec out = spec;
  out.centres.clear();
  for (int g = 0; g < nm; ++g)
    for (int a = 1; a < L.K[g]; ++a) out.centres.push_back(total[L.knot_offset[g] + a] / total[width]);
  return out;
}

SplineColumnSummary spline_column_summary(const DataView& data, const Scaling& scaling, const EncoderSpec& spec) {
  validate_spline_spec(spec, data.m);
  require(static_cast<int>(scaling.c_mean.size()) == data.m, "the scaling does not match the context's columns");
  const MarginLayout L = margin_layout(spec, data.m);
  const int nm = static_cast<int>(L.K.size());
  SplineColumnSummary out;
  out.lo.assign(nm, std::numeric_limits<double>::infinity());
  out.hi.assign(nm, -std::numeric_limits<double>::infinity());
  out.values.resize(nm);
  for (int g = 0; g < nm; ++g) {
    std::vector<double> v(data.n);
    for (std::size_t i = 0; i < data.n; ++i) v[i] = margin_value(data, scaling, L.feature[g], i);
    if (!v.empty()) {
      const auto mm = std::minmax_element(v.begin(), v.end());
      out.lo[g] = *mm.first;
      out.hi[g] = *mm.second;
    }
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    if (v.size() > static_cast<std::size_t>(L.K[g])) v.resize(L.K[g]);  // enough to tell "at least K"
    out.values[g] = std::move(v);
  }
  return out;
}

void add_spline_column_summary(SplineColumnSummary* into, const SplineColumnSummary& part, const EncoderSpec& spec,
                               int m) {
  const MarginLayout L = margin_layout(spec, m);
  const std::size_t nm = L.K.size();
  require(into->lo.size() == nm && part.lo.size() == nm && into->values.size() == nm && part.values.size() == nm,
          "the partitions' spline summaries do not match the spline's margins");
  for (std::size_t g = 0; g < nm; ++g) {
    into->lo[g] = std::min(into->lo[g], part.lo[g]);
    into->hi[g] = std::max(into->hi[g], part.hi[g]);
    std::vector<double> merged;
    std::set_union(into->values[g].begin(), into->values[g].end(), part.values[g].begin(), part.values[g].end(),
                   std::back_inserter(merged));
    if (merged.size() > static_cast<std::size_t>(L.K[g])) merged.resize(L.K[g]);
    into->values[g] = std::move(merged);
  }
}

EncoderSpec spline_spec_from_summary(const EncoderSpec& spec, int m, const SplineColumnSummary& total,
                                     const std::vector<std::string>& context_names) {
  validate_spline_spec(spec, m);
  require(spec.knot_spacing == "even",
          "knot_spacing='quantile' needs every value of each context column at once; for data held in "
          "partitions use knot_spacing='even' (the default)");
  require(spec.interactions.empty() || spec.interaction_knots <= spline_default("interaction_knots"),
          "interaction_knots above the default needs every pair of context values at once; for data held in "
          "partitions keep interaction_knots at its default or below");
  const MarginLayout L = margin_layout(spec, m);
  const int nm = static_cast<int>(L.K.size());
  require(static_cast<int>(total.lo.size()) == nm && static_cast<int>(total.values.size()) == nm,
          "the spline summary does not match the spline's margins");
  DataView names;
  names.context_names = &context_names;
  EncoderSpec out = spec;
  out.knots.clear();
  for (int g = 0; g < nm; ++g) {
    const std::string column = context_column_label(names, L.feature[g]);
    const char* option = g < m ? "n_knots" : "interaction_knots";
    check_distinct_values(total.values[g].size(), L.K[g], column, option);
    const std::vector<double> t = with_boundary_knots(even_inner_knots(total.lo[g], total.hi[g], L.K[g] - 3, column));
    out.knots.insert(out.knots.end(), t.begin(), t.end());
  }
  return out;
}

}  // namespace ctxstats
