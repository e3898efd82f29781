// The fitted contextualized GLM as the core holds it, and its file: everything a front end
// needs to predict, summarise and refit, in language-neutral types, so that a model saved
// from Python loads in R and the reverse and predicts bitwise identically.
//
// A FittedModel is built by a binding from a fit it made (the options it passed, the core's
// FitResult and bootstrap) plus what only the front end knows: names, the training data (so
// that covariances and tests can be recomputed after loading) and free-form annotations
// (`meta`: a formula and its fitted transforms, the covariance type). The file
// (ModelFile, model_file.hpp) holds named records:
//
//   model/kind, model/m, model/p          "glm"; context columns; predictors (no intercept)
//   option/<name>                         every resolved option, typed by the option table
//   scaling/{c_mean,c_scale,x_mean,x_scale,y_mean,y_scale,intercept}
//   weights                               the encoder weights (internal scale)
//   fit/{solver,n_iter,converged,objective,history,val_history,message,rank_deficient,interrupted}
//   fit/{early_best_iter,early_val_loss,early_split_iter}   when the fit stopped early
//   smoothing/...                         a spline fit's smoothing report (Vp, H, edf, ...)
//   bootstrap/{weights,n_iter,converged,objective,interrupted,message}   when replicates exist
//   bootstrap/rule (string: the replicate rule, glm/bootstrap.hpp)        when recorded
//   names/{params,context,response}
//   data/{C,X,y,weights}                  optional training data
//   meta/<key>                            strings for the front ends
//
// validate_fitted_model checks every array against the model's dimensions (weights against
// the encoder, scaling against m and p, Vp against the weights, replicates, names, data), so
// that a damaged or crafted file is refused with InvalidArgument before anything reads it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "glm/bootstrap.hpp"
#include "glm/fit.hpp"
#include "inference/bootstrap_summary.hpp"
#include "model/model_file.hpp"
#include "options/schema.hpp"

namespace ctxstats {

struct TrainingData {
  std::size_t n = 0;                  // 0: not kept
  std::vector<double> C, X, y;        // n x m, n x p (row-major), n
  std::vector<double> weights;        // n, or empty (no prior weights)
};

struct FittedModel {
  OptionMap options;                  // the resolved options the fit ran with (a spline's knots included)
  FitOptions fit_options;             // read from `options` (strict = false)
  int m = 0;                          // context columns
  int p = 0;                          // predictors, without the intercept
  FitResult fit;                      // weights, scaling, solver report, smoothing report
  BootstrapResult bootstrap;          // n_replicates 0: none
  std::vector<std::string> param_names, context_names;
  std::string response_name;
  TrainingData data;
  std::vector<std::pair<std::string, std::string>> meta;

  int q() const { return p + (fit_options.intercept ? 1 : 0); }
  const std::string* find_meta(const std::string& key) const;
};

// The model of a fit a binding just made: `options` are the resolved options it passed
// (the fitted spline basis, fit.encoder's knots and centres, replaces theirs), m and p the
// data's columns. Names get the defaults ("Intercept", x1.., c1..) until a front end sets
// them. Checks everything (validate_fitted_model).
FittedModel make_fitted_model(const OptionMap& options, FitResult fit, int m, int p);

// Every array against the dimensions; InvalidArgument naming the first that disagrees.
void validate_fitted_model(const FittedModel& model);

// Per-sample parameters (rows x q, user units) for contexts C (rows x m, user units).
std::vector<double> predict_theta(const FittedModel& model, const double* C, std::size_t rows, int m, int threads);

// The model with bootstrap replicates of its fit (checked against its encoder).
FittedModel with_bootstrap(const FittedModel& model, BootstrapResult bootstrap);

// Bootstrap summaries over the model's own replicates (inference/bootstrap_summary.hpp) for
// contexts C (rows x m, user units); theta: the model's parameters for those rows (rows x q).
// InvalidArgument when the model has no replicates.
BootstrapPass bootstrap_pass(const FittedModel& model, const double* C, std::size_t rows, int m,
                             const double* theta, int threads);
SampleLimits bootstrap_sample_limits(const FittedModel& model, const double* C, std::size_t rows, int m,
                                     double alpha, int threads);

// Records every model kind's file shares (the network file too, network_file.hpp): options as
// typed records option/<name> (typed by the option table) plus options/null, and back (in the
// table's order; unknown names, duplicates and wrong types refused); scaling/<field> for
// m context columns and p predictors, and back.
void write_option_records(ModelFile& f, const OptionMap& options);
OptionMap read_option_records(const ModelFile& f);
void write_scaling_records(ModelFile& f, const Scaling& scaling);
Scaling read_scaling_records(const ModelFile& f, int m, int p);
// Typed reads every model kind's reader makes: an integer record in [low, high], a 0/1 flag,
// and the number of rows of a matrix record whose column count the model fixes; each an
// InvalidArgument naming the record otherwise.
int record_int(const ModelFile& f, const std::string& name, std::int64_t low, std::int64_t high);
bool record_flag(const ModelFile& f, const std::string& name);
std::size_t record_rows(const ModelFile& f, const std::string& name, std::size_t cols);
// The file's model/kind ("glm", "network"); InvalidArgument when it has none.
std::string model_file_kind(const ModelFile& f);

ModelFile to_model_file(const FittedModel& model);
FittedModel fitted_model_from_file(const ModelFile& file);

void save_fitted_model(const FittedModel& model, const std::string& path);
FittedModel load_fitted_model(const std::string& path);

}  // namespace ctxstats
