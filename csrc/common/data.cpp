#include "common/data.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "common/error.hpp"

namespace ctxstats {

std::string context_column_label(const DataView& data, int j) {
  if (data.context_names && j >= 0 && static_cast<std::size_t>(j) < data.context_names->size())
    return "context column '" + (*data.context_names)[j] + "'";
  return "context column " + std::to_string(j);
}

void check_finite(const double* a, std::size_t n, int cols, const char* name) {
  if (cols == 0) return;
  require(a != nullptr, std::string(name) + " is missing");
  // The message is built only on failure (building it per element costs more than the check).
  for (std::size_t i = 0; i < n; ++i)
    for (int j = 0; j < cols; ++j)
      if (!std::isfinite(a[i * cols + j]))
        throw InvalidArgument(std::string(name) + " column " + std::to_string(j) +
                              " contains a non-finite value (NaN or inf) at row " + std::to_string(i));
}

namespace {

// Mean and scale of column j. A constant column keeps scale 1 so that it maps to zero
// rather than to NaN; the identifiability report names it.
double column_scale(double mu, double ss, double n) {
  double sd = std::sqrt(ss / n);
  if (!(sd > 1e-12 * (std::fabs(mu) + 1e-300)) || !std::isfinite(sd)) sd = 1.0;
  return sd;
}

void column_moments(const double* a, std::size_t n, int cols, int j, bool centre, double* mean, double* scale) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += a[i * cols + j];
  const double mu = centre ? s / static_cast<double>(n) : 0.0;
  double ss = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = a[i * cols + j] - mu;
    ss += d * d;
  }
  *mean = mu;
  *scale = column_scale(mu, ss, static_cast<double>(n));
}

}  // namespace

namespace {

// Values whose squares overflow make the standardisation and every sum of squares inf and the
// fit NaN (issue 13): refuse them, naming the column, rather than fit nonsense.
constexpr double kMaxMagnitude = 1e150;

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

void check_magnitude(const double* a, std::size_t n, int cols, const char* name) {
  for (std::size_t i = 0; i < n; ++i)
    for (int j = 0; j < cols; ++j)
      if (std::fabs(a[i * cols + j]) > kMaxMagnitude)
        throw InvalidArgument(std::string(name) + " column " + std::to_string(j) + " has a value of magnitude " +
                              short_number(std::fabs(a[i * cols + j])) + " at row " + std::to_string(i) +
                              ", beyond what can be fitted (1e150); rescale it");
}

}  // namespace

void validate_data(const DataView& data, Family family) {
  require(data.n > 0, "the data have zero rows");
  require(data.p >= 0 && data.m >= 0, "exog and context must be two-dimensional");
  require(data.m > 0, "context must have at least one column");
  check_finite(data.X, data.n, data.p, "exog");
  check_finite(data.C, data.n, data.m, "context");
  check_magnitude(data.X, data.n, data.p, "exog");
  check_magnitude(data.C, data.n, data.m, "context");
  require(data.y != nullptr, "endog is missing");
  validate_response(family, data.y, data.n);
  check_magnitude(data.y, data.n, 1, "endog");
  if (data.weights) {
    double total = 0.0, largest = 0.0;
    for (std::size_t i = 0; i < data.n; ++i) {
      if (!(std::isfinite(data.weights[i]) && data.weights[i] >= 0.0))
        throw InvalidArgument("weights must be finite and non-negative; row " + std::to_string(i) + " is not");
      total += data.weights[i];
      largest = std::max(largest, data.weights[i]);
    }
    require(total > 0.0, "weights sum to zero");
    // Weights are relative; extreme scales overflow or underflow the weighted sums.
    require(largest >= 1e-100 && largest <= 1e100 && std::isfinite(total),
            "weights must have their largest value between 1e-100 and 1e100 (it is " + short_number(largest) +
                "); weights are relative: divide them by their largest value");
  }
}

