// Fitted networks in the model file (csrc/model/network_file.*): every network kind --
// correlation, Markov, Bayesian with archetypes and with factor graphs, bootstrapped and not --
// survives the file byte for byte and predicts bitwise identically; a truncated file, records of
// the wrong shape and values out of range are refused with InvalidArgument naming what is wrong;
// and a seeded mutation loop over the real files (checksums recomputed, so that only the
// network's own checks stand between the bytes and predict) ends every time in a refusal or a
// network that predicts.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/rng.hpp"
#include "harness.hpp"
#include "model/fitted_model.hpp"
#include "model/network_file.hpp"

using namespace ctxstats;
using namespace ctxstats_test;

namespace {

struct Case {
  std::string name;
  NetworkType type;
  FitOptions options;
  OptionMap given;
  DagOptions dag;
  int bootstraps;
};

OptionMap given_options(const std::string& encoder, int archetypes, int max_iter) {
  OptionMap o = {{"family", OptionValue::string("gaussian")}, {"encoder", OptionValue::string(encoder)},
                 {"threads", OptionValue::integer(1)}, {"archetypes", OptionValue::integer(archetypes)},
                 {"seed", OptionValue::integer(3)}};
  if (encoder != "linear") {
    o.emplace_back("width", OptionValue::integer(4));
    o.emplace_back("depth", OptionValue::integer(1));
  }
  if (max_iter > 0) o.emplace_back("max_iter", OptionValue::integer(max_iter));
  return o;
}

Case make_case(const std::string& name, NetworkType type, const std::string& encoder, int archetypes, int bootstraps,
               int factors = 0) {
  Case c{name, type, {}, given_options(encoder, archetypes, 15), DagOptions(), bootstraps};
  c.options = fit_options_from(c.given);
  c.dag.factors = factors;
  if (type == NetworkType::kBayesian) c.dag.augmented = false;
  return c;
}

FileRecord record_like(const FileRecord& r, std::vector<std::uint64_t> shape) {
  FileRecord out;
  out.name = r.name;
  out.type = r.type;
  out.shape = shape;
  std::uint64_t n = 1;
  for (auto s : shape) n *= s;
  if (r.type == FileRecord::Type::kDoubles) out.doubles.assign(n, 0.5);
  if (r.type == FileRecord::Type::kInts) out.ints.assign(n, 1);
  if (r.type == FileRecord::Type::kStrings) out.strings.assign(n, "x");
  return out;
}

ModelFile replaced(const ModelFile& f, const FileRecord& r) {
  ModelFile g;
  for (const FileRecord& x : f.records()) add_record(g, x.name == r.name ? r : x);
  return g;
}

ModelFile without(const ModelFile& f, const std::string& name) {
  ModelFile g;
  for (const FileRecord& x : f.records())
    if (x.name != name) add_record(g, x);
  return g;
}

// Every prediction a front end makes, concatenated: betas and mus of every replicate, the
// projected DAGs (Bayesian networks), correlations or precisions, predicted X and MSEs.
std::vector<double> predictions(const NetworkModel& md, const std::vector<double>& C, const std::vector<double>& X,
                                std::size_t n, int threads) {
  NetworkParams prm = predict_network_params(md, C.data(), n, md.m, threads);
  std::vector<double> out = prm.betas;
  out.insert(out.end(), prm.mus.begin(), prm.mus.end());
  if (md.type == NetworkType::kBayesian) project_network_dags(md, prm, true, 0.0);
  if (md.type == NetworkType::kCorrelation) {
    const auto r = network_correlations(md, prm, false, false);
    out.insert(out.end(), r.begin(), r.end());
  }
  if (md.type == NetworkType::kMarkov) {
    const auto r = network_precisions(md, prm, true);
    out.insert(out.end(), r.begin(), r.end());
  }
  const auto x = network_predict_x(md, prm, X.data(), n, md.p, true);
  const auto e = network_mses(md, prm, X.data(), n, md.p, false);
  out.insert(out.end(), x.begin(), x.end());
  out.insert(out.end(), e.begin(), e.end());
  return out;
}

}  // namespace

