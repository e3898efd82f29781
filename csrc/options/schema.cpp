#include "options/schema.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace ctxstats {

OptionValue OptionValue::boolean(bool b) {
  OptionValue v;
  v.kind = Kind::kBool;
  v.flag = b;
  return v;
}
OptionValue OptionValue::integer(long long i) { return integer_text(std::to_string(i)); }
OptionValue OptionValue::integer_text(std::string digits) {
  OptionValue v;
  v.kind = Kind::kInt;
  v.text = std::move(digits);
  return v;
}
OptionValue OptionValue::real(double d) {
  OptionValue v;
  v.kind = Kind::kDouble;
  v.number = d;
  return v;
}
OptionValue OptionValue::string(std::string s) {
  OptionValue v;
  v.kind = Kind::kString;
  v.text = std::move(s);
  return v;
}
OptionValue OptionValue::list(std::vector<OptionValue> items) {
  OptionValue v;
  v.kind = Kind::kList;
  v.items = std::move(items);
  return v;
}
OptionValue OptionValue::other(std::string description) {
  OptionValue v;
  v.kind = Kind::kOther;
  v.text = std::move(description);
  return v;
}

namespace {

using Kind = OptionValue::Kind;
using Strings = std::vector<std::string>;

// The shortest decimal text that reads back as d: 0.5, 1e-05, 2.
std::string format_number(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Inf" : "-Inf";
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

std::string quoted(const Strings& xs) {
  std::string out;
  for (const auto& x : xs) out += (out.empty() ? "'" : ", '") + x + "'";
  return out;
}

// How a value is named in a message: the same words whichever language it came from.
std::string describe(const OptionValue& v) {
  switch (v.kind) {
    case Kind::kNull: return "null";
    case Kind::kBool: return v.flag ? "true" : "false";
    case Kind::kInt: return v.text;
    case Kind::kDouble: return format_number(v.number);
    case Kind::kString: return "'" + v.text + "'";
    case Kind::kList: return "a sequence of " + std::to_string(v.items.size()) + " values";
    default: return v.text;  // the binding's words for a value of another kind
  }
}

// An integer's decimal text as sign and magnitude, the magnitude saturating above 2^64.
struct BigInt {
  bool negative = false;
  unsigned long long magnitude = 0;
  bool overflow = false;
};

BigInt parse_integer_text(const std::string& text) {
  BigInt b;
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) b.negative = text[i++] == '-';
  for (; i < text.size(); ++i) {
    const unsigned digit = static_cast<unsigned>(text[i] - '0');
    if (b.magnitude > (ULLONG_MAX - digit) / 10) b.overflow = true;
    if (!b.overflow) b.magnitude = b.magnitude * 10 + digit;
  }
  return b;
}

bool is_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// An integer value of any kind that holds one: integer text, or a whole finite double (R has
// no integer literals: 32 is a double). Throws InvalidType otherwise.
OptionValue as_integer(const OptionValue& v, const std::string& label) {
  if (v.kind == Kind::kInt) return v;
  if (v.kind == Kind::kDouble && std::isfinite(v.number) && std::floor(v.number) == v.number) {
    char buf[400];
    std::snprintf(buf, sizeof buf, "%.0f", v.number);
    return OptionValue::integer_text(buf);
  }
  throw InvalidType(label + " must be an integer, not " + describe(v));
}

OptionValue check_int(const OptionSpec& spec, const OptionValue& v, const std::string& label) {
  const OptionValue i = as_integer(v, label);
  const BigInt b = parse_integer_text(i.text);
  const long long low = spec.has_low ? static_cast<long long>(spec.low) : LLONG_MIN;
  const long long high = spec.has_high ? static_cast<long long>(spec.high) : INT_MAX;
  const bool below = b.negative && b.magnitude > 0
                         ? (low >= 0 || b.overflow || b.magnitude > static_cast<unsigned long long>(-(low + 1)) + 1)
                         : (low > 0 && b.magnitude < static_cast<unsigned long long>(low));
  if (below) throw InvalidArgument(label + " must be at least " + std::to_string(low) + ", not " + i.text);
  if (!b.negative && (b.overflow || b.magnitude > static_cast<unsigned long long>(high)))
    throw InvalidArgument(label + " must be at most " + std::to_string(high) + ", not " + i.text);
  const long long x = b.negative ? -static_cast<long long>(b.magnitude) : static_cast<long long>(b.magnitude);
  return OptionValue::integer(x);
}

std::uint64_t check_seed(const OptionValue& v, const std::string& label) {
  const std::string what = label + " must be a non-negative integer below 2^64";
  OptionValue i;
  if (v.kind == Kind::kString) {
    if (!is_digits(v.text)) throw InvalidType(what + ", not " + describe(v));
    i = OptionValue::integer_text(v.text);
  } else if (v.kind == Kind::kDouble && std::isfinite(v.number) && std::floor(v.number) == v.number &&
             std::fabs(v.number) > 9007199254740992.0 && std::fabs(v.number) < 18446744073709551616.0) {
    // Above 2^53 a floating-point number is not the integer that was written.
    throw InvalidArgument(label + " " + format_number(v.number) +
                          " is a floating-point number above 2^53, which need not be the integer written; "
                          "give it as an integer or as a string of digits");
  } else if (v.kind == Kind::kInt || v.kind == Kind::kDouble) {
    if (v.kind == Kind::kDouble && !(std::isfinite(v.number) && std::floor(v.number) == v.number))
      throw InvalidType(what + ", not " + describe(v));
    i = as_integer(v, label);
  } else {
    throw InvalidType(what + ", not " + describe(v));
  }
  const BigInt b = parse_integer_text(i.text);
  if ((b.negative && b.magnitude > 0) || b.overflow) throw InvalidArgument(what + ", not " + i.text);
  return b.magnitude;
}

double check_number(const OptionSpec& spec, const OptionValue& v, const std::string& label) {
  double x;
  if (v.kind == Kind::kDouble) x = v.number;
  else if (v.kind == Kind::kInt) x = std::strtod(v.text.c_str(), nullptr);
  else throw InvalidType(label + " must be a number, not " + describe(v));
  if (!std::isfinite(x)) throw InvalidArgument(label + " must be finite, not " + format_number(x));
  if (spec.has_low && (x < spec.low || (spec.low_open && x == spec.low)))
    throw InvalidArgument(label + " must be " + (spec.low_open ? "> " : ">= ") + format_number(spec.low) + ", not " +
                          format_number(x));
  if (spec.has_high && (x > spec.high || (spec.high_open && x == spec.high)))
    throw InvalidArgument(label + " must be " + (spec.high_open ? "< " : "<= ") + format_number(spec.high) + ", not " +
                          format_number(x));
  return x;
}

std::vector<OptionValue> as_items(const OptionValue& v) {
  if (v.kind == Kind::kList) return v.items;
  return {v};  // one number for a list of one
}

// One value of the option's type, canonical: integers as integer text, numbers as doubles,
// choices with synonyms replaced.
OptionValue canonical(const OptionSpec& spec, const OptionValue& v) {
  const std::string& name = spec.name;
  switch (spec.type) {
    case OptionType::kBool:
      if (v.kind != Kind::kBool) throw InvalidType(name + " must be a boolean (true or false), not " + describe(v));
      return v;
    case OptionType::kInt: return check_int(spec, v, name);
    case OptionType::kSeed: return OptionValue::integer_text(std::to_string(check_seed(v, name)));
    case OptionType::kDouble: return OptionValue::real(check_number(spec, v, name));
    case OptionType::kChoice: {
      if (v.kind != Kind::kString)
        throw InvalidType(name + " must be a string, one of " + quoted(spec.choices) + "; got " + describe(v));
      std::string s = v.text;
      for (const auto& a : spec.aliases)
        if (a.first == s) s = a.second;
      if (std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end())
        throw InvalidArgument(name + " must be one of " + quoted(spec.choices) + ", not '" + v.text + "'");
      return OptionValue::string(s);
    }
    case OptionType::kDoubleList: {
      std::vector<OptionValue> out;
      for (const auto& item : as_items(v)) {
        if (item.kind != Kind::kDouble && item.kind != Kind::kInt)
          throw InvalidType(name + " must be numbers, not " + describe(item));
        out.push_back(OptionValue::real(check_number(spec, item, "every value of " + name)));
      }
      return OptionValue::list(out);
    }
    case OptionType::kIntList: {
      std::vector<OptionValue> out;
      for (const auto& item : as_items(v)) {
        const OptionValue b = item.kind == Kind::kBool ? OptionValue::integer(item.flag ? 1 : 0) : item;
        out.push_back(check_int(spec, b, "every value of " + name));
      }
      return OptionValue::list(out);
    }
    case OptionType::kIntPairs: {
      const std::string what = name + " must be a list of pairs of context columns";
      if (v.kind != Kind::kList) throw InvalidType(what + ", not " + describe(v));
      std::vector<OptionValue> out;
      for (const auto& pair : v.items) {
        if (pair.kind != Kind::kList || pair.items.size() != 2) throw InvalidType(what + "; got " + describe(pair));
        std::vector<OptionValue> ij;
        for (const auto& c : pair.items) ij.push_back(check_int(spec, c, "every column in " + name));
        out.push_back(OptionValue::list(ij));
      }
      return OptionValue::list(out);
    }
  }
  return v;
}

// ---- the table ----------------------------------------------------------------------------

struct Builder {
  OptionSpec s;
  Builder(const std::string& name, OptionType type, const std::string& group, OptionValue def,
          const std::string& doc) {
    s.name = name;
    s.type = type;
    s.group = group;
    s.default_value = std::move(def);
    s.doc = doc;
  }
  Builder& low(double v, bool open = false) {
    s.has_low = true;
    s.low = v;
    s.low_open = open;
    return *this;
  }
  Builder& high(double v, bool open = false) {
    s.has_high = true;
    s.high = v;
    s.high_open = open;
    return *this;
  }
  Builder& choices(Strings c) {
    s.choices = std::move(c);
    return *this;
  }
  Builder& alias(const std::string& from, const std::string& to) {
    s.aliases.emplace_back(from, to);
    return *this;
  }
  Builder& models(Strings m) {
    s.models = std::move(m);
    return *this;
  }
  Builder& encoders(Strings e) {
    s.encoders = std::move(e);
    return *this;
  }
  Builder& families(Strings f) {
    s.families = std::move(f);
    return *this;
  }
  Builder& solvers(Strings v) {
    s.solvers = std::move(v);
    return *this;
  }
  Builder& default_for(const std::string& key, OptionValue v) {
    s.default_for.emplace_back(key, std::move(v));
    return *this;
  }
  Builder& internal() {
    s.internal = true;
    return *this;
  }
};

std::vector<OptionSpec> build_schema() {
  using V = OptionValue;
  const Strings glm = {"glm"}, pers = {"personalized"}, neural = {"mlp", "ngam"}, spline = {"spline"};
  std::vector<Builder> rows = {
      // the model
      Builder("family", OptionType::kChoice, "model", V::string("gaussian"),
              "The outcome's distribution, with its canonical link (identity, logit, log); negativebinomial: NB2 "
              "with a log link and its dispersion theta estimated (MASS::glm.nb; linear encoder only).")
          .choices({"gaussian", "binomial", "poisson", "negativebinomial"}),
      Builder("encoder", OptionType::kChoice, "model", V::string("mlp"),
              "How the parameters depend on context: linear (varying coefficients), mlp, ngam (neural additive), "
              "spline (penalised cubic splines).")
          .choices({"linear", "mlp", "ngam", "spline"})
          .models(glm),
      Builder("fit_intercept", OptionType::kBool, "model", V::boolean(true),
              "Whether each sample has its own intercept."),
      Builder("dispersion", OptionType::kChoice, "model", V::string("model"),
              "model: the family's own (estimated for gaussian, 1 for binomial and poisson); pearson: estimated "
              "as Pearson chi2 / residual df for every family -- for binomial and poisson a quasi-likelihood fit "
              "(R's quasibinomial and quasipoisson): the same estimates, standard errors scaled by its square "
              "root, t intervals and F tests, and no likelihood; for gaussian the same as model. With encoder spline "
              "the smoothing is chosen with the scale unknown, as mgcv's bam(family = quasipoisson) does, and the "
              "weights are prior weights (the scale is estimated on the number of rows).")
          .choices({"model", "pearson"})
          .models(glm),
      Builder("scale", OptionType::kChoice, "model", V::string("constant"),
              "gaussian: constant (one residual variance) or context (log sigma(c) another output of the "
              "encoder, linear or spline, fitted jointly by Newton's method).")
          .choices({"constant", "context"})
          .models(glm)
          .families({"gaussian"}),
      // the encoder
      Builder("width", OptionType::kInt, "encoder", V::integer(16),
              "Hidden units per layer (ngam: per feature network); at most 4096. The mlp's default was 32 before "
              "2026-11-30: 16 is as accurate on gaussian data, about twice as fast, and overfits binary outcomes "
              "less (benchmarks/results_neural.md).")
          .low(1)
          .high(4096)
          .models(glm)
          .encoders(neural)
          .default_for("ngam", V::integer(16)),
      Builder("depth", OptionType::kInt, "encoder", V::integer(2), "Hidden layers; at most 64.")
          .low(0)
          .high(64)
          .models(glm)
          .encoders(neural)
          .default_for("ngam", V::integer(1)),
      Builder("activation", OptionType::kChoice, "encoder", V::string("tanh"),
              "Hidden-layer activation; tanh gives smooth coefficient functions.")
          .choices({"relu", "tanh"})
          .models(glm)
          .encoders(neural),
      Builder("linear_skip", OptionType::kBool, "encoder", V::boolean(false),
              "theta(c) = network(c) + B c: a linear path beside the network, which starts at the exact linear "
              "varying-coefficient fit (the network's output layer at zero), so the network learns what the linear "
              "model misses. Not with archetypes. Default true for the gaussian ngam (public benchmark: coefficient "
              "RMSE 0.078 -> 0.063 at n = 2,000, 0.038 -> 0.034 at 10,000, and at 50,000 it converges where the "
              "ngam without it stops at the iteration cap), false otherwise (binomial ngam and the mlp: no gain "
              "across sizes; benchmarks/results_neural.md). Without hidden layers or with archetypes it is false.")
          .models(glm)
          .encoders(neural)
          .default_for("ngam & gaussian", V::boolean(true)),
      Builder("archetypes", OptionType::kInt, "encoder", V::integer(0),
              "K >= 2: each sample's model is a convex mixture of K archetype models; 0: none (spline: 0 only); "
              "at most 1024.")
          .low(0)
          .high(1024)
          .models(glm),
      Builder("n_knots", OptionType::kInt, "spline", V::integer(15),
              "Cubic B-spline basis functions per context feature (mgcv's k); at most 1000, and above the default "
              "at most the feature's number of distinct values.")
          .low(4)
          .high(1000)
          .models(glm)
          .encoders(spline),
      Builder("knot_spacing", OptionType::kChoice, "spline", V::string("even"),
              "Knots spread evenly over each feature's range, or at its quantiles.")
          .choices({"even", "quantile"})
          .models(glm)
          .encoders(spline),
      Builder("interactions", OptionType::kIntPairs, "spline", V::list({}),
              "Tensor-product interaction terms: pairs of context columns (empty: none).")
          .low(0)
          .models(glm)
          .encoders(spline),
      Builder("interaction_knots", OptionType::kInt, "spline", V::integer(5),
              "Basis functions per margin of a tensor-product term; at most 100, and above the default at most the "
              "margin's number of distinct values.")
          .low(4)
          .high(100)
          .models(glm)
          .encoders(spline),
      Builder("smoothing", OptionType::kDoubleList, "spline", V::null(),
              "Fixed smoothing parameters, one per (parameter, penalty) pair (null: estimated by method).")
          .low(0, true)
          .models(glm)
          .encoders(spline)
          .solvers({"exact"}),
      Builder("method", OptionType::kChoice, "spline", V::string("REML"),
              "How the smoothing parameters are estimated: REML, or GCV (GCV.Cp: UBRE for binomial and poisson).")
          .choices({"REML", "GCV"})
          .alias("GCV.Cp", "GCV")
          .models(glm)
          .encoders(spline)
          .solvers({"exact"}),
      Builder("knots", OptionType::kDoubleList, "spline", V::null(), "The fitted basis's knots (set by the fit).")
          .models(glm)
          .encoders(spline)
          .internal(),
      Builder("centres", OptionType::kDoubleList, "spline", V::null(),
              "The fitted basis's centring means (set by the fit).")
          .models(glm)
          .encoders(spline)
          .internal(),
      // personalized regression
      Builder("rank", OptionType::kInt, "personalized", V::integer(0),
              "K, the dimension of the latent sample space; at most max(2, parameters per sample). 0: chosen "
              "from the data (1 ... min(4, context columns) by held-out deviance, one-standard-error rule).")
          .low(0)
          .high(1024)
          .models(pers),
      Builder("categorical", OptionType::kIntList, "personalized", V::null(),
              "One flag per context column: 1 for a categorical column (set from the data).")
          .low(0)
          .high(1)
          .models(pers)
          .internal(),
      Builder("gamma", OptionType::kDouble, "personalized", V::real(1.0), "Weight of the distance-matching term.")
          .low(0)
          .models(pers),
      Builder("n_partners", OptionType::kInt, "personalized", V::integer(5), "Partners drawn per sample per epoch; at most 1000 and fewer than the samples.")
          .low(1)
          .high(1000)
          .models(pers),
      Builder("nu", OptionType::kDouble, "personalized", V::real(0.0), "nu ||phi||^2 on the metric weights.")
          .low(0)
          .models(pers),
      Builder("warmup", OptionType::kInt, "personalized", V::integer(200),
              "Epochs over which gamma rises linearly from 0.")
          .low(0)
          .models(pers),
      Builder("sample_models", OptionType::kChoice, "personalized", V::string("local"),
              "local: each sample's model is a local GLM among its nearest training samples under the learned "
              "metric; latent: theta_bar + Q' z_i of the distance matching (the 2019 model).")
          .choices({"local", "latent"})
          .models(pers),
      Builder("local_neighbors", OptionType::kInt, "personalized", V::integer(0),
              "Training samples in each local GLM; 0: chosen from 8, 16, ..., 4096 by held-out deviance.")
          .low(0)
          .models(pers),
      Builder("refine_metric", OptionType::kBool, "personalized", V::boolean(true),
              "With local sample models: refine the matching's metric weights by the held-out deviance of the "
              "local GLMs.")
          .models(pers),
      // the penalty
      Builder("alpha", OptionType::kDouble, "penalty", V::real(0.0),
              "Elastic-net strength on the sample parameters (standardised scale).")
          .low(0),
      Builder("l1_ratio", OptionType::kDouble, "penalty", V::real(0.0), "Share of the elastic net that is L1.")
          .low(0)
          .high(1),
      Builder("mu_ratio", OptionType::kDouble, "penalty", V::real(0.5),
              "Share of the elastic net on the intercepts (the rest on the coefficients).")
          .low(0)
          .high(1),
      Builder("weight_decay", OptionType::kDouble, "penalty", V::real(0.0),
              "weight_decay / 2 ||w||^2 on the encoder weights (personalized: on Q). Networks are regularised by "
              "early stopping by default (see early_stopping); the poisson mlp also by weight_decay 1e-4, which keeps "
              "its log-linear predictions from running away in contexts the training rows barely cover (RAND HIE, "
              "5-fold held-out deviance 4.281 -> 4.099, the linear encoder's 4.164; a poisson version of the public "
              "benchmark: unchanged; benchmarks/results_neural.md).")
          .low(0)
          .default_for("personalized", V::real(0.01))
          .default_for("mlp & poisson", V::real(1e-4)),
      // the solver
      Builder("solver", OptionType::kChoice, "solver", V::string("auto"),
              "auto: exact for the linear encoder (without archetypes or L1) and the spline encoder, else lbfgs. "
              "varpro: variable projection for networks (L-BFGS on the hidden weights, output layer solved exactly).")
          .choices({"auto", "exact", "lbfgs", "varpro", "adam"})
          .models(glm),
      Builder("max_iter", OptionType::kInt, "solver", V::integer(0),
              "Iterations or epochs; 0: the solver's default (exact 100, lbfgs 1000, adam 500, personalized 2000).")
          .low(0),
      Builder("tol", OptionType::kDouble, "solver", V::real(0.0),
              "Convergence tolerance; 0: the solver's default (exact 1e-20, lbfgs/varpro 1e-8 on the largest "
              "gradient component, adam 1e-6, personalized 1e-5). Networks (mlp, ngam, archetypes) also converge "
              "when the log-likelihood rose by at most 0.5 over the last 10 iterations.")
          .low(0),
      Builder("batch_size", OptionType::kInt, "solver", V::integer(256), "Rows per Adam mini-batch.")
          .low(1)
          .models(glm)
          .solvers({"adam"}),
      Builder("learning_rate", OptionType::kDouble, "solver", V::real(1e-3), "Adam step size.")
          .low(0, true)
          .solvers({"adam"})
          .default_for("personalized", V::real(0.02)),
      Builder("val_split", OptionType::kDouble, "solver", V::real(0.2), "Share of rows held out for early stopping.")
          .low(0)
          .high(1, true)
          .solvers({"adam"}),
      Builder("early_stopping", OptionType::kBool, "solver", V::boolean(true),
              "Networks fitted by lbfgs: choose the number of L-BFGS iterations on a seeded 20% of the rows held "
              "out (the iteration k of least held-out loss; that run stops max(100, k/2) iterations after it, or once the "
              "held-out log-likelihood gained at most 0.5 over the last 100 iterations), then "
              "fit all rows from the same initial weights for k (all rows / training rows) iterations. false: fit to convergence (networks "
              "overfit then: benchmark binomial task, n = 10,000, mlp coefficient RMSE 4.2).")
          .models(glm)
          .encoders(neural)
          .solvers({"lbfgs"}),
      Builder("output_start", OptionType::kBool, "solver", V::boolean(false),
              "Gaussian networks fitted by lbfgs (no L1 penalty), from the seeded start: begin at the seeded hidden "
              "weights with the output layer solved by least squares on the rows being fitted (with early stopping: "
              "on the training rows, and on all rows for the all-rows fit), so L-BFGS starts at the best fit of the "
              "random hidden features; L-BFGS usually stops a few iterations later. Public benchmark, ngam, n = 10,000: "
              "a tenth of the cost, but coefficient RMSE 0.036 / 0.062 / 0.092 over data seeds 0 / 1 / 2 (0.024 / "
              "0.047 / 0.043 without); n = 2,000: 0.134 / 0.307 / 0.164 (0.077 / 0.088 / 0.068 without); mlp: 0.21 "
              "(0.043 without), its random hidden features being nearly collinear. Off by default.")
          .models(glm)
          .families({"gaussian"})
          .encoders(neural)
          .solvers({"lbfgs"}),
      Builder("patience", OptionType::kInt, "solver", V::integer(10),
              "Epochs without improvement before early stopping.")
          .low(1)
          .solvers({"adam"})
          .default_for("personalized", V::integer(50)),
      Builder("seed", OptionType::kSeed, "solver", V::integer(0),
              "Keys the random initialisation, shuffles, splits and bootstrap draws (any integer in [0, 2^64)).")
          .low(0),
      Builder("threads", OptionType::kInt, "solver", V::integer(0),
              "OpenMP threads; 0: all cores; more than the cores are capped at the core count. Results are "
              "identical for any value.")
          .low(0),
      // inference
      Builder("n_bootstraps", OptionType::kInt, "inference", V::integer(0),
              "Bootstrap replicate fits (0: none).")
          .low(0),
      Builder("n_neighbors", OptionType::kInt, "inference", V::integer(10),
              "Training samples averaged to predict a new context's model.")
          .low(1)
          .models(pers),
  };
  std::vector<OptionSpec> out;
  for (auto& b : rows) out.push_back(std::move(b.s));
  return out;
}

bool contains(const Strings& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}
bool applies(const Strings& xs, const std::string& x) { return xs.empty() || contains(xs, x); }

const OptionValue* lookup(const OptionMap& m, const std::string& name) {
  for (const auto& kv : m)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

long long int_of(const OptionValue& v) { return std::strtoll(v.text.c_str(), nullptr, 10); }

std::string model_words(const std::string& model) {
  return model == "glm" ? "a contextualized GLM" : "personalized regression";
}

// The resolved options of one model, with accessors that fall back to the table's default.
struct Resolved {
  std::string model, encoder, family;
  OptionMap values;
  OptionValue get(const std::string& name) const {
    if (const OptionValue* v = lookup(values, name)) return *v;
    return option_default(*find_option(name), model, encoder, family);
  }
  int integer(const std::string& name) const { return static_cast<int>(int_of(get(name))); }
  double number(const std::string& name) const { return get(name).number; }
  std::string text(const std::string& name) const { return get(name).text; }
  std::vector<double> numbers(const std::string& name) const {
    std::vector<double> out;
    for (const auto& v : get(name).items) out.push_back(v.number);
    return out;
  }
};

// The penalty and the optimiser's schedule, which both models have.
void read_penalty(const Resolved& r, double& alpha, double& l1_ratio, double& mu_ratio, double& weight_decay) {
  alpha = r.number("alpha");
  l1_ratio = r.number("l1_ratio");
  mu_ratio = r.number("mu_ratio");
  weight_decay = r.number("weight_decay");
}

void read_schedule(const Resolved& r, int& max_iter, double& tol, double& learning_rate, double& val_split,
                   int& patience, std::uint64_t& seed, int& threads) {
  max_iter = r.integer("max_iter");
  tol = r.number("tol");
  learning_rate = r.number("learning_rate");
  val_split = r.number("val_split");
  patience = r.integer("patience");
  seed = check_seed(r.get("seed"), "seed");
  threads = r.integer("threads");
}

Resolved resolve(const std::string& model, const OptionMap& given, bool strict = true) {
  Resolved r;
  r.model = model;
  r.values = resolve_options(model, given, true, strict);
  r.encoder = model == "glm" ? r.get("encoder").text : "";
  r.family = r.get("family").text;
  return r;
}

}  // namespace

const char* option_type_name(OptionType t) {
  switch (t) {
    case OptionType::kBool: return "bool";
    case OptionType::kInt: return "int";
    case OptionType::kSeed: return "seed";
    case OptionType::kDouble: return "double";
    case OptionType::kChoice: return "choice";
    case OptionType::kIntList: return "int_list";
    case OptionType::kDoubleList: return "double_list";
    case OptionType::kIntPairs: return "int_pairs";
  }
  return "?";
}

const std::vector<OptionSpec>& option_schema() {
  static const std::vector<OptionSpec> schema = build_schema();
  return schema;
}

const OptionSpec* find_option(const std::string& name) {
  for (const auto& s : option_schema())
    if (s.name == name) return &s;
  return nullptr;
}

OptionValue option_default(const OptionSpec& spec, const std::string& model, const std::string& encoder,
                           const std::string& family) {
  const OptionValue* best = &spec.default_value;
  std::size_t best_names = 0;
  for (const auto& d : spec.default_for) {
    std::size_t names = 0, start = 0;
    bool holds = true;
    while (holds) {  // each name of the key, " & " between them
      const std::size_t end = d.first.find(" & ", start);
      const std::string name = d.first.substr(start, end == std::string::npos ? std::string::npos : end - start);
      holds = !name.empty() && (name == model || name == encoder || name == family);
      ++names;
      if (end == std::string::npos) break;
      start = end + 3;
    }
    if (holds && names > best_names) {
      best = &d.second;
      best_names = names;
    }
  }
  return *best;
}

// The negative binomial family (theta estimated with the coefficients, glm/negbin.hpp) exists
// for the linear encoder fitted by the exact solver; everything else says so instead of fitting.
void check_negbin(const std::string& model, const std::string& encoder, const std::string& solver,
                  const std::map<std::string, OptionValue>& values) {
  const auto given = [&](const char* name) { return values.count(name) ? &values.at(name) : nullptr; };
  if (model != "glm")
    throw InvalidArgument("family 'negativebinomial' is available for contextualized GLMs (encoder 'linear'), not for " +
                          model_words(model) + "; use family 'poisson'");
  if (encoder != "linear")
    throw InvalidArgument("family 'negativebinomial' (theta estimated by maximum likelihood, as MASS::glm.nb) is "
                          "available with encoder 'linear' only, not '" + encoder +
                          "'; for overdispersed counts with this encoder use family 'poisson' with "
                          "dispersion='pearson' (quasi-Poisson)");
  const OptionValue* k = given("archetypes");
  if (k && int_of(*k) > 0)
    throw InvalidArgument("family 'negativebinomial' is not available with archetypes; use archetypes=0");
  if (!solver.empty() && solver != "exact")
    throw InvalidArgument("family 'negativebinomial' is fitted by the exact solver (IRLS alternating with theta), "
                          "not '" + solver + "'; use solver='exact' (l1_ratio=0)");
  const OptionValue* d = given("dispersion");
  if (d && d->text == "pearson")
    throw InvalidArgument("family 'negativebinomial' estimates its dispersion theta by maximum likelihood; "
                          "dispersion='pearson' does not apply to it");
  const OptionValue* b = given("n_bootstraps");
  if (b && int_of(*b) > 0)
    throw InvalidArgument("n_bootstraps is not available with family 'negativebinomial' yet; its standard errors "
                          "are analytic (cov_type 'nonrobust', 'HC0'-'HC3', 'cluster' or 'observed')");
}

OptionMap resolve_options(const std::string& model, const OptionMap& given, bool solver_known, bool strict) {
  if (model != "glm" && model != "personalized")
    throw InvalidArgument("model must be 'glm' or 'personalized', not '" + model + "'");
  // Names first: every unknown one in one message.
  Strings unknown, known;
  for (const auto& s : option_schema())
    if (applies(s.models, model) && !s.internal) known.push_back(s.name);
  std::map<std::string, OptionValue> raw, values;
  for (const auto& kv : given) {
    const OptionSpec* spec = find_option(kv.first);
    if (!spec || !applies(spec->models, model)) {
      unknown.push_back(kv.first);
      continue;
    }
    if (raw.count(kv.first)) throw InvalidArgument("the option " + kv.first + " is given twice");
    if (kv.second.kind != Kind::kNull) raw[kv.first] = kv.second;
  }
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());
    std::string u, k;
    for (const auto& x : unknown) u += (u.empty() ? "" : ", ") + x;
    for (const auto& x : known) k += (k.empty() ? "" : ", ") + x;
    throw InvalidType("unknown option(s): " + u + "; the options of " + model_words(model) + " are " + k);
  }
  // The options that decide what the others apply to are read first; then whether each given
  // option applies (before its value is checked: a value of an option that does not apply
  // is not the problem); then every other value.
  for (const char* name : {"family", "encoder", "archetypes", "solver", "alpha", "l1_ratio"})
    if (raw.count(name)) values[name] = canonical(*find_option(name), raw[name]);
  std::string family;  // known after the encoder: a default may depend on both
  const auto value = [&](const std::string& name, const std::string& encoder) {
    const auto it = values.find(name);
    return it != values.end() ? it->second : option_default(*find_option(name), model, encoder, family);
  };
  const std::string encoder = model == "glm" ? value("encoder", "").text : "";
  family = value("family", encoder).text;
  long long archetypes = 0;
  std::string solver;
  if (model == "glm") {
    const long long K = int_of(value("archetypes", encoder));
    archetypes = K;
    if (K == 1) throw InvalidArgument("archetypes=1 gives every sample the same model; use 0 (none) or K >= 2");
    if (encoder == "spline" && K > 0) throw InvalidArgument("archetypes are not available with encoder 'spline'");
    if (K > 0 && raw.count("linear_skip") && canonical(*find_option("linear_skip"), raw["linear_skip"]).flag)
      throw InvalidArgument("linear_skip is not available with archetypes; use archetypes=0 or linear_skip=False");
    if (solver_known) {
      solver = value("solver", encoder).text;
      const bool linear = encoder == "linear" && K == 0;
      if (solver == "auto") {  // fit.cpp's rule
        FitOptions probe;
        probe.encoder.type = encoder;
        probe.encoder.archetypes = static_cast<int>(K);
        probe.penalty.alpha = value("alpha", encoder).number;
        probe.penalty.l1_ratio = value("l1_ratio", encoder).number;
        probe.solver = solver;
        solver = resolve_solver(probe);
      }
      if (solver == "exact" && !linear && encoder != "spline")
        throw InvalidArgument("solver 'exact' needs encoder 'linear' without archetypes, or encoder 'spline'");
      if (solver == "varpro" && K == 0 && (encoder == "linear" || encoder == "spline"))
        throw InvalidArgument("solver 'varpro' needs a network with a linear output layer: encoder 'mlp' or "
                              "'ngam', or archetypes");
    }
  }
  // Each given option must apply to what was chosen.
  for (const auto& kv : raw) {
    if (!strict) break;
    const OptionSpec& s = *find_option(kv.first);
    if (model == "glm" && !applies(s.encoders, encoder))
      throw InvalidArgument(s.name + " does not apply to encoder '" + encoder + "'; it applies to encoder " +
                            quoted(s.encoders));
    if (model == "glm" && solver_known && !applies(s.solvers, solver))
      throw InvalidArgument(s.name + " does not apply to solver '" + solver + "'; it applies to solver " +
                            quoted(s.solvers));
    if (!applies(s.families, family))
      throw InvalidArgument(s.name + " does not apply to family '" + family + "'; it applies to family " +
                            quoted(s.families));
  }
  for (const auto& kv : raw)
    if (!values.count(kv.first)) values[kv.first] = canonical(*find_option(kv.first), kv.second);
  if (values.count("n_bootstraps") && int_of(values["n_bootstraps"]) > 0 && values.count("scale") &&
      values["scale"].text == "context")
    throw InvalidArgument("n_bootstraps is not available with scale='context' yet: its standard errors come from the "
                          "inverse observed information; use n_bootstraps=0");
  if (family == "negativebinomial") check_negbin(model, encoder, solver, values);
  if (values.count("n_bootstraps") && int_of(values["n_bootstraps"]) == 1)
    throw InvalidArgument("n_bootstraps=1 gives one replicate, which has no spread to estimate standard errors or "
                          "intervals from; use 0 (none) or B >= 2");
  OptionMap out;
  for (const auto& s : option_schema()) {
    const bool given_here = values.count(s.name) > 0;
    if (!applies(s.models, model) || !applies(s.families, family)) continue;
    if (model == "glm" && !applies(s.encoders, encoder)) continue;
    if (model == "glm" && !s.solvers.empty() && (solver_known ? !contains(s.solvers, solver) : !given_here)) continue;
    if (s.internal && !given_here) continue;
    // A default skip only where the encoder has one: no archetypes, hidden layers (depth >= 1).
    if (s.name == "linear_skip" && !given_here && (archetypes > 0 || int_of(value("depth", encoder)) < 1)) {
      out.emplace_back(s.name, OptionValue::boolean(false));
      continue;
    }
    out.emplace_back(s.name, value(s.name, encoder));
  }
  return out;
}