Scaling compute_scaling(const DataView& data, Family family, bool intercept) {
  validate_data(data, family);
  Scaling s;
  s.intercept = intercept;
  s.c_mean.resize(data.m);
  s.c_scale.resize(data.m);
  for (int j = 0; j < data.m; ++j) column_moments(data.C, data.n, data.m, j, true, &s.c_mean[j], &s.c_scale[j]);
  s.x_mean.resize(data.p);
  s.x_scale.resize(data.p);
  for (int j = 0; j < data.p; ++j)
    column_moments(data.X, data.n, data.p, j, intercept, &s.x_mean[j], &s.x_scale[j]);
  if (family == Family::kGaussian) column_moments(data.y, data.n, 1, 0, intercept, &s.y_mean, &s.y_scale);
  return s;
}

ColumnSums partition_sums(const DataView& data, Family family, const Scaling* about) {
  ColumnSums out;
  out.c.assign(data.m, 0.0);
  out.x.assign(data.p, 0.0);
  if (data.n == 0) return out;  // an empty partition adds nothing
  DataView unweighted = data;
  unweighted.weights = nullptr;
  validate_data(unweighted, family);
  if (about) {
    require(static_cast<int>(about->c_mean.size()) == data.m && static_cast<int>(about->x_mean.size()) == data.p,
            "the scaling does not match the partition's columns");
  }
  const bool gaussian = family == Family::kGaussian;
  out.rows = static_cast<double>(data.n);
  for (std::size_t i = 0; i < data.n; ++i) {
    for (int j = 0; j < data.m; ++j) {
      const double v = data.C[i * data.m + j];
      out.c[j] += about ? (v - about->c_mean[j]) * (v - about->c_mean[j]) : v;
    }
    for (int j = 0; j < data.p; ++j) {
      const double v = data.X[i * data.p + j];
      out.x[j] += about ? (v - about->x_mean[j]) * (v - about->x_mean[j]) : v;
    }
    if (gaussian) out.y += about ? (data.y[i] - about->y_mean) * (data.y[i] - about->y_mean) : data.y[i];
    const double s = data.weights ? data.weights[i] : 1.0;
    if (!(std::isfinite(s) && s >= 0.0))
      throw InvalidArgument("weights must be finite and non-negative; row " + std::to_string(i) + " is not");
    out.s += s;
    out.sy += s * data.y[i];
    out.s_max = std::max(out.s_max, s);
  }
  return out;
}

void add_column_sums(ColumnSums* into, const ColumnSums& part) {
  require(into->c.size() == part.c.size() && into->x.size() == part.x.size(),
          "the partitions have different numbers of columns (" + std::to_string(into->c.size()) + " and " +
              std::to_string(part.c.size()) + " context, " + std::to_string(into->x.size()) + " and " +
              std::to_string(part.x.size()) + " exog)");
  into->rows += part.rows;
  for (std::size_t j = 0; j < part.c.size(); ++j) into->c[j] += part.c[j];
  for (std::size_t j = 0; j < part.x.size(); ++j) into->x[j] += part.x[j];
  into->y += part.y;
  into->s += part.s;
  into->sy += part.sy;
  into->s_max = std::max(into->s_max, part.s_max);
}

Scaling scaling_means(const ColumnSums& sums, Family family, bool intercept) {
  require(sums.rows > 0.0, "the data have zero rows");
  require(sums.s > 0.0, "weights sum to zero");
  require(sums.s_max >= 1e-100 && sums.s_max <= 1e100 && std::isfinite(sums.s),
          "weights must have their largest value between 1e-100 and 1e100 (it is " + short_number(sums.s_max) +
              "); weights are relative: divide them by their largest value");
  Scaling s;
  s.intercept = intercept;
  for (double v : sums.c) s.c_mean.push_back(v / sums.rows);  // context columns are always centred
  for (double v : sums.x) s.x_mean.push_back(intercept ? v / sums.rows : 0.0);
  s.c_scale.assign(s.c_mean.size(), 1.0);
  s.x_scale.assign(s.x_mean.size(), 1.0);
  if (family == Family::kGaussian && intercept) s.y_mean = sums.y / sums.rows;
  return s;
}

Scaling scaling_from_sums(const ColumnSums& sums, const ColumnSums& squares, Family family, bool intercept) {
  Scaling s = scaling_means(sums, family, intercept);
  require(squares.c.size() == s.c_mean.size() && squares.x.size() == s.x_mean.size() && squares.rows == sums.rows,
          "the two passes over the partitions saw different data");
  for (std::size_t j = 0; j < s.c_mean.size(); ++j) s.c_scale[j] = column_scale(s.c_mean[j], squares.c[j], sums.rows);
  for (std::size_t j = 0; j < s.x_mean.size(); ++j) s.x_scale[j] = column_scale(s.x_mean[j], squares.x[j], sums.rows);
  if (family == Family::kGaussian) s.y_scale = column_scale(s.y_mean, squares.y, sums.rows);
  return s;
}

