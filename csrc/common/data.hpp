// The data a fit sees: borrowed row-major arrays (never copied) plus the standardisation
// that maps them to the internal scale. Rows are standardised block by block as they are
// read, so no standardised copy of the data is ever held.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "common/family.hpp"

namespace ctxstats {

struct DataView {
  std::size_t n = 0;
  int p = 0;                     // predictors (columns of X)
  int m = 0;                     // context features (columns of C)
  const double* C = nullptr;     // n x m, row-major
  const double* X = nullptr;     // n x p, row-major
  const double* y = nullptr;     // n
  const double* weights = nullptr;  // n, optional (nullptr: all ones)
  // The context columns' names as the user gave them (a DataFrame's columns, a formula's
  // terms), optional: messages about a column name it by them (context_column_label).
  const std::vector<std::string>* context_names = nullptr;
};

// How messages name context column j: 'age' when the binding passed names, else column j.
std::string context_column_label(const DataView& data, int j);

// Internal scale: c' = (c - c_mean) / c_scale, x' = (x - x_mean) / x_scale,
// y' = (y - y_mean) / y_scale (gaussian only; identity for the other families).
// Without an intercept nothing is centred (centring would add one) and scales are RMS.
struct Scaling {
  std::vector<double> c_mean, c_scale, x_mean, x_scale;
  double y_mean = 0.0, y_scale = 1.0;
  bool intercept = true;
  int q() const { return static_cast<int>(x_mean.size()) + (intercept ? 1 : 0); }
};

// compute_scaling split over partitions of the rows (ctxstats.dask): pass 1 sums each column
// (about = nullptr), pass 2 sums squared deviations about the means pass 1 gave (about: the
// scaling scaling_means returns). Also the totals of the weights and of weight * y (a poisson
// fit's start) and the largest weight. partition_sums validates the partition as
// validate_data does (messages name the column and the partition's own row), except the
// checks on the weights' total and range, which scaling_from_sums makes on the whole data.
struct ColumnSums {
  double rows = 0.0;
  std::vector<double> c, x;
  double y = 0.0;
  double s = 0.0, sy = 0.0, s_max = 0.0;
};
ColumnSums partition_sums(const DataView& data, Family family, const Scaling* about);
void add_column_sums(ColumnSums* into, const ColumnSums& part);
// Pass 1's result: the means compute_scaling would centre by (0 where it does not centre), scales 1.
Scaling scaling_means(const ColumnSums& sums, Family family, bool intercept);
// The scaling compute_scaling gives on all the rows, from both passes' totals.
Scaling scaling_from_sums(const ColumnSums& sums, const ColumnSums& squares, Family family, bool intercept);

// Validates shapes and finiteness (messages name exog/context/endog/weights and the
// column) and computes the scaling.
Scaling compute_scaling(const DataView& data, Family family, bool intercept);
void validate_data(const DataView& data, Family family);

// Throws InvalidArgument naming `name`, the column and the row of the first NaN or inf.
void check_finite(const double* a, std::size_t n, int cols, const char* name);

// Loads rows [start, start + rows) -- or rows idx[start .. start + rows) when idx is given --
// on the internal scale. Cs: rows x m, Xs: rows x q with a leading 1 when there is an
// intercept, ys and ws: rows (ws gets 1 where there are no weights).
void load_rows(const DataView& data, const Scaling& scaling, const std::size_t* idx, std::size_t start,
               int rows, double* Cs, double* Xs, double* ys, double* ws);

// Checks a scaling that comes from outside a fit (a binding, a model file): the context and
// predictor vectors pair up in length, every value is finite and every scale positive, so
// that nothing downstream reads past a vector or divides by zero. InvalidArgument otherwise.
void validate_scaling(const Scaling& scaling);

// Maps per-sample parameters from the internal scale to the user's units, in place
// (theta: rows x q, intercept first when present).
void theta_to_original(const Scaling& scaling, double* theta, std::size_t rows);

// Standardises a context matrix (rows x m, user units) onto the internal scale.
void scale_context(const Scaling& scaling, const double* C, std::size_t rows, int m, double* out);

}  // namespace ctxstats