FitOptions fit_options_from(const OptionMap& given, bool strict) {
  const Resolved r = resolve("glm", given, strict);
  FitOptions o;
  o.family = r.text("family");
  EncoderSpec& e = o.encoder;
  e.type = r.encoder;
  e.width = r.integer("width");
  e.depth = r.integer("depth");
  e.archetypes = r.integer("archetypes");
  e.activation = parse_activation(r.text("activation"));
  const OptionValue* skip = lookup(r.values, "linear_skip");
  e.linear_skip = skip && skip->kind == Kind::kBool && skip->flag;
  e.n_knots = r.integer("n_knots");
  e.knot_spacing = r.text("knot_spacing");
  e.interactions.clear();
  for (const auto& pair : r.get("interactions").items)
    e.interactions.emplace_back(static_cast<int>(int_of(pair.items[0])), static_cast<int>(int_of(pair.items[1])));
  e.interaction_knots = r.integer("interaction_knots");
  e.smoothing = r.numbers("smoothing");
  e.smoothing_method = r.text("method");
  e.knots = r.numbers("knots");
  e.centres = r.numbers("centres");
  o.intercept = r.get("fit_intercept").flag;
  const OptionValue* dispersion = lookup(r.values, "dispersion");
  o.quasi = dispersion && dispersion->text == "pearson" && o.family != "gaussian";
  o.solver_options.quasi = o.quasi;
  const OptionValue* scale = lookup(r.values, "scale");
  o.scale = scale && scale->kind == Kind::kString ? scale->text : "constant";
  read_penalty(r, o.penalty.alpha, o.penalty.l1_ratio, o.penalty.mu_ratio, o.penalty.weight_decay);
  o.solver = r.text("solver");
  const OptionValue* early = lookup(r.values, "early_stopping");
  o.early_stopping = early && early->kind == Kind::kBool && early->flag;
  const OptionValue* output_start = lookup(r.values, "output_start");
  o.output_start = output_start && output_start->kind == Kind::kBool && output_start->flag;
  SolverOptions& s = o.solver_options;
  read_schedule(r, s.max_iter, s.tol, s.learning_rate, s.val_split, s.patience, s.seed, s.threads);
  s.batch_size = r.integer("batch_size");
  return o;
}

