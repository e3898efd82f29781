#include "model/fitted_model.hpp"

#include "glm/location_scale.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

#include "common/error.hpp"
#include "encoders/context_basis.hpp"

namespace ctxstats {

namespace {

using Shape = std::vector<std::uint64_t>;
constexpr const char* kKind = "glm";

std::string count(std::size_t n) { return std::to_string(n); }

void require_finite(const std::vector<double>& v, const std::string& name) {
  for (double x : v) require(std::isfinite(x), "the model's " + name + " holds a non-finite value");
}

void require_length(std::size_t got, std::size_t want, const std::string& name) {
  require(got == want, "the model's " + name + " has " + count(got) + " values; its dimensions need " + count(want));
}

// ---- options as typed records --------------------------------------------------------------

void write_option(ModelFile& f, const std::string& name, const OptionValue& v, std::vector<std::string>& nulls) {
  if (v.kind == OptionValue::Kind::kNull) {
    nulls.push_back(name);
    return;
  }
  const OptionSpec* spec = find_option(name);
  require(spec != nullptr, "cannot save the option '" + name + "': the option table does not know it");
  const std::string key = "option/" + name;
  // R hands whole numbers over as doubles; the option table has already checked their range.
  auto as_int = [&](const OptionValue& x) -> std::int64_t {
    if (x.kind == OptionValue::Kind::kDouble && std::isfinite(x.number) && std::floor(x.number) == x.number &&
        std::fabs(x.number) < 9.0e18)
      return static_cast<std::int64_t>(x.number);
    require(x.kind == OptionValue::Kind::kInt || x.kind == OptionValue::Kind::kBool,
            "cannot save the option '" + name + "': not an integer");
    return x.kind == OptionValue::Kind::kBool ? (x.flag ? 1 : 0) : std::stoll(x.text);
  };
  auto as_double = [&](const OptionValue& x) -> double {
    if (x.kind == OptionValue::Kind::kInt) return static_cast<double>(std::stoll(x.text));
    require(x.kind == OptionValue::Kind::kDouble, "cannot save the option '" + name + "': not a number");
    return x.number;
  };
  switch (spec->type) {
    case OptionType::kBool: f.add_int(key, as_int(v)); return;
    case OptionType::kInt: f.add_int(key, as_int(v)); return;
    case OptionType::kSeed:
      f.add_string(key, v.kind == OptionValue::Kind::kInt ? v.text : std::to_string(as_int(v)));
      return;
    case OptionType::kDouble: f.add_double(key, as_double(v)); return;
    case OptionType::kChoice:
      require(v.kind == OptionValue::Kind::kString, "cannot save the option '" + name + "': not a string");
      f.add_string(key, v.text);
      return;
    case OptionType::kIntList: {
      std::vector<std::int64_t> xs;
      for (const auto& item : v.items) xs.push_back(as_int(item));
      const std::uint64_t k = xs.size();
      f.add_ints(key, std::move(xs), {k});
      return;
    }
    case OptionType::kDoubleList: {
      std::vector<double> xs;
      for (const auto& item : v.items) xs.push_back(as_double(item));
      const std::uint64_t k = xs.size();
      f.add_doubles(key, std::move(xs), {k});
      return;
    }
    case OptionType::kIntPairs: {
      std::vector<std::int64_t> xs;
      for (const auto& pr : v.items) {
        require(pr.kind == OptionValue::Kind::kList && pr.items.size() == 2,
                "cannot save the option '" + name + "': not a list of pairs");
        xs.push_back(as_int(pr.items[0]));
        xs.push_back(as_int(pr.items[1]));
      }
      const std::uint64_t k = xs.size() / 2;
      f.add_ints(key, std::move(xs), {k, 2});
      return;
    }
  }
}

OptionValue read_option(const FileRecord& r, const OptionSpec& spec) {
  const std::string what = "the model file's option '" + spec.name + "'";
  auto want = [&](FileRecord::Type t, std::size_t ndim) {
    require(r.type == t && r.shape.size() == ndim, what + " has the wrong type or shape");
  };
  switch (spec.type) {
    case OptionType::kBool:
      want(FileRecord::Type::kInts, 0);
      require(r.ints[0] == 0 || r.ints[0] == 1, what + " must be 0 or 1");
      return OptionValue::boolean(r.ints[0] == 1);
    case OptionType::kInt: want(FileRecord::Type::kInts, 0); return OptionValue::integer(r.ints[0]);
    case OptionType::kSeed: want(FileRecord::Type::kStrings, 0); return OptionValue::integer_text(r.strings[0]);
    case OptionType::kDouble: want(FileRecord::Type::kDoubles, 0); return OptionValue::real(r.doubles[0]);
    case OptionType::kChoice: want(FileRecord::Type::kStrings, 0); return OptionValue::string(r.strings[0]);
    case OptionType::kIntList: {
      want(FileRecord::Type::kInts, 1);
      std::vector<OptionValue> items;
      for (auto x : r.ints) items.push_back(OptionValue::integer(x));
      return OptionValue::list(std::move(items));
    }
    case OptionType::kDoubleList: {
      want(FileRecord::Type::kDoubles, 1);
      std::vector<OptionValue> items;
      for (double x : r.doubles) items.push_back(OptionValue::real(x));
      return OptionValue::list(std::move(items));
    }
    case OptionType::kIntPairs: {
      want(FileRecord::Type::kInts, 2);
      require(r.shape[1] == 2, what + " must have two columns");
      std::vector<OptionValue> items;
      for (std::size_t k = 0; k + 1 < r.ints.size(); k += 2)
        items.push_back(OptionValue::list({OptionValue::integer(r.ints[k]), OptionValue::integer(r.ints[k + 1])}));
      return OptionValue::list(std::move(items));
    }
  }
  throw InvalidArgument(what + " has an unknown type");
}

Shape vec(std::size_t n) { return {static_cast<std::uint64_t>(n)}; }
Shape mat(std::size_t r, std::size_t c) { return {static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(c)}; }

std::vector<std::int64_t> to_int64(const std::vector<int>& v) { return {v.begin(), v.end()}; }

std::vector<int> to_int(const std::vector<std::int64_t>& v, const std::string& name) {
  std::vector<int> out;
  for (auto x : v) {
    require(x >= std::numeric_limits<int>::min() && x <= std::numeric_limits<int>::max(),
            "the model file's " + name + " holds an integer out of range");
    out.push_back(static_cast<int>(x));
  }
  return out;
}

// Options in the table's order, whatever order they came in (a file's, a binding's).
OptionMap in_table_order(const OptionMap& options) {
  OptionMap ordered;
  for (const OptionSpec& spec : option_schema())
    for (const auto& kv : options)
      if (kv.first == spec.name) ordered.push_back(kv);
  return ordered;
}

}  // namespace

int record_int(const ModelFile& f, const std::string& name, std::int64_t low, std::int64_t high) {
  const std::int64_t v = f.integer(name);
  require(v >= low && v <= high, "the model file's " + name + " must lie in [" + std::to_string(low) + ", " +
                                     std::to_string(high) + "], not " + std::to_string(v));
  return static_cast<int>(v);
}

bool record_flag(const ModelFile& f, const std::string& name) { return record_int(f, name, 0, 1) == 1; }

// Rows of a matrix record whose column count the model fixes (any number of rows).
std::size_t record_rows(const ModelFile& f, const std::string& name, std::size_t cols) {
  const FileRecord* r = f.find(name);
  require(r != nullptr, "the model file has no record '" + name + "'");
  require(r->type == FileRecord::Type::kDoubles && r->shape.size() == 2 && r->shape[1] == cols,
          "the model file's " + name + " must be a matrix of " + count(cols) + " columns");
  return static_cast<std::size_t>(r->shape[0]);
}

void write_option_records(ModelFile& f, const OptionMap& options) {
  std::vector<std::string> nulls;
  for (const auto& kv : options)
    require(find_option(kv.first) != nullptr, "cannot save the option '" + kv.first + "': the option table does not know it");
  for (const auto& kv : in_table_order(options)) write_option(f, kv.first, kv.second, nulls);
  f.add_strings("options/null", nulls);
}

OptionMap read_option_records(const ModelFile& f) {
  OptionMap options;
  for (const auto& name : f.strings("options/null")) {
    require(find_option(name) != nullptr, "the model file names an option '" + name + "' that this ctxstats does not know");
    for (const auto& kv : options)
      require(kv.first != name, "the model file gives the option '" + name + "' twice");
    options.emplace_back(name, OptionValue::null());
  }
  for (const FileRecord& r : f.records()) {
    if (r.name.rfind("option/", 0) != 0) continue;
    const std::string name = r.name.substr(7);
    const OptionSpec* spec = find_option(name);
    require(spec != nullptr, "the model file has an option '" + name + "' that this ctxstats does not know");
    for (const auto& kv : options)
      require(kv.first != name, "the model file gives the option '" + name + "' twice");
    options.emplace_back(name, read_option(r, *spec));
  }
  return in_table_order(options);
}

void write_scaling_records(ModelFile& f, const Scaling& s) {
  f.add_doubles("scaling/c_mean", s.c_mean, vec(s.c_mean.size()));
  f.add_doubles("scaling/c_scale", s.c_scale, vec(s.c_scale.size()));
  f.add_doubles("scaling/x_mean", s.x_mean, vec(s.x_mean.size()));
  f.add_doubles("scaling/x_scale", s.x_scale, vec(s.x_scale.size()));
  f.add_double("scaling/y_mean", s.y_mean);
  f.add_double("scaling/y_scale", s.y_scale);
  f.add_int("scaling/intercept", s.intercept ? 1 : 0);
}

Scaling read_scaling_records(const ModelFile& f, int m, int p) {
  Scaling s;
  s.c_mean = f.doubles("scaling/c_mean", m);
  s.c_scale = f.doubles("scaling/c_scale", m);
  s.x_mean = f.doubles("scaling/x_mean", p);
  s.x_scale = f.doubles("scaling/x_scale", p);
  s.y_mean = f.scalar("scaling/y_mean");
  s.y_scale = f.scalar("scaling/y_scale");
  s.intercept = record_flag(f, "scaling/intercept");
  return s;
}

std::string model_file_kind(const ModelFile& f) {
  require(f.has("model/kind"), "the file is not a ctxstats model (no model/kind record)");
  return f.string("model/kind");
}

const std::string* FittedModel::find_meta(const std::string& key) const {
  for (const auto& kv : meta)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

void validate_fitted_model(const FittedModel& md) {
  require(md.m >= 1, "the model has no context columns");
  require(md.p >= 0, "the model has a negative number of predictors");
  const int q = md.q();
  require(q >= 1, "the model has no parameters");
  const Scaling& s = md.fit.scaling;
  require(s.intercept == md.fit_options.intercept, "the model's scaling and options disagree about the intercept");
  require_length(s.c_mean.size(), static_cast<std::size_t>(md.m), "scaling of the context (c_mean)");
  require_length(s.c_scale.size(), static_cast<std::size_t>(md.m), "scaling of the context (c_scale)");
  require_length(s.x_mean.size(), static_cast<std::size_t>(md.p), "scaling of the predictors (x_mean)");
  require_length(s.x_scale.size(), static_cast<std::size_t>(md.p), "scaling of the predictors (x_scale)");
  validate_scaling(s);
  const EncoderSpec& spec = md.fit.encoder;
  require(spec.type != "spline" || !spec.knots.empty(), "the spline model has no knots");
  require_finite(spec.knots, "spline knots");
  require_finite(spec.centres, "spline centres");
  const std::size_t nw = encoder_n_weights(spec, md.m, q);  // builds the encoder: checks the spec and knots
  require_length(md.fit.weights.size(), nw, "encoder weights");
  require_finite(md.fit.weights, "encoder weights");

  // scale = "context" (glm/location_scale.hpp): the scale weights and covariance fit the encoder.
  require(md.fit.location_scale.present == (md.fit_options.scale == "context"),
          "the model's scale report and its option scale disagree");
  validate_location_scale_report(md.fit.location_scale, nw, q);

  const SmoothingReport& sm = md.fit.solve.smoothing;
  if (sm.present) {
    require(spec.type == "spline", "the model has a smoothing report but is not a spline fit");
    const auto basis = make_spline_basis(spec, md.m);
    const std::size_t D = nw, T = basis->terms().size(), S = static_cast<std::size_t>(basis->size());
    require_length(sm.Vp.size(), D * D, "Vp");
    require_length(sm.H.size(), D * D, "H");
    require_length(sm.edf.size(), static_cast<std::size_t>(q) * T, "edf");
    if (!sm.gram.empty()) require_length(sm.gram.size(), S * S, "basis Gram matrix");
    require_length(sm.penalty_output.size(), sm.lambda.size(), "penalty outputs");
    require_length(sm.penalty_term.size(), sm.lambda.size(), "penalty terms");
    for (std::size_t j = 0; j < sm.lambda.size(); ++j) {
      require(sm.penalty_output[j] >= 0 && sm.penalty_output[j] < q, "the model's penalty outputs are out of range");
      require(sm.penalty_term[j] >= 0 && static_cast<std::size_t>(sm.penalty_term[j]) < T,
              "the model's penalty terms are out of range");
    }
    require_finite(sm.Vp, "Vp");
    require_finite(sm.H, "H");
    require(std::isfinite(sm.scale) && sm.scale > 0.0, "the model's smoothing scale must be positive");
    require(std::isfinite(sm.n) && sm.n > 0.0, "the model's smoothing sample size must be positive");
  }

  const BootstrapResult& b = md.bootstrap;
  if (b.n_replicates > 0) {
    require_length(b.n_weights, nw, "bootstrap replicate width");
    require_length(b.weights.size(), b.n_replicates * nw, "bootstrap weights");
    require_length(b.n_iter.size(), b.n_replicates, "bootstrap iteration counts");
    require_length(b.converged.size(), b.n_replicates, "bootstrap convergence flags");
    require_length(b.objective.size(), b.n_replicates, "bootstrap objectives");
    require_finite(b.weights, "bootstrap weights");
  }

  require_length(md.param_names.size(), static_cast<std::size_t>(q), "parameter names");
  require_length(md.context_names.size(), static_cast<std::size_t>(md.m), "context names");

  const TrainingData& d = md.data;
  if (d.n > 0) {
    require_length(d.C.size(), d.n * static_cast<std::size_t>(md.m), "training context");
    require_length(d.X.size(), d.n * static_cast<std::size_t>(md.p), "training predictors");
    require_length(d.y.size(), d.n, "training response");
    if (!d.weights.empty()) require_length(d.weights.size(), d.n, "training weights");
  } else {
    require(d.C.empty() && d.X.empty() && d.y.empty() && d.weights.empty(),
            "the model's training data have no rows but hold values");
  }
}

FittedModel make_fitted_model(const OptionMap& options, FitResult fit, int m, int p) {
  FittedModel md;
  md.m = m;
  md.p = p;
  for (const auto& kv : options)
    if (kv.first != "knots" && kv.first != "centres") md.options.push_back(kv);
  if (fit.encoder.type == "spline") {
    auto list = [](const std::vector<double>& xs) {
      std::vector<OptionValue> items;
      for (double x : xs) items.push_back(OptionValue::real(x));
      return OptionValue::list(std::move(items));
    };
    md.options.emplace_back("knots", list(fit.encoder.knots));
    md.options.emplace_back("centres", list(fit.encoder.centres));
  }
  md.options = in_table_order(md.options);
  md.fit_options = fit_options_from(md.options, false);
  md.fit = std::move(fit);
  md.fit.encoder = md.fit_options.encoder;
  if (md.fit_options.intercept) md.param_names.push_back("Intercept");
  for (int j = 1; j <= p; ++j) md.param_names.push_back("x" + std::to_string(j));
  for (int j = 1; j <= m; ++j) md.context_names.push_back("c" + std::to_string(j));
  validate_fitted_model(md);
  return md;
}

std::vector<double> predict_theta(const FittedModel& md, const double* C, std::size_t rows, int m, int threads) {
  require(m == md.m, "context has " + std::to_string(m) + " columns; the model was fitted with " +
                         std::to_string(md.m));
  return predict_theta(md.fit.encoder, md.fit.scaling, md.fit.weights, C, rows, m, threads);
}

FittedModel with_bootstrap(const FittedModel& model, BootstrapResult bootstrap) {
  FittedModel md = model;
  md.bootstrap = std::move(bootstrap);
  validate_fitted_model(md);
  return md;
}

namespace {

void require_replicates(const FittedModel& md, int m) {
  require(md.bootstrap.n_replicates > 0, "the model has no bootstrap replicates: fit it with n_bootstraps = B");
  require(m == md.m, "context has " + std::to_string(m) + " columns; the model was fitted with " + std::to_string(md.m));
}

}  // namespace

BootstrapPass bootstrap_pass(const FittedModel& md, const double* C, std::size_t rows, int m, const double* theta,
                             int threads) {
  require_replicates(md, m);
  const BootstrapResult& b = md.bootstrap;
  return bootstrap_pass(md.fit.encoder, md.fit.scaling, b.weights.data(), b.n_replicates, b.n_weights, C, rows, m,
                        theta, threads);
}

SampleLimits bootstrap_sample_limits(const FittedModel& md, const double* C, std::size_t rows, int m, double alpha,
                                     int threads) {
  require_replicates(md, m);
  const BootstrapResult& b = md.bootstrap;
  return bootstrap_sample_limits(md.fit.encoder, md.fit.scaling, b.weights.data(), b.n_replicates, b.n_weights, C,
                                 rows, m, alpha, threads);
}

ModelFile to_model_file(const FittedModel& md) {
  validate_fitted_model(md);
  ModelFile f;
  f.add_string("model/kind", kKind);
  f.add_int("model/m", md.m);
  f.add_int("model/p", md.p);
  write_option_records(f, md.options);
  write_scaling_records(f, md.fit.scaling);
  f.add_doubles("weights", md.fit.weights, vec(md.fit.weights.size()));

  const SolverResult& r = md.fit.solve;
  f.add_string("fit/solver", md.fit.solver);
  f.add_int("fit/n_iter", r.n_iter);
  f.add_int("fit/converged", r.converged ? 1 : 0);
  f.add_double("fit/objective", r.objective);
  f.add_doubles("fit/history", r.history, vec(r.history.size()));
  f.add_doubles("fit/val_history", r.val_history, vec(r.val_history.size()));
  f.add_string("fit/message", r.message);
  f.add_int("fit/rank_deficient", r.rank_deficient ? 1 : 0);
  f.add_int("fit/interrupted", r.interrupted ? 1 : 0);
  if (!md.fit.trained) f.add_int("fit/untrained", 1);  // max_epochs=0; absent for every fitted model
  if (md.fit.early_stopped) {  // early stopping's choice (glm/early_stopping.hpp); absent otherwise
    f.add_int("fit/early_best_iter", md.fit.early_best_iter);
    f.add_doubles("fit/early_val_loss", md.fit.early_val_loss, vec(md.fit.early_val_loss.size()));
    f.add_int("fit/early_split_iter", md.fit.early_split_iter);
  }

  const LocationScaleReport& ls = md.fit.location_scale;
  if (ls.present) {  // scale = "context"; absent otherwise
    const std::size_t D = md.fit.weights.size() + ls.weights.size();
    f.add_doubles("scale/weights", ls.weights, vec(ls.weights.size()));
    f.add_doubles("scale/cov", ls.cov, mat(D, D));
    f.add_doubles("scale/stats", {ls.loglik, ls.loglik_constant, ls.lr_statistic, ls.wald_statistic, ls.test_df,
                                  ls.edf_mean, ls.edf_scale},
                  vec(7));
    f.add_doubles("scale/lambda", ls.lambda, vec(ls.lambda.size()));
    f.add_int("scale/outer_iter", ls.outer_iter);
    f.add_int("scale/constant_converged", ls.constant_converged ? 1 : 0);
  }

  const SmoothingReport& sm = r.smoothing;
  if (sm.present) {
    const std::size_t D = md.fit.weights.size();
    f.add_string("smoothing/method", sm.method);
    f.add_doubles("smoothing/lambda", sm.lambda, vec(sm.lambda.size()));
    f.add_ints("smoothing/penalty_output", to_int64(sm.penalty_output), vec(sm.penalty_output.size()));
    f.add_ints("smoothing/penalty_term", to_int64(sm.penalty_term), vec(sm.penalty_term.size()));
    f.add_doubles("smoothing/edf", sm.edf, mat(static_cast<std::size_t>(md.q()), sm.edf.size() / md.q()));
    f.add_double("smoothing/edf_total", sm.edf_total);
    f.add_double("smoothing/scale", sm.scale);
    f.add_double("smoothing/criterion", sm.criterion);
    f.add_int("smoothing/null_dim", sm.null_dim);
    f.add_int("smoothing/n_iter", sm.n_iter);
    f.add_int("smoothing/outer_iter", sm.outer_iter);
    f.add_int("smoothing/converged", sm.converged ? 1 : 0);
    f.add_string("smoothing/message", sm.message);
    f.add_double("smoothing/n", sm.n);
    f.add_doubles("smoothing/Vp", sm.Vp, mat(D, D));
    f.add_doubles("smoothing/H", sm.H, mat(D, D));
    const auto S = static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(sm.gram.size()))));
    f.add_doubles("smoothing/gram", sm.gram, mat(S, S));
  }

  const BootstrapResult& b = md.bootstrap;
  if (b.n_replicates > 0) {
    f.add_doubles("bootstrap/weights", b.weights, mat(b.n_replicates, b.n_weights));
    f.add_ints("bootstrap/n_iter", to_int64(b.n_iter), vec(b.n_iter.size()));
    std::vector<std::int64_t> conv(b.converged.begin(), b.converged.end());
    f.add_ints("bootstrap/converged", std::move(conv), vec(b.converged.size()));
    f.add_doubles("bootstrap/objective", b.objective, vec(b.objective.size()));
    f.add_int("bootstrap/interrupted", b.interrupted ? 1 : 0);
    f.add_string("bootstrap/message", b.message);
    if (b.clusters > 0) f.add_int("bootstrap/clusters", static_cast<std::int64_t>(b.clusters));
    if (!b.rule.empty()) f.add_string("bootstrap/rule", b.rule);
  }

  f.add_strings("names/params", md.param_names);
  f.add_strings("names/context", md.context_names);
  f.add_string("names/response", md.response_name);

  const TrainingData& d = md.data;
  if (d.n > 0) {
    f.add_doubles("data/C", d.C, mat(d.n, static_cast<std::size_t>(md.m)));
    f.add_doubles("data/X", d.X, mat(d.n, static_cast<std::size_t>(md.p)));
    f.add_doubles("data/y", d.y, vec(d.n));
    if (!d.weights.empty()) f.add_doubles("data/weights", d.weights, vec(d.n));
  }
  for (const auto& kv : md.meta) f.add_string("meta/" + kv.first, kv.second);
  return f;
}