int main() {
  const std::size_t n = 80;
  const int p = 4, m = 2;
  std::vector<double> C, X;
  CounterRng rng(17, Stream::kInit, 3);
  for (std::size_t i = 0; i < n * m; ++i) C.push_back(rng.normal());
  for (std::size_t i = 0; i < n; ++i) {
    const double a = rng.normal(), b = rng.normal();
    X.push_back(a);
    X.push_back((0.5 + 0.5 * C[i * m]) * a + 0.5 * rng.normal());
    X.push_back(b);
    X.push_back(0.7 * b + 0.4 * rng.normal());
  }
  const std::vector<Case> cases = {
      make_case("correlation", NetworkType::kCorrelation, "linear", 0, 3),
      make_case("markov (mlp)", NetworkType::kMarkov, "mlp", 0, 0),
      make_case("bayesian (archetypes)", NetworkType::kBayesian, "linear", 2, 2),
      make_case("bayesian (factors)", NetworkType::kBayesian, "linear", 0, 0, 2),
  };
  std::vector<std::string> files;
  std::vector<NetworkModel> models;
  for (const Case& c : cases) {
    SavedNetwork s;
    s.model = fit_network(c.type, C.data(), X.data(), nullptr, n, m, p, c.options, c.bootstraps, true, nullptr, c.dag);
    s.options = c.given;
    s.feature_names = {"a", "b", "c", "d"};
    s.context_names = {"u", "v"};
    if (c.type == NetworkType::kMarkov) {  // training data kept (as R's networks keep them)
      s.n = n;
      s.C = C;
      s.X = X;
    }
    s.meta = {{"language", "C++"}};
    const std::string bytes = network_to_model_file(s).serialize();
    const SavedNetwork back = network_from_model_file(ModelFile::parse(bytes));
    check(network_to_model_file(back).serialize() == bytes, c.name + ": the file round trip is byte-identical");
    check(predictions(s.model, C, X, n, 1) == predictions(back.model, C, X, n, 2),
          c.name + ": the loaded network predicts bitwise identically");
    check(back.model.n_replicates == s.model.n_replicates && back.feature_names == s.feature_names &&
              back.n == s.n && back.meta == s.meta,
          c.name + ": replicates, names, data and annotations survive");
    check(model_file_kind(ModelFile::parse(bytes)) == "network", c.name + ": the file's kind is 'network'");
    files.push_back(bytes);
    models.push_back(s.model);

    // A truncated file: refused at every length tried.
    bool all_refused = true;
    for (std::size_t len : {std::size_t{0}, std::size_t{7}, std::size_t{20}, bytes.size() / 3, bytes.size() / 2,
                            bytes.size() - 9, bytes.size() - 1})
      all_refused = all_refused && throws_invalid([&] { network_from_model_file(ModelFile::parse(bytes.substr(0, len))); });
    check(all_refused, c.name + ": a truncated file is refused");

    // Records of the wrong shape, and missing records: refused, naming the record.
    const ModelFile f = ModelFile::parse(bytes);
    for (const char* name : {"weights", "replicates/weights", "replicates/residual_variance", "scaling/x_mean",
                             "scaling/c_scale", "replicates/n_iter", "names/features", "names/context"}) {
      const FileRecord* r = f.find(name);
      std::vector<std::vector<std::uint64_t>> shapes;
      if (r->shape.size() == 2) shapes = {{r->shape[0], r->shape[1] + 1}, {r->shape[0] + 1, r->shape[1] + 1}, {r->shape[1]}};
      else shapes = {{r->shape.empty() ? 2 : r->shape[0] + 1}, {1, 1}};
      for (const auto& shape : shapes)
        check(throws_invalid([&] { network_from_model_file(replaced(f, record_like(*r, shape))); }),
              c.name + ": " + name + " of another shape is refused");
      check(throws_invalid([&] { network_from_model_file(without(f, name)); }, name),
            c.name + ": a file without " + std::string(name) + " is refused, naming it");
    }
    {
      auto w = f.find("weights")->doubles;
      w[0] = NAN;
      FileRecord r = *f.find("weights");
      r.doubles = w;
      check(throws_invalid([&] { network_from_model_file(replaced(f, r)); }, "weights"), c.name + ": a NaN weight is refused");
      FileRecord big = *f.find("model/p");
      big.ints = {1000000};
      check(throws_invalid([&] { network_from_model_file(replaced(f, big)); }), c.name + ": a claimed p of 10^6 is refused");
      FileRecord kind = *f.find("network/type");
      kind.strings = {"tree"};
      check(throws_invalid([&] { network_from_model_file(replaced(f, kind)); }, "type"),
            c.name + ": an unknown network type is refused");
    }
  }
  // A network file is not a GLM and the reverse: each reader names the kind it found.
  check(throws_invalid([&] { fitted_model_from_file(ModelFile::parse(files[0])); }, "network"),
        "the GLM reader refuses a network file, naming its kind");

  // Seeded mutation loop over the real files.
  int trials = 0, refusals = 0, loads = 0, other = 0;
  const int per_file = fuzz_trials(400);
  for (std::size_t k = 0; k < files.size(); ++k) {
    for (int t = 0; t < per_file; ++t, ++trials) {
      const std::uint64_t r = mix64(4242ULL * 1000003ULL + k * 100000ULL + static_cast<std::uint64_t>(t));
      const std::string m2 = with_checksum(mutated(files[k], r));
      try {
        const SavedNetwork s = network_from_model_file(ModelFile::parse(m2));
        ++loads;
        predictions(s.model, C, X, n, 1);
      } catch (const InvalidArgument&) {
        ++refusals;
      } catch (...) {
        ++other;
      }
    }
  }
  std::printf("crafted network files: %d mutations, %d refused, %d loaded, %d other outcomes\n", trials, refusals,
              loads, other);
  check(other == 0, "every mutated network file is refused with InvalidArgument or loads and predicts");
  return report();
}
