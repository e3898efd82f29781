// Tests of the heteroskedastic (scale = "context") fit in the core: the analytic gradient and
// observed Hessian against central differences (linear and spline bases, with and without
// penalties), the fit's stationarity and its recovery of a known log sigma(c), the tests of
// whether sigma varies, determinism across thread counts, and the errors naming the option.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/rng.hpp"
#include "glm/fit.hpp"
#include "glm/location_scale.hpp"
#include "model/fitted_model.hpp"
#include "options/schema.hpp"
#include "harness.hpp"

using namespace ctxstats;
using namespace ctxstats_test;

namespace {

// y = 1 + x (0.5 + 0.5 c1) + exp(-0.5 + 0.6 c1 - 0.3 c2) e
Data make_data(std::size_t n, std::uint64_t seed) {
  Data d{n, 1, 2, {}, {}, {}, {}};
  CounterRng rng(seed, Stream::kInit, 7);
  for (std::size_t i = 0; i < n; ++i) {
    const double c1 = rng.normal(), c2 = rng.normal(), x = rng.normal();
    d.C.push_back(c1);
    d.C.push_back(c2);
    d.X.push_back(x);
    d.y.push_back(1.0 + x * (0.5 + 0.5 * c1) + std::exp(-0.5 + 0.6 * c1 - 0.3 * c2) * rng.normal());
    d.w.push_back(0.5 + rng.uniform());
  }
  return d;
}

FitOptions options(const std::string& encoder) {
  FitOptions o = default_fit_options();
  o.family = "gaussian";
  o.encoder.type = encoder;
  o.encoder.n_knots = 6;
  o.scale = "context";
  return o;
}

void derivative_checks() {
  const Data data = make_data(60, 1);
  for (const std::string enc : {"linear", "spline"}) {
    FitOptions o = options(enc);
    // The spline's basis placed once (the objective's weights are on it).
    const FitResult fr = fit(data.view(), o);
    o.encoder = fr.encoder;
    const std::size_t D = fr.weights.size() + fr.location_scale.weights.size();
    std::vector<double> w(D);
    CounterRng rng(5, Stream::kInit, D);
    for (double& v : w) v = 0.3 * rng.normal();
    std::vector<std::vector<double>> lambdas = {{}};
    if (enc == "spline") lambdas.push_back(std::vector<double>(fr.location_scale.lambda.size(), 0.7));
    for (const auto& lambda : lambdas) {
      std::vector<double> g, H;
      location_scale_objective(data.view(), o, w, lambda, &g, &H);
      double num = 0, den = 0, hnum = 0, hden = 0;
      const double h = 1e-6;
      for (std::size_t k = 0; k < D; ++k) {
        std::vector<double> wp = w, wm = w, gp, gm;
        wp[k] += h;
        wm[k] -= h;
        const double fd = (location_scale_objective(data.view(), o, wp, lambda, &gp, nullptr) -
                           location_scale_objective(data.view(), o, wm, lambda, &gm, nullptr)) / (2 * h);
        num += (fd - g[k]) * (fd - g[k]);
        den += fd * fd;
        for (std::size_t j = 0; j < D; ++j) {
          const double hd = (gp[j] - gm[j]) / (2 * h);
          hnum += (hd - H[j * D + k]) * (hd - H[j * D + k]);
          hden += hd * hd;
        }
      }
      const std::string what = enc + (lambda.empty() ? "" : " penalised");
      check(std::sqrt(num / den) < 1e-6, "gradient vs central differences, " + what + ": " +
                                             std::to_string(std::sqrt(num / den)));
      check(std::sqrt(hnum / hden) < 1e-6, "Hessian vs central differences, " + what + ": " +
                                               std::to_string(std::sqrt(hnum / hden)));
    }
  }
}

void fit_checks() {
  const Data data = make_data(4000, 2);
  FitOptions o = options("linear");
  const FitResult r = fit(data.view(), o);
  const LocationScaleReport& ls = r.location_scale;
  check(r.solve.converged, "linear location-scale fit converges: " + r.solve.message);
  // Stationary: the gradient at the fit vanishes.
  std::vector<double> w = r.weights, g;
  w.insert(w.end(), ls.weights.begin(), ls.weights.end());
  location_scale_objective(data.view(), o, w, {}, &g, nullptr);
  double gmax = 0;
  for (double v : g) gmax = std::max(gmax, std::abs(v));
  check(gmax < 1e-10, "gradient at the fit: " + std::to_string(gmax));
  // log sigma(c) recovered (user units) at a few contexts.
  const double C[] = {0.0, 0.0, 1.0, -1.0, -1.0, 0.5};
  const double X[] = {0.0, 1.0, -1.0};
  const LocationScalePrediction p = predict_location_scale(r.encoder, r.scaling, r.weights, ls, X, C, 3, 1, 2);
  for (int i = 0; i < 3; ++i) {
    const double truth = -0.5 + 0.6 * C[2 * i] - 0.3 * C[2 * i + 1];
    check(std::abs(std::log(p.sigma[i]) - truth) < 0.1, "log sigma at row " + std::to_string(i) + ": " +
                                                            std::to_string(std::log(p.sigma[i])) + " vs " +
                                                            std::to_string(truth));
    check(p.se_eta[i] > 0.0 && std::isfinite(p.se_eta[i]), "se of eta positive");
  }
  check(ls.test_df == 2.0 && ls.lr_statistic > 100.0 && ls.wald_statistic > 100.0,
        "sigma varying with context is detected (LR " + std::to_string(ls.lr_statistic) + ")");
  check(std::abs(ls.lr_statistic - ls.wald_statistic) < 0.3 * ls.lr_statistic, "LR and Wald agree roughly");
  // Threads do not change a bit.
  FitOptions o1 = o, o2 = o;
  o1.solver_options.threads = 1;
  o2.solver_options.threads = 2;
  const FitResult a = fit(data.view(), o1), b = fit(data.view(), o2);
  check(a.weights == b.weights && a.location_scale.weights == b.location_scale.weights &&
            a.location_scale.cov == b.location_scale.cov,
        "bitwise identical for 1 and 2 threads");
  // Homoskedastic data: no evidence (LR below chi2(2)'s 99.9% point, 13.8).
  Data hom = data;
  CounterRng rng(9, Stream::kInit, 3);
  for (std::size_t i = 0; i < hom.n; ++i) hom.y[i] = 1.0 + hom.X[i] * (0.5 + 0.5 * hom.C[2 * i]) + rng.normal();
  const FitResult h = fit(hom.view(), o);
  check(h.location_scale.lr_statistic < 13.8, "constant sigma: LR " + std::to_string(h.location_scale.lr_statistic));
  // Spline.
  const FitResult s = fit(data.view(), options("spline"));
  check(s.solve.converged, "spline location-scale fit converges: " + s.solve.message);
  const LocationScalePrediction ps = predict_location_scale(s.encoder, s.scaling, s.weights, s.location_scale, X, C,
                                                            3, 1, 2);
  for (int i = 0; i < 3; ++i) {
    const double truth = -0.5 + 0.6 * C[2 * i] - 0.3 * C[2 * i + 1];
    check(std::abs(std::log(ps.sigma[i]) - truth) < 0.15, "spline log sigma at row " + std::to_string(i) + ": " +
                                                              std::to_string(std::log(ps.sigma[i])));
  }
  check(s.location_scale.wald_statistic > 50.0, "spline: sigma varying detected");
}

template <class F>
void expect_error(F fn, const std::string& needle, const std::string& what) {
  try {
    fn();
    check(false, what + ": no error");
  } catch (const InvalidArgument& e) {
    check(std::string(e.what()).find(needle) != std::string::npos, what + ": " + e.what());
  }
}

void error_checks() {
  const Data data = make_data(50, 3);
  FitOptions o = options("linear");
  o.family = "binomial";
  expect_error([&] { fit(data.view(), o); }, "family", "binomial");
  o = options("mlp");
  expect_error([&] { fit(data.view(), o); }, "encoder", "mlp");
  o = options("linear");
  o.penalty.alpha = 0.1;
  expect_error([&] { fit(data.view(), o); }, "alpha", "alpha");
  o = options("linear");
  o.solver = "lbfgs";
  expect_error([&] { fit(data.view(), o); }, "solver", "lbfgs");
  // Through the option table, as the bindings pass them.
  OptionMap m = {{"family", OptionValue::string("poisson")}, {"encoder", OptionValue::string("linear")},
                 {"scale", OptionValue::string("context")}};
  expect_error([&] { fit_options_from(m); }, "scale", "scale with poisson");
  m = {{"encoder", OptionValue::string("linear")}, {"scale", OptionValue::string("sometimes")}};
  expect_error([&] { fit_options_from(m); }, "scale", "scale's choices");
  LocationScaleReport bad;
  bad.present = true;
  bad.weights = {1.0};
  expect_error([&] { validate_location_scale_report(bad, 6, 2); }, "scale weights", "a malformed report");
}

void copy_record(const FileRecord& r, ModelFile* out) {
  if (r.type == FileRecord::Type::kDoubles) out->add_doubles(r.name, r.doubles, r.shape);
  else if (r.type == FileRecord::Type::kInts) out->add_ints(r.name, r.ints, r.shape);
  else if (r.shape.empty()) out->add_string(r.name, r.strings.at(0));
  else out->add_strings(r.name, r.strings);
}

// The model file keeps the scale fit; crafted scale records are refused, never read past.
void model_file_checks() {
  const Data data = make_data(300, 4);
  const OptionMap given = {{"encoder", OptionValue::string("linear")}, {"scale", OptionValue::string("context")}};
  const FittedModel md = make_fitted_model(resolve_options("glm", given), fit(data.view(), fit_options_from(given)),
                                           data.m, data.p);
  const ModelFile file = to_model_file(md);
  const FittedModel back = fitted_model_from_file(ModelFile::parse(file.serialize()));
  check(back.fit.location_scale.present && back.fit.location_scale.weights == md.fit.location_scale.weights &&
            back.fit.location_scale.cov == md.fit.location_scale.cov &&
            back.fit.location_scale.lr_statistic == md.fit.location_scale.lr_statistic,
        "the scale fit survives the model file");
  // Copies of the file with one record replaced (or dropped, when `values` is empty and drop).
  const auto crafted = [&](const std::string& name, std::vector<double> values, bool drop) {
    ModelFile out;
    for (const FileRecord& r : file.records()) {
      if (r.name == name) {
        if (!drop) out.add_doubles(name, values, {values.size()});
        continue;
      }
      copy_record(r, &out);
    }
    return ModelFile::parse(out.serialize());
  };
  const std::size_t nb = md.fit.location_scale.weights.size();
  expect_error([&] { fitted_model_from_file(crafted("scale/cov", {1.0, 2.0}, false)); }, "scale/cov", "short cov");
  expect_error([&] { fitted_model_from_file(crafted("scale/weights", std::vector<double>(nb + 1, 0.1), false)); },
               "scale", "long scale weights");
  std::vector<double> nan_w(nb, 0.1);
  nan_w[0] = std::nan("");
  expect_error([&] { fitted_model_from_file(crafted("scale/weights", nan_w, false)); }, "finite", "NaN scale weights");
  expect_error([&] { fitted_model_from_file(crafted("scale/stats", {1.0}, false)); }, "scale/stats", "short stats");
  // The option says context but the scale records are gone.
  ModelFile no_scale;
  for (const FileRecord& r : file.records()) {
    if (r.name.rfind("scale/", 0) == 0) continue;
    copy_record(r, &no_scale);
  }
  expect_error([&] { fitted_model_from_file(ModelFile::parse(no_scale.serialize())); }, "scale",
               "scale option without its report");
}

}  // namespace

int main() {
  derivative_checks();
  fit_checks();
  error_checks();
  model_file_checks();
  return report();
}
