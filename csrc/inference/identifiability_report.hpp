// The identifiability report of a contextualized GLM (Lengerich et al. 2023, section 4), and
// the spline encoder's checks, computed once for both languages.
//
// The report is a table of checks (check, value, threshold, passed) and a sentence per failed
// check naming the columns or terms involved; the bindings only pass names in, turn the
// table into a data frame and warn. Checks, in order:
// - counting: n > d_g d_s, d_g the dimension of the encoder's last representation h(c)
//   (representation_dim), d_s = q the parameters per sample model;
// - predictors: constant and duplicated columns of X, rank and condition number of the
//   standardised [1, X] (X without an intercept);
// - context: constant and duplicated columns of C, rank and condition number of [1, C];
// - interaction design (linear encoder without archetypes): rank and condition number of
//   [1, x] (x) [1, c], naming the aliased predictor x context terms;
// - archetypes: K <= d_s + 1, and the affine rank of the fitted archetypes;
// - stability (with bootstrap replicates): per coefficient, the share of samples whose sign
//   flips, failing only for a coefficient whose average effect is significant.
//
// Rank, condition number and aliasing are read off the Gram matrices of the standardised
// designs (design_grams: one deterministic pass) when those show a well-conditioned matrix
// (condition number < kGramFastCond); otherwise the rows are formed block by block and an
// unpivoted QR (TSQR, serial, so identical for any thread count) names the aliased columns:
// column j is aliased when its residual on the columns before it is below kAliasTol of its
// norm (as R's alias()); its partners are the earlier columns in its least-squares
// representation. Condition numbers are of column-normalised matrices.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "common/data.hpp"
#include "encoders/encoder.hpp"
#include "smoothing/smoothing.hpp"

namespace ctxstats {

constexpr double kConditionLimit = 1e3;  // condition number of a column-normalised, standardised design
constexpr double kAliasTol = 1e-9;       // relative residual below which a column is aliased
constexpr double kGramFastCond = 1e4;    // below this the Gram matrix settles the diagnosis
constexpr double kFlipRate = 0.1;        // a sample's sign flips in more than this share of replicates
constexpr double kSignFlipLimit = 0.5;   // the stability check fails above this share of samples

struct AliasedColumn {
  int column = 0;             // index into the design's columns
  std::vector<int> partners;  // earlier columns it is a combination of (empty: identically zero)
};

struct DesignDiagnosis {
  int columns = 0;
  int rank = 0;
  double condition_number = 0.0;  // of the column-normalised matrix (inf when a column is aliased exactly)
  std::vector<AliasedColumn> aliased;
};

struct ColumnChecks {
  std::vector<int> constant;                    // columns whose minimum equals their maximum
  std::vector<std::pair<int, int>> duplicated;  // (later column, the first earlier one equal to it)
};

struct IdentifiabilityCheck {
  std::string check;
  double value = 0.0, threshold = 0.0;
  bool passed = true;
};

// One named finding: a constant, duplicated or aliased column of a design, and the columns it
// equals or is a combination of.
struct IdentifiabilityFinding {
  std::string design;             // "exog", "context", "[1, X]" (or "X"), "[1, C]", "interaction design"
  std::string kind;               // "constant", "duplicated" or "aliased"
  std::string column;
  std::vector<std::string> with;  // the original (duplicated) or the partners (aliased; empty: zero column)
};

struct IdentifiabilityInput {
  std::vector<std::string> param_names, exog_names, context_names;
  std::vector<double> weights;          // fitted encoder weights (archetype check); may be empty
  std::vector<double> sign_flip_share;  // per coefficient; empty: no stability check
  std::vector<int> sign_determined;     // per coefficient (1: interval excludes zero); empty: all
  int threads = 1;
};

struct IdentifiabilityReport {
  std::vector<IdentifiabilityCheck> checks;
  std::vector<std::string> notes;  // one sentence per failed check
  std::vector<IdentifiabilityFinding> findings;  // every constant, duplicated and aliased column, named
  int representation_dim = 0;      // d_g
  ColumnChecks x_columns, c_columns;
  DesignDiagnosis x, c, z;         // z: the interaction design (columns == 0 when not checked)
  int archetype_rank = -1;         // affine rank of the fitted archetypes (-1: not checked)
};

// d_g, the dimension of the encoder's last representation h(c) for m context features.
int representation_dim(const EncoderSpec& encoder, int m);

// The whole report. Throws InvalidArgument when names or vectors do not match the data, or
// when a column is too large in magnitude to standardise in double precision.
IdentifiabilityReport identifiability_report(const DataView& data, const Scaling& scaling, const EncoderSpec& encoder,
                                             const IdentifiabilityInput& input);

// ---- the spline encoder -------------------------------------------------------------------

// A basis term's block of columns, for the spline checks.
struct SplineTermBlock {
  int offset = 0, size = 0;
  std::string label;  // the context feature(s), for the messages
};

struct SplineIdentifiability {
  int basis_size = 0, basis_rank = 0;    // of the basis Gram matrix over the fitted samples
  int design_size = 0, design_rank = 0;  // of Z'WZ
  double condition_number = 0.0;         // of Vp (equivalently of Z'WZ + S_lambda)
  std::vector<int> rank_deficient;       // indices into the term blocks whose own basis is rank deficient
  std::vector<double> worst, observed;   // concurvity per term block (observed NaN: no non-zero function)
  std::vector<std::string> warnings;     // messages for summary() and the front ends' warnings
};

// Concurvity (mgcv's concurvity: worst = the largest squared canonical correlation between a
// term's span and the other terms' spans and the constant; observed = the largest share for
// the fitted functions over the q coefficients) and the rank checks of a spline fit, from its
// smoothing report (gram, H, Vp, edf_total, n) and weights (q x basis size, row-major).
SplineIdentifiability spline_identifiability(const SmoothingReport& report, const std::vector<SplineTermBlock>& terms,
                                             int basis_size, const std::vector<double>& weights);

}  // namespace ctxstats
