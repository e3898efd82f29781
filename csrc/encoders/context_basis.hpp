// Context bases b(c) for the models that are linear in their parameters:
//   theta_ik = sum_l W_kl b_l(c_i),   eta_i = x~_i . theta_i,
// so the model is a GLM on the design z_i = x~_i (x) b(c_i) and the exact solver can fit it.
//
// A basis is described in two layers:
//   raw basis r(c) (raw_size values, few of them non-zero for a spline), which the exact
//   solver accumulates sparsely, and
//   constrained basis b(c) = T' r(c) (size values), the one the weights multiply.
// T removes the directions that would make the model unidentifiable (a spline's constant,
// which the intercept column b_0 = 1 already carries).
//
// LinearBasis: b(c) = [1, c]; raw = constrained.
// SplineBasis: b(c) = [1, f_1(c_1), ..., f_m(c_m), g_1(c_a, c_b), ...] where each f_l is a
// cubic B-spline basis of K functions with its first function dropped and the others centred
// at their (weighted) means over the fitted data (mgcv's sum-to-zero constraint), each g_t a
// tensor product of two such centred margins (mgcv's ti()). Beyond the boundary knots the
// basis continues linearly (value and slope of the boundary), as a natural spline would.
// Each smooth carries a second-difference (P-spline) penalty on its coefficients; a tensor
// term carries one per margin, S_1 (x) I and I (x) S_2.
#pragma once
#include <Eigen/Dense>
#include <memory>
#include <string>
#include <vector>

#include "common/data.hpp"
#include "encoders/encoder.hpp"

namespace ctxstats {

// A block of the constrained basis: the constant, one context feature's smooth, or a
// tensor-product interaction of two features.
struct BasisTerm {
  enum Kind { kConstant, kLinear, kMain, kTensor } kind = kConstant;
  int feature1 = -1, feature2 = -1;  // context columns (0-based); feature2 for tensors only
  int offset = 0, size = 0;          // columns of the constrained basis
};

// One quadratic penalty w_block' S w_block on the columns [offset, offset + S.rows()) of the
// constrained basis; `term` indexes terms().
struct BasisPenalty {
  int term = 0;
  int offset = 0;
  Eigen::MatrixXd S;
  int rank = 0;
};

class ContextBasis {
 public:
  virtual ~ContextBasis() = default;

  int m() const { return m_; }
  int size() const { return size_; }
  int raw_size() const { return raw_size_; }
  int max_nonzeros() const { return max_nonzeros_; }
  // True when few raw functions are non-zero at any c (the solver then accumulates sparsely).
  virtual bool sparse() const = 0;
  // True when raw function 0 is the constant, always listed first by raw_row, and the raw
  // functions [offset, offset + size) sum to one at every c (a B-spline margin): sums over
  // the constant then follow from sums over that margin.
  virtual bool unity_margin(int* /*offset*/, int* /*size*/) const { return false; }
  // Raw basis at one (standardised) context row: writes at most max_nonzeros() pairs
  // (idx ascending, val) and returns their count.
  virtual int raw_row(const double* c, int* idx, double* val) const = 0;
  // T (raw_size x size).
  const Eigen::MatrixXd& transform() const { return T_; }
  bool identity_transform() const { return identity_; }
  // Constrained basis of `rows` rows of C (rows x m) into out (rows x size), row-major.
  void eval(const double* C, int rows, double* out) const;

  const std::vector<BasisTerm>& terms() const { return terms_; }
  const std::vector<BasisPenalty>& penalties() const { return penalties_; }
  // Smoothing parameters fixed by the user, one per (output, penalty) pair, output major;
  // empty: the exact solver estimates them by REML.
  const std::vector<double>& fixed_smoothing() const { return fixed_smoothing_; }
  // "REML" or "GCV" (GCV with an unknown scale, UBRE with a known one: mgcv's "GCV.Cp").
  const std::string& smoothing_method() const { return smoothing_method_; }

