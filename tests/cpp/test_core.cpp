// Tests of the C++ core on its own, without Python or R: analytic gradients against central
// differences for every encoder x family x penalty, thread-count determinism, and errors at
// the boundary. Prints "N passed, M failed" and exits non-zero on any failure.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/family.hpp"
#include "glm/fit.hpp"
#include "glm/network_passes.hpp"
#include "glm/output_layer.hpp"
#include "glm/skip_start.hpp"
#include "options/schema.hpp"
#include "harness.hpp"
#include "common/rng.hpp"

using namespace ctxstats;
using namespace ctxstats_test;

namespace {

Data make_data(std::size_t n, int p, int m, const std::string& family, std::uint64_t seed) {
  Data d{n, p, m, {}, {}, {}, {}};
  CounterRng rng(seed, Stream::kInit, 99);
  for (std::size_t i = 0; i < n * m; ++i) d.C.push_back(rng.normal());
  for (std::size_t i = 0; i < n * p; ++i) d.X.push_back(rng.normal());
  for (std::size_t i = 0; i < n; ++i) {
    double eta = 0.2 * d.C[i * m];
    for (int j = 0; j < p; ++j) eta += d.X[i * p + j] * (0.5 + 0.5 * d.C[i * m + (j % m)]);
    double y;
    if (family == "gaussian") y = eta + 0.3 * rng.normal();
    else if (family == "binomial") y = rng.uniform() < 1.0 / (1.0 + std::exp(-eta)) ? 1.0 : 0.0;
    else y = std::floor(std::exp(0.3 * eta) + rng.uniform());
    d.y.push_back(y);
    d.w.push_back(0.5 + rng.uniform());
  }
  return d;
}

double relative_gradient_error(const Data& data, const FitOptions& options, const std::vector<double>& w) {
  std::vector<double> grad;
  objective_value_grad(data.view(), options, w, &grad);
  double num = 0.0, den = 0.0;
  const double h = 1e-6;
  for (std::size_t k = 0; k < w.size(); ++k) {
    std::vector<double> wp = w, wm = w;
    wp[k] += h;
    wm[k] -= h;
    const double fd = (objective_value_grad(data.view(), options, wp, nullptr) -
                       objective_value_grad(data.view(), options, wm, nullptr)) / (2 * h);
    num += (fd - grad[k]) * (fd - grad[k]);
    den += fd * fd;
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

// Default options with this family and encoder.
FitOptions encoder_options(const char* family, const char* type, int width, int depth, int archetypes,
                           Activation act, bool skip = false) {
  FitOptions o = default_fit_options();
  o.family = family;
  o.encoder.type = type;
  o.encoder.width = width;
  o.encoder.depth = depth;
  o.encoder.archetypes = archetypes;
  o.encoder.activation = act;
  o.encoder.linear_skip = skip;
  return o;
}

void gradient_checks() {
  struct Enc { const char* type; int width, depth, archetypes; Activation act; bool skip; };
  const Enc encoders[] = {{"linear", 1, 0, 0, Activation::kRelu}, {"mlp", 4, 2, 0, Activation::kRelu},
                          {"mlp", 3, 1, 0, Activation::kTanh},   {"ngam", 3, 1, 0, Activation::kRelu},
                          {"ngam", 3, 2, 0, Activation::kTanh},  {"linear", 1, 0, 3, Activation::kRelu},
                          {"mlp", 3, 1, 4, Activation::kTanh},   {"mlp", 3, 2, 0, Activation::kTanh, true},
                          {"mlp", 4, 1, 0, Activation::kRelu, true}, {"ngam", 3, 1, 0, Activation::kTanh, true},
                          {"ngam", 2, 2, 0, Activation::kRelu, true}};
  const Penalty penalties[] = {{0.0, 0.0, 0.5, 0.0}, {0.3, 0.0, 0.2, 0.0}, {0.2, 0.7, 0.6, 0.05}};
  for (const char* family : {"gaussian", "binomial", "poisson"}) {
    const Data data = make_data(40, 2, 3, family, 1);
    for (const Enc& e : encoders) {
      for (const Penalty& pen : penalties) {
        FitOptions o = encoder_options(family, e.type, e.width, e.depth, e.archetypes, e.act, e.skip);
        o.penalty = pen;
        const std::size_t nw = encoder_n_weights(o.encoder, data.m, data.p + 1);
        std::vector<double> w(nw);
        CounterRng rng(3, Stream::kInit, nw);
        for (double& v : w) v = 0.4 * rng.normal();
        const double err = relative_gradient_error(data, o, w);
        check(err <= 1e-6, std::string("gradient ") + family + " " + e.type + (e.skip ? " linear_skip" : "") +
                               " archetypes=" + std::to_string(e.archetypes) + " alpha=" + std::to_string(pen.alpha) +
                               " relative error " + std::to_string(err));
      }
    }
  }
}

void determinism_checks() {
  const Data data = make_data(3000, 3, 3, "gaussian", 5);
  for (const char* solver : {"exact", "lbfgs", "varpro", "adam"}) {
    std::vector<double> first;
    for (int threads : {1, 2, 3}) {
      FitOptions o = default_fit_options();
      o.encoder.type = std::string(solver) == "exact" ? "linear" : "mlp";
      o.encoder.width = 8;
      o.solver = solver;
      o.solver_options.max_iter = 30;
      o.solver_options.threads = threads;
      const FitResult r = fit(data.view(), o);
      if (first.empty()) first = r.weights;
      else check(first == r.weights, std::string("bitwise identical weights with ") + std::to_string(threads) +
                                         " threads, solver " + solver);
    }
  }
}

template <typename F>
void expect_invalid(F f, const std::string& fragment) {
  try {
    f();
    check(false, "expected an error mentioning '" + fragment + "'");
  } catch (const InvalidArgument& e) {
    check(std::string(e.what()).find(fragment) != std::string::npos,
          "error '" + std::string(e.what()) + "' mentions '" + fragment + "'");
  }
}

void boundary_checks() {
  Data data = make_data(50, 2, 2, "gaussian", 7);
  FitOptions o = default_fit_options();
  data.C[7] = NAN;
  expect_invalid([&] { fit(data.view(), o); }, "context column 1");
  data = make_data(50, 2, 2, "gaussian", 7);
  o.family = "binomial";
  expect_invalid([&] { fit(data.view(), o); }, "endog must lie in [0, 1]");
  o.family = "gamma";
  expect_invalid([&] { fit(data.view(), o); }, "family must be one of");
  o.family = "gaussian";
  o.encoder.type = "rnn";
  expect_invalid([&] { fit(data.view(), o); }, "encoder must be one of");
  o.encoder.type = "mlp";
  o.solver = "exact";
  expect_invalid([&] { fit(data.view(), o); }, "solver 'exact' needs encoder 'linear'");
  o.solver = "lbfgs";
  o.penalty.l1_ratio = 2.0;
  expect_invalid([&] { fit(data.view(), o); }, "l1_ratio");
  DataView empty = data.view();
  empty.n = 0;
  o.penalty.l1_ratio = 0.0;
  expect_invalid([&] { fit(empty, o); }, "zero rows");
}


// The linear skip path (option linear_skip, encoders/encoder_skip.cpp; its gradient is in
// gradient_checks): its output layer (the network's plus B) solved exactly; the start at the exact
// linear varying-coefficient fit (glm/skip_start.hpp); bitwise determinism; archetypes refused.
void linear_skip_checks() {
  struct Enc { const char* type; int width, depth; Activation act; };
  const Enc encoders[] = {{"mlp", 3, 2, Activation::kTanh}, {"mlp", 4, 1, Activation::kRelu},
                          {"ngam", 3, 1, Activation::kTanh}, {"ngam", 2, 2, Activation::kRelu}};
  for (const char* family : {"gaussian", "binomial", "poisson"}) {
    const Data data = make_data(50, 2, 3, family, 21);
    const Family fam = parse_family(family);
    const Scaling scaling = compute_scaling(data.view(), fam, true);
    for (const Enc& e : encoders) {
      FitOptions o = encoder_options(family, e.type, e.width, e.depth, 0, e.act, true);
      const std::string label = std::string(family) + " " + e.type + " depth " + std::to_string(e.depth);
      auto enc = make_encoder(o.encoder, data.m, scaling.q());
      FitOptions plain = o;
      plain.encoder.linear_skip = false;
      check(enc->n_weights() == encoder_n_weights(plain.encoder, data.m, scaling.q()) +
                                    static_cast<std::size_t>(scaling.q()) * data.m,
            "linear skip adds q x m weights: " + label);
      const std::size_t nw = enc->n_weights();
      // The output layer with the skip: its gradient vanishes after the exact solve.
      std::vector<bool> in_v(nw, false);
      for (int k = 0; k < enc->q(); ++k)
        for (int l = 0; l < enc->output_features(); ++l) in_v[enc->output_weight(k, l)] = true;
      std::size_t count = 0;
      for (bool b : in_v) count += b;
      check(count == static_cast<std::size_t>(enc->q()) * enc->output_features(),
            "output-layer positions are distinct: " + label);
      std::vector<double> w(nw);
      enc->init(3, w.data());
      Penalty ridge = o.penalty;
      ridge.weight_decay = 0.01;
      const OutputLayerResult r = solve_output_layer(*enc, fam, data.view(), scaling, ridge, 1, w.data());
      FitOptions od = o;
      od.penalty = ridge;
      std::vector<double> grad;
      objective_value_grad(data.view(), od, w, &grad);
      double gv = 0.0, gu = 0.0;
      for (std::size_t j = 0; j < nw; ++j) (in_v[j] ? gv : gu) = std::max(in_v[j] ? gv : gu, std::fabs(grad[j]));
      check(r.solved && gv <= 1e-7 * std::max(1.0, gu), "linear skip output layer solved: " + label);
      // The start: theta of every row equals the exact linear fit's.
      FitOptions lin = default_fit_options();
      lin.family = family;
      lin.encoder.type = "linear";
      const FitResult linear = fit(data.view(), lin);
      std::vector<double> seeded(nw);
      enc->init(o.solver_options.seed, seeded.data());
      std::vector<double> w0 = seeded;
      linear_skip_start(*enc, fam, data.view(), scaling, o.penalty, o.solver_options, w0.data());
      bool hidden_kept = true;
      for (std::size_t j = 0; j < nw; ++j)
        if (!in_v[j]) hidden_kept = hidden_kept && w0[j] == seeded[j];
      check(hidden_kept, "linear skip start keeps the seeded hidden weights: " + label);
      const auto t_lin = predict_theta(linear.encoder, linear.scaling, linear.weights, data.C.data(), data.n, data.m, 1);
      const auto t_net = predict_theta(o.encoder, scaling, w0, data.C.data(), data.n, data.m, 1);
      double diff = 0.0, size = 0.0;
      for (std::size_t k = 0; k < t_lin.size(); ++k) {
        diff = std::max(diff, std::fabs(t_lin[k] - t_net[k]));
        size = std::max(size, std::fabs(t_lin[k]));
      }
      check(diff <= 1e-9 * std::max(1.0, size), "linear skip start is the exact linear fit (" + std::to_string(diff) +
                                                    "): " + label);
    }
  }
  const Data data = make_data(2000, 3, 3, "binomial", 5);
  for (const char* type : {"mlp", "ngam"}) {
    std::vector<double> first;
    for (int threads : {1, 2, 3}) {
      FitOptions o = default_fit_options();
      o.family = "binomial";
      o.encoder.type = type;
      o.encoder.width = 6;
      o.encoder.linear_skip = true;
      o.solver_options.max_iter = 40;
      o.solver_options.threads = threads;
      const FitResult r = fit(data.view(), o);
      if (first.empty()) first = r.weights;
      else check(first == r.weights, std::string("linear skip: bitwise identical weights with ") +
                                         std::to_string(threads) + " threads, " + type);
    }
  }
  FitOptions o = default_fit_options();
  o.encoder.linear_skip = true;
  o.encoder.archetypes = 3;
  expect_invalid([&] { fit(data.view(), o); }, "linear_skip");
  o.encoder.archetypes = 0;
  o.encoder.depth = 0;
  expect_invalid([&] { fit(data.view(), o); }, "linear_skip needs hidden layers");
  OptionMap given = {{"encoder", OptionValue::string("mlp")}, {"archetypes", OptionValue::integer(2)},
                     {"linear_skip", OptionValue::boolean(true)}};
  expect_invalid([&] { fit_options_from(given); }, "linear_skip is not available with archetypes");
  OptionMap on_linear = {{"encoder", OptionValue::string("linear")}, {"linear_skip", OptionValue::boolean(true)}};
  expect_invalid([&] { fit_options_from(on_linear); }, "linear_skip does not apply to encoder 'linear'");

  // The default per encoder and family (the table's "ngam & gaussian" key): true for the gaussian
  // ngam only, false where the encoder has no skip (depth 0, archetypes), and a given value wins.
  const auto skip_of = [](const std::string& encoder, const std::string& family, OptionMap more) {
    OptionMap g = {{"encoder", OptionValue::string(encoder)}, {"family", OptionValue::string(family)}};
    g.insert(g.end(), more.begin(), more.end());
    return fit_options_from(g).encoder.linear_skip;
  };
  check(skip_of("ngam", "gaussian", {}), "the gaussian ngam's default skip");
  check(!skip_of("ngam", "binomial", {}) && !skip_of("ngam", "poisson", {}), "no default skip for other families");
  check(!skip_of("mlp", "gaussian", {}), "no default skip for the mlp");
  check(!skip_of("ngam", "gaussian", {{"depth", OptionValue::integer(0)}}), "no default skip without hidden layers");
  check(!skip_of("ngam", "gaussian", {{"archetypes", OptionValue::integer(2)}}), "no default skip with archetypes");
  check(!skip_of("ngam", "gaussian", {{"linear_skip", OptionValue::boolean(false)}}), "a given false wins");
  check(skip_of("mlp", "binomial", {{"linear_skip", OptionValue::boolean(true)}}), "a given true wins");
  const OptionSpec& skip_spec = *find_option("linear_skip");
  check(option_default(skip_spec, "glm", "ngam", "gaussian").flag, "option_default: ngam & gaussian");
  check(!option_default(skip_spec, "glm", "ngam").flag, "option_default: the family unknown");
  check(option_default(*find_option("width"), "glm", "ngam", "gaussian").text == "16" &&
            option_default(*find_option("depth"), "glm", "ngam", "gaussian").text == "1",
        "a default keyed by the encoder alone still holds with a family");
  const auto decay_of = [](const std::string& encoder, const std::string& family) {
    return fit_options_from({{"encoder", OptionValue::string(encoder)}, {"family", OptionValue::string(family)}})
        .penalty.weight_decay;
  };
  check(decay_of("mlp", "poisson") == 1e-4 && decay_of("mlp", "binomial") == 0.0 && decay_of("ngam", "poisson") == 0.0,
        "weight_decay: 1e-4 for the poisson mlp only");
}


// The output layer solved exactly for fixed hidden weights (output_layer.hpp): afterwards the
// gradient in the output-layer weights vanishes; and the profiled objective F(u) = min_V L(u, V)
// that variable projection minimises has the partial gradient of L in u as its gradient
// (checked against central differences of F).
// The gaussian output start (gaussian_output_start): from one pass, w_first gets the output layer
// that minimises the objective on the rows not held out and w_all the one on all rows, both at
// the seeded hidden weights, which stay as they were.
// A network fitted over partitions (ctxstats.dask: glm/network_passes.hpp) is the in-memory
// fit up to summation order: the same early-stopping split (rows of zero weight outside it),
// the same iterations, and weights within rounding.
void network_passes_checks() {
  Data data = make_data(700, 2, 2, "gaussian", 21);
  for (std::size_t i = 0; i < data.n; i += 13) data.w[i] = 0.0;
  const DataView all = data.view();
  const std::size_t cuts[] = {0, 180, 181, 433, 700};  // uneven, one of a single row
  auto part = [&](int k) {
    DataView v = all;
    v.n = cuts[k + 1] - cuts[k];
    v.C += cuts[k] * 2;
    v.X += cuts[k] * 2;
    v.y += cuts[k];
    v.weights += cuts[k];
    return v;
  };
  for (const bool early : {true, false}) {
    FitOptions o = default_fit_options();
    o.encoder.type = "mlp";
    o.encoder.width = 4;
    o.encoder.depth = 1;
    o.early_stopping = early;
    o.solver_options.seed = 3;
    o.solver_options.threads = 1;
    o.penalty.weight_decay = early ? 0.0 : 1e-3;
    const FitResult direct = fit(all, o);
    std::size_t used = 0;
    std::vector<std::size_t> positive(4);
    for (int k = 0; k < 4; ++k) used += positive[k] = positive_rows(part(k));
    const std::vector<std::size_t> held = held_out_ordinals(o.solver_options.seed, used);
    std::vector<std::vector<std::size_t>> held_in(4);
    for (int k = 0, offset = 0; k < 4; offset += static_cast<int>(positive[k]), ++k)
      for (std::size_t h : held)
        if (h >= static_cast<std::size_t>(offset) && h < offset + positive[k]) held_in[k].push_back(h - offset);
    const FitResult split = fit_network_passes(o, direct.scaling, 2, [&](const std::vector<double>& w, bool grad,
                                                                         RowSet rows) {
      NetworkSums total;
      for (int k = 0; k < 4; ++k) {
        const NetworkSums s = network_pass(part(k), o, direct.scaling, w, grad, rows, held_in[k]);
        if (k == 0) total = s; else add_network_sums(&total, s);
      }
      return total;
    });
    double diff = 0.0;
    for (std::size_t k = 0; k < direct.weights.size(); ++k)
      diff = std::max(diff, std::abs(direct.weights[k] - split.weights[k]));
    const std::string label = early ? " (early stopping)" : " (weight decay)";
    check(split.solve.n_iter == direct.solve.n_iter && split.solve.converged == direct.solve.converged &&
              split.early_best_iter == direct.early_best_iter && split.early_stopped == early,
          "network over partitions: the in-memory iterations and early-stopping choice" + label);
    check(diff < 1e-7 && std::abs(split.solve.objective - direct.solve.objective) < 1e-12,
          "network over partitions: the in-memory weights up to rounding" + label);
  }
  FitOptions o = default_fit_options();
  o.solver = "adam";
  o.encoder.type = "mlp";
  bool refused = false;
  try {
    fit_network_passes(o, compute_scaling(all, Family::kGaussian, true), 2,
                       [](const std::vector<double>&, bool, RowSet) { return NetworkSums{}; });
  } catch (const InvalidArgument& e) {
    refused = std::string(e.what()).find("by L-BFGS") != std::string::npos;
  }
  check(refused, "network over partitions: adam refused, naming L-BFGS");
}

void output_start_checks() {
  struct Enc { const char* type; int width, depth, archetypes; };
  const Enc encoders[] = {{"mlp", 4, 2, 0}, {"ngam", 3, 1, 0}, {"mlp", 3, 1, 3}};
  const Penalty penalties[] = {{0.0, 0.0, 0.5, 0.0}, {0.3, 0.0, 0.2, 0.05}};
  const Data data = make_data(90, 2, 3, "gaussian", 12);
  const Scaling scaling = compute_scaling(data.view(), Family::kGaussian, true);
  std::vector<char> held(data.n, 0);
  std::vector<std::size_t> train;
  for (std::size_t i = 0; i < data.n; ++i) {
    held[i] = i % 3 == 1;
    if (!held[i]) train.push_back(i);
  }
  for (const Enc& e : encoders) {
    for (const Penalty& pen : penalties) {
      FitOptions o = default_fit_options();
      o.encoder.type = e.type;
      o.encoder.width = e.width;
      o.encoder.depth = e.depth;
      o.encoder.archetypes = e.archetypes;
      o.penalty = pen;
      const std::string label = std::string(e.type) + " archetypes=" + std::to_string(e.archetypes) +
                                " alpha=" + std::to_string(pen.alpha);
      auto enc = make_encoder(o.encoder, data.m, scaling.q());
      const std::size_t nw = enc->n_weights();
      std::vector<bool> in_v(nw, false);
      for (int k = 0; k < enc->q(); ++k)
        for (int l = 0; l < enc->output_features(); ++l) in_v[enc->output_weight(k, l)] = true;
      std::vector<double> seeded(nw);
      enc->init(7, seeded.data());
      std::vector<double> first = seeded, all(nw);
      gaussian_output_start(*enc, data.view(), scaling, pen, 2, &held, first.data(), all.data());
      Objective on_train(*enc, Family::kGaussian, data.view(), scaling, pen, 1);
      std::vector<double> g_train(nw), g_all;
      on_train.value_grad(first.data(), g_train.data(), train.data(), train.size());
      objective_value_grad(data.view(), o, all, &g_all);
      for (const auto* g : {&g_train, &g_all}) {
        double gv = 0.0, gu = 0.0;
        for (std::size_t j = 0; j < nw; ++j) (in_v[j] ? gv : gu) = std::max(in_v[j] ? gv : gu, std::fabs((*g)[j]));
        check(gv <= 1e-7 * std::max(1.0, gu), "output start: output-layer gradient vanishes (" + std::to_string(gv) +
                                                  "): " + label);
      }
      bool hidden_kept = true;
      for (std::size_t j = 0; j < nw; ++j)
        if (!in_v[j]) hidden_kept = hidden_kept && first[j] == seeded[j] && all[j] == seeded[j];
      check(hidden_kept, "output start keeps the hidden weights: " + label);
      // Without a split the start is the all-rows one up to the rounding of adding two sums.
      std::vector<double> single = seeded;
      gaussian_output_start(*enc, data.view(), scaling, pen, 1, nullptr, single.data(), nullptr);
      double diff = 0.0, size = 0.0;
      for (std::size_t j = 0; j < nw; ++j) {
        diff = std::max(diff, std::fabs(single[j] - all[j]));
        size = std::max(size, std::fabs(all[j]));
      }
      check(diff <= 1e-8 * std::max(1.0, size), "output start without a split equals the all-rows one: " + label);
    }
  }
}

void output_layer_checks() {
  struct Enc { const char* type; int width, depth, archetypes; };
  const Enc encoders[] = {{"mlp", 4, 2, 0}, {"mlp", 3, 1, 0}, {"ngam", 3, 1, 0}, {"ngam", 2, 2, 0}, {"mlp", 3, 1, 3}};
  const Penalty penalties[] = {{0.0, 0.0, 0.5, 0.01}, {0.3, 0.0, 0.2, 0.05}};
  for (const char* family : {"gaussian", "binomial", "poisson"}) {
    const Data data = make_data(60, 2, 3, family, 11);
    for (const Enc& e : encoders) {
      for (const Penalty& pen : penalties) {
        FitOptions o = default_fit_options();
        o.family = family;
        o.encoder.type = e.type;
        o.encoder.width = e.width;
        o.encoder.depth = e.depth;
        o.encoder.archetypes = e.archetypes;
        o.penalty = pen;
        const std::string label = std::string(family) + " " + e.type + " archetypes=" + std::to_string(e.archetypes) +
                                  " alpha=" + std::to_string(pen.alpha);
        const Family fam = parse_family(family);
        const Scaling scaling = compute_scaling(data.view(), fam, true);
        auto enc = make_encoder(o.encoder, data.m, scaling.q());
        const std::size_t nw = enc->n_weights();
        std::vector<bool> in_v(nw, false);
        for (int k = 0; k < enc->q(); ++k)
          for (int l = 0; l < enc->output_features(); ++l) in_v[enc->output_weight(k, l)] = true;
        std::vector<double> w(nw);
        CounterRng rng(4, Stream::kInit, nw);
        for (double& v : w) v = 0.4 * rng.normal();
        const OutputLayerResult r = solve_output_layer(*enc, fam, data.view(), scaling, pen, 1, w.data());
        check(r.solved, "output layer solved: " + label);
        std::vector<double> grad;
        objective_value_grad(data.view(), o, w, &grad);
        double gv = 0.0, gu = 0.0;
        for (std::size_t j = 0; j < nw; ++j) (in_v[j] ? gv : gu) = std::max(in_v[j] ? gv : gu, std::fabs(grad[j]));
        check(gv <= 1e-7 * std::max(1.0, gu), "output-layer gradient vanishes (" + std::to_string(gv) + "): " + label);
        // F(u) by solving V at u; its gradient is the u part of grad L at (u, V*(u)).
        auto profiled = [&](std::vector<double> x) {
          solve_output_layer(*enc, fam, data.view(), scaling, pen, 1, x.data());
          return objective_value_grad(data.view(), o, x, nullptr);
        };
        double num = 0.0, den = 0.0;
        const double h = 1e-5;
        for (std::size_t j = 0; j < nw; ++j) {
          if (in_v[j]) continue;
          std::vector<double> wp = w, wm = w;
          wp[j] += h;
          wm[j] -= h;
          const double fd = (profiled(wp) - profiled(wm)) / (2 * h);
          num += (fd - grad[j]) * (fd - grad[j]);
          den += fd * fd;
        }
        const double err = std::sqrt(num / std::max(den, 1e-300));
        check(err <= 1e-5, "profiled gradient " + label + " relative error " + std::to_string(err));
      }
    }
  }
}

// Neural fits stop by the log-likelihood criterion (solver.hpp): converged, silently, with the
// rise over the last window at most kNeuralLoglikTol.
void neural_criterion_checks() {
  const Data data = make_data(600, 2, 2, "gaussian", 13);
  for (const char* solver : {"lbfgs", "varpro"}) {
    FitOptions o = default_fit_options();
    o.encoder.type = "mlp";
    o.encoder.width = 4;
    o.encoder.depth = 1;
    o.solver = solver;
    const FitResult r = fit(data.view(), o);
    double rows = 0.0;
    for (double v : data.w) rows += v;
    const auto& h = r.solve.history;
    check(r.solve.converged && r.solve.message.empty(), std::string(solver) + " mlp converges: " + r.solve.message);
    if (h.size() > kLoglikWindow) {
      const double rise = 0.5 * rows * std::log(h[h.size() - 1 - kLoglikWindow] / h.back());
      check(rise <= kNeuralLoglikTol || r.solve.n_iter < 1000, std::string(solver) + " criterion holds at the end");
    }
  }
}

}  // namespace

// Every solver reports converged only when its stated criterion holds; a fit at its cap names
// the criterion, the cap and what to change (the text both languages warn with).
void convergence_checks() {
  const Data data = make_data(400, 2, 2, "gaussian", 7);
  auto contains = [](const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; };
  struct Case { const char* solver; const char* encoder; int max_iter; const char* start; };
  for (const Case& c : {Case{"lbfgs", "mlp", 5, "L-BFGS reached max_iter=5 "},
                        Case{"adam", "mlp", 3, "Adam reached max_iter=3 epochs"}}) {
    FitOptions o = default_fit_options();
    o.encoder.type = c.encoder;
    o.encoder.width = 4;
    o.solver = c.solver;
    o.solver_options.max_iter = c.max_iter;
    o.solver_options.patience = 100;
    const FitResult r = fit(data.view(), o);
    check(!r.solve.converged && !r.solve.interrupted, std::string(c.solver) + " at its cap is not converged");
    check(r.solve.message.rfind(c.start, 0) == 0 && contains(r.solve.message, "raise max_iter") &&
              contains(r.solve.message, "weight_decay"),
          std::string(c.solver) + " cap message: " + r.solve.message);
  }
  FitOptions o = default_fit_options();
  o.encoder.type = "linear";
  o.solver = "lbfgs";
  const FitResult full = fit(data.view(), o);
  check(full.solve.converged && full.solve.message.empty(), "linear lbfgs converges silently");
  o.solver_options.max_iter = full.solve.n_iter;
  const FitResult capped = fit(data.view(), o);
  check(capped.solve.converged, "lbfgs meeting its criterion on the cap's last iteration is converged");
  int calls = 0;
  o.solver_options.max_iter = 0;
  o.encoder.type = "mlp";
  o.encoder.width = 4;
  o.solver_options.callback = [&calls](int, double) { return ++calls < 3; };
  const FitResult stopped = fit(data.view(), o);
  check(stopped.solve.interrupted && !stopped.solve.converged &&
            contains(stopped.solve.message, "interrupted"),
        "an interrupted fit is reported interrupted, not converged");
}

int main() {
  gradient_checks();
  determinism_checks();
  output_layer_checks();
  output_start_checks();
  network_passes_checks();
  linear_skip_checks();
  neural_criterion_checks();
  convergence_checks();
  boundary_checks();
  return report();
}