void load_rows(const DataView& data, const Scaling& scaling, const std::size_t* idx, std::size_t start, int rows,
               double* Cs, double* Xs, double* ys, double* ws) {
  const int m = data.m, p = data.p, off = scaling.intercept ? 1 : 0, q = p + off;
  for (int r = 0; r < rows; ++r) {
    const std::size_t i = idx ? idx[start + r] : start + r;
    const double* c = data.C + i * m;
    for (int j = 0; j < m; ++j) Cs[r * m + j] = (c[j] - scaling.c_mean[j]) / scaling.c_scale[j];
    double* xo = Xs + static_cast<std::size_t>(r) * q;
    if (off) xo[0] = 1.0;
    const double* x = data.X + i * p;
    for (int j = 0; j < p; ++j) xo[off + j] = (x[j] - scaling.x_mean[j]) / scaling.x_scale[j];
    ys[r] = (data.y[i] - scaling.y_mean) / scaling.y_scale;
    ws[r] = data.weights ? data.weights[i] : 1.0;
  }
}

// eta = sum_j b'_j (x_j - xm_j)/xs_j + mu', on the y' scale. In user units:
// beta_j = ys * b'_j / xs_j and mu = ys * (mu' - sum_j b'_j xm_j / xs_j) + ym.
void theta_to_original(const Scaling& scaling, double* theta, std::size_t rows) {
  const int p = static_cast<int>(scaling.x_mean.size()), off = scaling.intercept ? 1 : 0, q = p + off;
  for (std::size_t r = 0; r < rows; ++r) {
    double* t = theta + r * q;
    double shift = 0.0;
    for (int j = 0; j < p; ++j) {
      const double b = t[off + j] / scaling.x_scale[j];
      shift += b * scaling.x_mean[j];
      t[off + j] = scaling.y_scale * b;
    }
    if (off) t[0] = scaling.y_scale * (t[0] - shift) + scaling.y_mean;
  }
}

void validate_scaling(const Scaling& s) {
  require(!s.c_mean.empty() && s.c_mean.size() == s.c_scale.size(),
          "the model's context scaling is malformed: c_mean and c_scale must have one entry per context column (" +
              std::to_string(s.c_mean.size()) + " and " + std::to_string(s.c_scale.size()) + ")");
  require(s.x_mean.size() == s.x_scale.size(),
          "the model's predictor scaling is malformed: x_mean and x_scale must have one entry per predictor (" +
              std::to_string(s.x_mean.size()) + " and " + std::to_string(s.x_scale.size()) + ")");
  const auto check = [](const std::vector<double>& mean, const std::vector<double>& scale, const char* what) {
    for (std::size_t j = 0; j < mean.size(); ++j)
      if (!std::isfinite(mean[j]) || !(std::isfinite(scale[j]) && scale[j] > 0.0))
        throw InvalidArgument(std::string("the model's ") + what + " scaling is malformed: entry " + std::to_string(j) +
                              " is not finite, or its scale is not positive");
  };
  check(s.c_mean, s.c_scale, "context");
  check(s.x_mean, s.x_scale, "predictor");
  require(std::isfinite(s.y_mean) && std::isfinite(s.y_scale) && s.y_scale > 0.0,
          "the model's response scaling is malformed: y_mean must be finite and y_scale positive");
}

void scale_context(const Scaling& scaling, const double* C, std::size_t rows, int m, double* out) {
  require(m == static_cast<int>(scaling.c_mean.size()),
          "context has " + std::to_string(m) + " columns; the model was fitted with " +
              std::to_string(scaling.c_mean.size()));
  check_finite(C, rows, m, "context");
  for (std::size_t r = 0; r < rows; ++r)
    for (int j = 0; j < m; ++j) out[r * m + j] = (C[r * m + j] - scaling.c_mean[j]) / scaling.c_scale[j];
}

}  // namespace ctxstats
