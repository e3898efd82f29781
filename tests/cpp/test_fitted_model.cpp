// The fitted model and its file (csrc/model/fitted_model.*): for every encoder a fit's model
// survives the file bit for bit and predicts identically; records whose lengths disagree
// with the model's dimensions -- the crafted files that once crashed predict() -- are
// refused with InvalidArgument naming the record; and a seeded mutation loop over real model
// files (the checksum recomputed, so that only the model's own checks stand between the bytes
// and predict) ends every time in a refusal or a model that predicts finite values.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/rng.hpp"
#include "glm/bootstrap.hpp"
#include "harness.hpp"
#include "model/fitted_model.hpp"
#include "options/schema.hpp"

using namespace ctxstats;
using namespace ctxstats_test;

namespace {

Data make_data(std::size_t n, int p, int m, std::uint64_t seed) {
  Data d{n, p, m, {}, {}, {}, {}};
  CounterRng rng(seed, Stream::kInit, 7);
  for (std::size_t i = 0; i < n * m; ++i) d.C.push_back(rng.normal());
  for (std::size_t i = 0; i < n * p; ++i) d.X.push_back(rng.normal());
  for (std::size_t i = 0; i < n; ++i) {
    d.y.push_back(d.X[i * p] * (1.0 + d.C[i * m]) + 0.3 * rng.normal());
    d.w.push_back(0.5 + rng.uniform());
  }
  return d;
}

OptionMap options_for(const std::string& encoder) {
  OptionMap given;
  given.emplace_back("encoder", OptionValue::string(encoder));
  if (encoder == "ngam" || encoder == "mlp") given.emplace_back("max_iter", OptionValue::integer(30));
  return resolve_options("glm", given);
}

template <class F>
bool refused(F fn) {
  try {
    fn();
  } catch (const InvalidArgument&) {
    return true;
  }
  return false;
}

// The file with one record replaced (same name, other contents).
ModelFile replaced(const ModelFile& f, const FileRecord& r) {
  ModelFile g;
  for (const FileRecord& x : f.records()) add_record(g, x.name == r.name ? r : x);
  return g;
}

FileRecord doubles_record(const std::string& name, std::vector<double> v) {
  FileRecord r;
  r.name = name;
  r.type = FileRecord::Type::kDoubles;
  r.shape = {v.size()};
  r.doubles = std::move(v);
  return r;
}

}  // namespace

int main() {
  const Data data = make_data(200, 2, 2, 11);
  const DataView view = data.view();
  const std::vector<std::string> encoders = {"linear", "spline", "ngam", "mlp"};
  std::vector<std::string> files;
  for (const std::string& enc : encoders) {
    const OptionMap opts = options_for(enc);
    FitResult r = fit(view, fit_options_from(opts));
    FittedModel md = make_fitted_model(opts, r, view.m, view.p);
    md.bootstrap = bootstrap_fit(view, md.fit_options, md.fit.weights, 3);
    md.data = {data.n, data.C, data.X, data.y, data.w};
    md.meta = {{"formula", "y ~ x1 + x2 | c1 + c2"}};
    md.response_name = "y";
    const std::string bytes = to_model_file(md).serialize();
    const FittedModel back = fitted_model_from_file(ModelFile::parse(bytes));
    check(to_model_file(back).serialize() == bytes, enc + ": the file round trip is byte-identical");
    const auto t1 = predict_theta(md, data.C.data(), data.n, data.m, 1);
    const auto t2 = predict_theta(back, data.C.data(), data.n, data.m, 2);
    check(t1 == t2, enc + ": the loaded model predicts bitwise identically");
    check(back.bootstrap.n_replicates == 3 && back.bootstrap.weights == md.bootstrap.weights,
          enc + ": bootstrap replicates survive");
    check(!md.bootstrap.rule.empty() && back.bootstrap.rule == md.bootstrap.rule,
          enc + ": the bootstrap's replicate rule survives");
    check(back.fit.solve.smoothing.present == (enc == "spline"), enc + ": the smoothing report travels with a spline");
    check(refused([&] { predict_theta(back, data.C.data(), data.n, 3, 1); }), enc + ": a context of another width");
    files.push_back(bytes);

    // Lengths that disagree with the dimensions: refused, naming what is wrong.
    const ModelFile f = ModelFile::parse(bytes);
    for (const char* name : {"scaling/c_scale", "scaling/c_mean", "scaling/x_scale", "scaling/x_mean", "weights"}) {
      for (std::size_t len : {std::size_t{0}, std::size_t{1}, f.find(name)->size() + 1}) {
        const ModelFile g = replaced(f, doubles_record(name, std::vector<double>(len, 1.0)));
        check(refused([&] { fitted_model_from_file(g); }),
              enc + ": " + name + " of length " + std::to_string(len) + " is refused");
      }
    }
    {
      auto bad = f.find("scaling/c_scale")->doubles;
      bad[0] = 0.0;
      check(refused([&] { fitted_model_from_file(replaced(f, doubles_record("scaling/c_scale", bad))); }),
            enc + ": a zero scale is refused");
      auto w = f.find("weights")->doubles;
      w[0] = NAN;
      check(refused([&] { fitted_model_from_file(replaced(f, doubles_record("weights", w))); }),
            enc + ": a NaN weight is refused");
    }
  }

  // A file written before linear_skip existed has no record of it: it is read as a network without
  // the skip, not with the table's default now (true for the gaussian ngam).
  {
    OptionMap given = {{"encoder", OptionValue::string("ngam")}, {"max_iter", OptionValue::integer(30)},
                       {"linear_skip", OptionValue::boolean(false)}};
    const OptionMap opts = resolve_options("glm", given);
    FittedModel md = make_fitted_model(opts, fit(view, fit_options_from(opts)), view.m, view.p);
    const ModelFile f = to_model_file(md);
    ModelFile old;
    for (const FileRecord& x : f.records())
      if (x.name != "option/linear_skip") add_record(old, x);
    check(old.records().size() + 1 == f.records().size(), "the file without its linear_skip record");
    const FittedModel back = fitted_model_from_file(old);
    check(!back.fit_options.encoder.linear_skip, "a file without linear_skip is read without the skip");
    check(predict_theta(back, data.C.data(), data.n, data.m, 1) == predict_theta(md, data.C.data(), data.n, data.m, 1),
          "a file without linear_skip predicts as written");
  }

  // Seeded mutation loop over the real files, checksums recomputed.
  int trials = 0, refusals = 0, loads = 0, other = 0, bad_predictions = 0;
  const int per_file = fuzz_trials(1500);
  for (std::size_t k = 0; k < files.size(); ++k) {
    for (int t = 0; t < per_file; ++t, ++trials) {
      std::string m = files[k];
      const std::uint64_t r = mix64(777ULL * 1000003ULL + k * 100000ULL + static_cast<std::uint64_t>(t));
      m = mutated(m, r);
      m = with_checksum(m);
      try {
        const FittedModel md = fitted_model_from_file(ModelFile::parse(m));
        ++loads;
        const auto theta = predict_theta(md, data.C.data(), data.n, data.m, 1);
        for (double v : theta)
          if (std::isnan(v)) {
            ++bad_predictions;
            break;
          }
      } catch (const InvalidArgument&) {
        ++refusals;
      } catch (...) {
        ++other;
      }
    }
  }
  std::printf("crafted model files: %d mutations, %d refused, %d loaded (%d of them predicting NaN), %d other "
              "outcomes\n", trials, refusals, loads, bad_predictions, other);
  check(other == 0, "every mutated model file is refused with InvalidArgument or loads");
  return report();
}
