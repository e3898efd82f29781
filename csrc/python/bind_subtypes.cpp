// Bindings for the subtypes from sample models (csrc/inference/subtypes.hpp).
#include "convert.hpp"

namespace ctxstats_py {

namespace {

py::dict subtypes_py(const Array& theta, const py::object& replicates, int k, int k_max, int n_starts,
                     long long seed, double alpha, int threads) {
  if (theta.ndim() != 2) throw InvalidArgument("the per-sample parameters must be a matrix (samples x parameters)");
  const std::size_t n = static_cast<std::size_t>(theta.shape(0)), d = static_cast<std::size_t>(theta.shape(1));
  Array reps;
  std::size_t B = 0;
  if (!replicates.is_none()) {
    reps = py::cast<Array>(replicates);
    if (reps.ndim() != 3 || static_cast<std::size_t>(reps.shape(1)) != n ||
        static_cast<std::size_t>(reps.shape(2)) != d)
      throw InvalidArgument("the replicates' per-sample parameters must be replicates x samples x parameters");
    B = static_cast<std::size_t>(reps.shape(0));
  }
  if (seed < 0) throw InvalidArgument("seed must be a non-negative integer");
  SubtypeOptions o;
  o.k = k;
  o.k_max = k_max;
  o.n_starts = n_starts;
  o.seed = static_cast<std::uint64_t>(seed);
  o.alpha = alpha;
  o.threads = threads;
  SubtypeResult r;
  {
    py::gil_scoped_release release;
    r = find_subtypes(theta.data(), n, d, B ? reps.data() : nullptr, B, o);
  }
  py::dict out;
  const std::size_t kk = static_cast<std::size_t>(r.k);
  out["k"] = r.k;
  out["labels"] = py::array_t<int>(static_cast<py::ssize_t>(n), r.labels.data());
  out["candidates"] = py::array_t<int>(static_cast<py::ssize_t>(r.candidates.size()), r.candidates.data());
  out["criterion"] = to_array(r.criterion);
  out["center"] = to_array(r.center);
  out["scale"] = to_array(r.scale);
  out["centroids"] = to_matrix(r.centroids, kk, d);
  out["means"] = to_matrix(r.means, kk, d);
  out["sizes"] = py::array_t<long long>(static_cast<py::ssize_t>(kk), r.sizes.data());
  out["within_ss"] = r.within_ss;
  out["unconverged_starts"] = r.unconverged_starts;
  out["scores"] = to_matrix(r.scores, n, 2);
  out["explained"] = to_array(r.explained);
  out["n_bootstraps"] = B;
  if (B > 0) {
    out["replicate_ari"] = to_array(r.replicate_ari);
    out["coassignment"] = to_array(r.coassignment);
    out["replicate_means"] = to_matrix(r.replicate_means, B, kk * d);
    out["se"] = to_matrix(r.se, kk, d);
    out["lower"] = to_matrix(r.lower, kk, d);
    out["upper"] = to_matrix(r.upper, kk, d);
  }
  return out;
}

}  // namespace

void bind_subtypes(py::module_& mod) {
  mod.def("subtypes", &subtypes_py, py::arg("theta"), py::arg("replicates"), py::arg("k"), py::arg("k_max"),
          py::arg("n_starts"), py::arg("seed"), py::arg("alpha"), py::arg("threads"),
          "Subtypes from per-sample parameters: k-means on standardised parameters, k by the silhouette, "
          "bootstrap stability (csrc/inference/subtypes.hpp).");
  mod.def("adjusted_rand_index", [](const std::vector<int>& a, const std::vector<int>& b) {
            if (a.size() != b.size()) throw InvalidArgument("the two labellings must have the same length");
            for (std::size_t i = 0; i < a.size(); ++i)
              if (a[i] < 0 || b[i] < 0) throw InvalidArgument("labels must be non-negative integers");
            return adjusted_rand_index(a.data(), b.data(), a.size());
          }, py::arg("a"), py::arg("b"), "The adjusted Rand index of two labellings (Hubert & Arabie 1985).");
}

}  // namespace ctxstats_py