PersonalizedOptions personalized_options_from(const OptionMap& given) {
  const Resolved r = resolve("personalized", given);
  PersonalizedOptions o;
  o.family = r.text("family");
  o.intercept = r.get("fit_intercept").flag;
  o.rank = r.integer("rank");
  o.gamma = r.number("gamma");
  o.n_partners = r.integer("n_partners");
  o.nu = r.number("nu");
  read_penalty(r, o.alpha, o.l1_ratio, o.mu_ratio, o.weight_decay);
  o.categorical.clear();
  for (const auto& v : r.get("categorical").items) o.categorical.push_back(static_cast<int>(int_of(v)));
  read_schedule(r, o.max_iter, o.tol, o.learning_rate, o.val_split, o.patience, o.seed, o.threads);
  o.warmup = r.integer("warmup");
  o.sample_models = r.text("sample_models");
  o.local_neighbors = r.integer("local_neighbors");
  o.refine_metric = r.get("refine_metric").flag;
  return o;
}

FitOptions default_fit_options() { return fit_options_from({}); }
PersonalizedOptions default_personalized_options() { return personalized_options_from({}); }

std::uint64_t seed_from(const OptionValue& v, const std::string& name) { return check_seed(v, name); }

int int_option(const std::string& name, const OptionValue& v) {
  const OptionSpec* spec = find_option(name);
  require(spec && spec->type == OptionType::kInt, "int_option: " + name + " is not an integer option");
  if (v.kind == Kind::kNull) return static_cast<int>(int_of(spec->default_value));
  return static_cast<int>(int_of(check_int(*spec, v, name)));
}