FittedModel fitted_model_from_file(const ModelFile& f) {
  const std::string kind = model_file_kind(f);
  require(kind == kKind, "the file holds a model of kind '" + kind + "', which this ctxstats does not read");
  FittedModel md;
  md.m = record_int(f, "model/m", 1, 1000000);
  md.p = record_int(f, "model/p", 0, 1000000);

  md.options = read_option_records(f);
  // A model's options are stored resolved, so a network's file without linear_skip was written
  // before the option existed, by a network without the skip: not the table's default now (true
  // for the gaussian ngam), which would not fit its weights.
  bool neural = false, skip_stored = false;
  for (const auto& kv : md.options) {
    neural = neural || (kv.first == "encoder" && (kv.second.text == "mlp" || kv.second.text == "ngam"));
    skip_stored = skip_stored || kv.first == "linear_skip";
  }
  if (neural && !skip_stored) {
    md.options.emplace_back("linear_skip", OptionValue::boolean(false));
    md.options = in_table_order(md.options);
  }
  md.fit_options = fit_options_from(md.options, false);
  md.fit.encoder = md.fit_options.encoder;

  md.fit.scaling = read_scaling_records(f, md.m, md.p);
  const int q = md.q();
  require(q >= 1, "the model file's model has no parameters");
  const std::size_t nw = encoder_n_weights(md.fit.encoder, md.m, q);
  md.fit.weights = f.doubles("weights", static_cast<long long>(nw));

  SolverResult& r = md.fit.solve;
  md.fit.solver = f.string("fit/solver");
  r.n_iter = record_int(f, "fit/n_iter", 0, std::numeric_limits<int>::max());
  r.converged = record_flag(f, "fit/converged");
  r.objective = f.scalar("fit/objective");
  r.history = f.doubles("fit/history");
  r.val_history = f.doubles("fit/val_history");
  r.message = f.string("fit/message");
  r.rank_deficient = record_flag(f, "fit/rank_deficient");
  r.interrupted = record_flag(f, "fit/interrupted");
  md.fit.trained = !(f.has("fit/untrained") && record_flag(f, "fit/untrained"));
  if (f.has("fit/early_best_iter")) {
    md.fit.early_stopped = true;
    md.fit.early_split_iter = record_int(f, "fit/early_split_iter", 0, std::numeric_limits<int>::max());
    md.fit.early_best_iter = record_int(f, "fit/early_best_iter", 0, md.fit.early_split_iter);
    md.fit.early_val_loss = f.doubles("fit/early_val_loss");
  }

  if (f.has("scale/weights")) {
    LocationScaleReport& ls = md.fit.location_scale;
    ls.present = true;
    ls.weights = f.doubles("scale/weights");
    const long long D = static_cast<long long>(nw + ls.weights.size());
    require(D > 0 && D < 3037000499LL, "the model file's scale weights are too many");
    ls.cov = f.matrix("scale/cov", D, D);
    const std::vector<double>& st = f.doubles("scale/stats", 7);
    ls.loglik = st[0];
    ls.loglik_constant = st[1];
    ls.lr_statistic = st[2];
    ls.wald_statistic = st[3];
    ls.test_df = st[4];
    ls.edf_mean = st[5];
    ls.edf_scale = st[6];
    ls.lambda = f.doubles("scale/lambda");
    ls.outer_iter = record_int(f, "scale/outer_iter", 0, std::numeric_limits<int>::max());
    ls.constant_converged = record_flag(f, "scale/constant_converged");
  }

  if (f.has("smoothing/method")) {
    SmoothingReport& sm = r.smoothing;
    require(md.fit.encoder.type == "spline", "the model file has a smoothing report but is not a spline fit");
    const auto basis = make_spline_basis(md.fit.encoder, md.m);
    const auto T = static_cast<long long>(basis->terms().size()), S = static_cast<long long>(basis->size());
    const auto D = static_cast<long long>(nw);
    sm.present = true;
    sm.method = f.string("smoothing/method");
    sm.lambda = f.doubles("smoothing/lambda");
    const auto L = static_cast<long long>(sm.lambda.size());
    sm.penalty_output = to_int(f.ints("smoothing/penalty_output", L), "smoothing/penalty_output");
    sm.penalty_term = to_int(f.ints("smoothing/penalty_term", L), "smoothing/penalty_term");
    sm.edf = f.matrix("smoothing/edf", q, T);
    sm.edf_total = f.scalar("smoothing/edf_total");
    sm.scale = f.scalar("smoothing/scale");
    sm.criterion = f.scalar("smoothing/criterion");
    sm.null_dim = record_int(f, "smoothing/null_dim", 0, std::numeric_limits<int>::max());
    sm.n_iter = record_int(f, "smoothing/n_iter", 0, std::numeric_limits<int>::max());
    sm.outer_iter = record_int(f, "smoothing/outer_iter", 0, std::numeric_limits<int>::max());
    sm.converged = record_flag(f, "smoothing/converged");
    sm.message = f.string("smoothing/message");
    sm.n = f.scalar("smoothing/n");
    sm.Vp = f.matrix("smoothing/Vp", D, D);
    sm.H = f.matrix("smoothing/H", D, D);
    const FileRecord* g = f.find("smoothing/gram");
    sm.gram = (g != nullptr && g->shape.size() == 2 && g->shape[0] == 0) ? std::vector<double>()
                                                                         : f.matrix("smoothing/gram", S, S);
  }

  if (f.has("bootstrap/weights")) {
    BootstrapResult& b = md.bootstrap;
    b.n_weights = nw;
    b.n_replicates = record_rows(f, "bootstrap/weights", nw);
    const auto B = static_cast<long long>(b.n_replicates);
    b.weights = f.matrix("bootstrap/weights", B, static_cast<long long>(nw));
    b.n_iter = to_int(f.ints("bootstrap/n_iter", B), "bootstrap/n_iter");
    for (auto x : f.ints("bootstrap/converged", B)) {
      require(x == 0 || x == 1, "the model file's bootstrap/converged must hold 0 or 1");
      b.converged.push_back(static_cast<unsigned char>(x));
    }
    b.objective = f.doubles("bootstrap/objective", B);
    b.interrupted = record_flag(f, "bootstrap/interrupted");
    b.message = f.string("bootstrap/message");
    if (f.has("bootstrap/clusters")) {  // a cluster bootstrap (files before it resampled rows)
      const std::int64_t G = f.integer("bootstrap/clusters");
      require(G >= 2, "the model file's bootstrap/clusters must be a number of clusters (at least 2), not " +
                  std::to_string(G));
      b.clusters = static_cast<std::size_t>(G);
    }
    if (f.has("bootstrap/rule")) {  // the replicate rule (files before it did not record one)
      b.rule = f.string("bootstrap/rule");
      require(!b.rule.empty(), "the model file's bootstrap/rule is empty");
      bootstrap_rule_note(b.rule);  // an unknown rule is an error
    }
  }

  md.param_names = f.strings("names/params");
  md.context_names = f.strings("names/context");
  md.response_name = f.string("names/response");

  if (f.has("data/y")) {
    TrainingData& d = md.data;
    d.y = f.doubles("data/y");
    d.n = d.y.size();
    require(d.n > 0, "the model file's training data have no rows");
    d.C = f.matrix("data/C", static_cast<long long>(d.n), md.m);
    d.X = f.matrix("data/X", static_cast<long long>(d.n), md.p);
    if (f.has("data/weights")) d.weights = f.doubles("data/weights", static_cast<long long>(d.n));
  }
  for (const FileRecord& rec : f.records())
    if (rec.name.rfind("meta/", 0) == 0) md.meta.emplace_back(rec.name.substr(5), f.string(rec.name));

  validate_fitted_model(md);
  return md;
}

void save_fitted_model(const FittedModel& model, const std::string& path) { to_model_file(model).write(path); }

FittedModel load_fitted_model(const std::string& path) { return fitted_model_from_file(ModelFile::read(path)); }

}  // namespace ctxstats