 protected:
  int m_ = 0, size_ = 0, raw_size_ = 0, max_nonzeros_ = 0;
  bool identity_ = true;
  Eigen::MatrixXd T_;
  std::vector<BasisTerm> terms_;
  std::vector<BasisPenalty> penalties_;
  std::vector<double> fixed_smoothing_;
  std::string smoothing_method_ = "REML";
  // T by rows (for eval); finish_transform() builds it once T_ is set.
  std::vector<int> row_start_, row_col_;
  std::vector<double> row_val_;
  void finish_transform();
};

// b(c) = [1, c]: the linear varying-coefficient model.
std::unique_ptr<ContextBasis> make_linear_basis(int m);

// The spline basis of a spec whose knots and centres are filled (see prepare_spline_spec).
std::unique_ptr<ContextBasis> make_spline_basis(const EncoderSpec& spec, int m);

// Number of constrained basis functions of a spline spec (no data needed).
int spline_basis_size(const EncoderSpec& spec, int m);

// Places the knots (on the internal scale, from the data) and computes the centring means
// when the spec has none; returns the completed spec. A spec that already carries knots is
// checked and returned unchanged (refits on resampled weights keep the original basis).
EncoderSpec prepare_spline_spec(const DataView& data, const Scaling& scaling, const EncoderSpec& spec, int threads);

// prepare_spline_spec split over partitions of the rows (ctxstats.dask), for even knot
// spacing: each partition's summary of every margin's feature on the internal scale (its range
// and up to K of its distinct values, enough for the check that a basis is not larger than the
// data's distinct values), the summaries added in partition order, the knots from the total;
// then each partition's weighted sums of every margin's functions (and the total weight,
// last), added in order, give the centres. On all the rows at once these are
// prepare_spline_spec's own steps, so a spec placed this way equals it up to the rounding of
// the scaling.
struct SplineColumnSummary {
  std::vector<double> lo, hi;               // per margin
  std::vector<std::vector<double>> values;  // per margin: sorted distinct values, at most K
};
SplineColumnSummary spline_column_summary(const DataView& data, const Scaling& scaling, const EncoderSpec& spec);
void add_spline_column_summary(SplineColumnSummary* into, const SplineColumnSummary& part, const EncoderSpec& spec,
                               int m);
// The knots from all the rows' summary (quantile spacing and interaction_knots above the
// default are refused: they need every value at once). context_names: for messages.
EncoderSpec spline_spec_from_summary(const EncoderSpec& spec, int m, const SplineColumnSummary& total,
                                     const std::vector<std::string>& context_names);
std::vector<double> spline_centre_sums(const DataView& data, const Scaling& scaling, const EncoderSpec& spec,
                                       int threads);
EncoderSpec spline_spec_with_centres(const EncoderSpec& spec, int m, const std::vector<double>& total);

// One cubic B-spline margin: K functions on knots t (K + 4 of them).
class BSplineMargin {
 public:
  BSplineMargin() = default;
  BSplineMargin(const double* knots, int K);
  int size() const { return K_; }
  double lower() const { return t_[3]; }
  double upper() const { return t_[K_]; }
  // The 4 non-zero values at x (linear continuation outside [lower, upper]); returns the
  // index of the first of them.
  int eval(double x, double* val) const;
  const std::vector<double>& knots() const { return t_; }

 private:
  int K_ = 0;
  std::vector<double> t_;
  double h_ = 0.0;        // interval width when the knots are evenly spaced
  bool uniform_ = false;
  int lo_first_ = 0, hi_first_ = 0;
  double lo_val_[4] = {0, 0, 0, 0}, lo_der_[4] = {0, 0, 0, 0}, hi_val_[4] = {0, 0, 0, 0},
         hi_der_[4] = {0, 0, 0, 0};
  void inside(double x, int i, double* val) const;
  void derivative(double x, int i, double* der) const;
  int interval(double x) const;
};

}  // namespace ctxstats