// ---- the core's structs checked against the table ---------------------------------------------
// The C++ entry points (fit, make_encoder, fit_personalized) take structs; they are checked
// here by the same table, so that no bound is written twice. Only the fields that apply are
// put in the map, and applicability itself is not checked (a struct always has every field).

namespace {

OptionValue doubles(const std::vector<double>& xs) {
  std::vector<OptionValue> out;
  for (double x : xs) out.push_back(OptionValue::real(x));
  return OptionValue::list(out);
}

void add_encoder(OptionMap& m, const EncoderSpec& e) {
  m.emplace_back("encoder", OptionValue::string(e.type));
  m.emplace_back("archetypes", OptionValue::integer(e.archetypes));
  if (e.type == "mlp" || e.type == "ngam") {
    m.emplace_back("width", OptionValue::integer(e.width));
    m.emplace_back("depth", OptionValue::integer(e.depth));
    m.emplace_back("linear_skip", OptionValue::boolean(e.linear_skip));
  }
  if (e.type != "spline") return;
  m.emplace_back("n_knots", OptionValue::integer(e.n_knots));
  m.emplace_back("knot_spacing", OptionValue::string(e.knot_spacing));
  std::vector<OptionValue> pairs;
  for (const auto& pr : e.interactions)
    pairs.push_back(OptionValue::list({OptionValue::integer(pr.first), OptionValue::integer(pr.second)}));
  m.emplace_back("interactions", OptionValue::list(pairs));
  m.emplace_back("interaction_knots", OptionValue::integer(e.interaction_knots));
  m.emplace_back("smoothing", doubles(e.smoothing));
  m.emplace_back("method", OptionValue::string(e.smoothing_method));
  m.emplace_back("knots", doubles(e.knots));
  m.emplace_back("centres", doubles(e.centres));
}

void add_penalty(OptionMap& m, double alpha, double l1_ratio, double mu_ratio, double weight_decay) {
  m.emplace_back("alpha", OptionValue::real(alpha));
  m.emplace_back("l1_ratio", OptionValue::real(l1_ratio));
  m.emplace_back("mu_ratio", OptionValue::real(mu_ratio));
  m.emplace_back("weight_decay", OptionValue::real(weight_decay));
}

void add_solver(OptionMap& m, int max_iter, double tol, double learning_rate, double val_split, int patience,
                std::uint64_t seed, int threads) {
  m.emplace_back("max_iter", OptionValue::integer(max_iter));
  m.emplace_back("tol", OptionValue::real(tol));
  m.emplace_back("learning_rate", OptionValue::real(learning_rate));
  m.emplace_back("val_split", OptionValue::real(val_split));
  m.emplace_back("patience", OptionValue::integer(patience));
  m.emplace_back("seed", OptionValue::integer_text(std::to_string(seed)));
  m.emplace_back("threads", OptionValue::integer(threads));
}

void check_struct(const std::string& model, const OptionMap& m) { resolve_options(model, m, false, false); }

}  // namespace

void validate_encoder_spec(const EncoderSpec& spec) {
  OptionMap m;
  add_encoder(m, spec);
  check_struct("glm", m);
}

void validate_penalty(const Penalty& p) {
  OptionMap m;
  add_penalty(m, p.alpha, p.l1_ratio, p.mu_ratio, p.weight_decay);
  check_struct("glm", m);
}

void validate_solver_options(const SolverOptions& o) {
  OptionMap m;
  add_solver(m, o.max_iter, o.tol, o.learning_rate, o.val_split, o.patience, o.seed, o.threads);
  m.emplace_back("batch_size", OptionValue::integer(o.batch_size));
  check_struct("glm", m);
}

void validate_fit_options(const FitOptions& o) {
  OptionMap m;
  m.emplace_back("family", OptionValue::string(o.family));
  if (o.quasi) m.emplace_back("dispersion", OptionValue::string("pearson"));
  if (!o.scale.empty() && o.scale != "constant") m.emplace_back("scale", OptionValue::string(o.scale));
  add_encoder(m, o.encoder);
  add_penalty(m, o.penalty.alpha, o.penalty.l1_ratio, o.penalty.mu_ratio, o.penalty.weight_decay);
  m.emplace_back("solver", OptionValue::string(o.solver));
  const SolverOptions& s = o.solver_options;
  add_solver(m, s.max_iter, s.tol, s.learning_rate, s.val_split, s.patience, s.seed, s.threads);
  m.emplace_back("batch_size", OptionValue::integer(s.batch_size));
  resolve_options("glm", m, true, false);
}

void validate_personalized_options(const PersonalizedOptions& o, int m) {
  OptionMap map;
  map.emplace_back("family", OptionValue::string(o.family));
  map.emplace_back("rank", OptionValue::integer(o.rank));
  map.emplace_back("gamma", OptionValue::real(o.gamma));
  map.emplace_back("n_partners", OptionValue::integer(o.n_partners));
  map.emplace_back("nu", OptionValue::real(o.nu));
  map.emplace_back("warmup", OptionValue::integer(o.warmup));
  map.emplace_back("sample_models", OptionValue::string(o.sample_models));
  map.emplace_back("local_neighbors", OptionValue::integer(o.local_neighbors));
  map.emplace_back("refine_metric", OptionValue::boolean(o.refine_metric));
  add_penalty(map, o.alpha, o.l1_ratio, o.mu_ratio, o.weight_decay);
  add_solver(map, o.max_iter, o.tol, o.learning_rate, o.val_split, o.patience, o.seed, o.threads);
  check_struct("personalized", map);
  require(o.categorical.empty() || static_cast<int>(o.categorical.size()) == m,
          "categorical must have one flag per context column (" + std::to_string(m) + "), not " +
              std::to_string(o.categorical.size()));
}

}  // namespace ctxstats
