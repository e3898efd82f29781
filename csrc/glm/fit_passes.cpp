// fit_exact_passes: the linear encoder's exact fit over rows held elsewhere (exact_passes.hpp).
#include <cmath>

#include "common/error.hpp"
#include "glm/exact_passes.hpp"
#include "options/schema.hpp"

namespace ctxstats {

FitResult fit_exact_passes(const FitOptions& options, const Scaling& scaling, int m, const ExactPass& pass,
                           double poisson_start) {
  const Family family = parse_family(options.family);
  validate_fit_options(options);
  validate_scaling(scaling);
  require(m == static_cast<int>(scaling.c_mean.size()), "the scaling does not match the context's columns");
  require(scaling.intercept == options.intercept, "the scaling was computed for another fit_intercept");
  FitResult out;
  out.solver = resolve_solver(options);
  const bool spline = options.encoder.type == "spline";
  require(((options.encoder.type == "linear" && options.encoder.archetypes == 0) || spline) && out.solver == "exact",
          "data held in partitions are fitted by the exact solver of the linear or spline encoder (encoder='linear' "
          "or 'spline', solver='exact' or None, no archetypes); '" +
              options.encoder.type + "' with solver '" + out.solver + "' is not available for them yet");
  require(!spline || (!options.encoder.knots.empty() && !options.encoder.centres.empty()),
          "a spline fit over partitions needs its knots and centres placed first (from the partitions' summaries)");
  out.scaling = scaling;
  out.encoder = options.encoder;
  const auto basis = spline ? make_spline_basis(options.encoder, m) : make_linear_basis(m);
  out.weights.assign(static_cast<std::size_t>(scaling.q()) * basis->size(), 0.0);
  out.solve = spline ? solve_penalised_passes(*basis, family, pass, scaling, options.penalty, options.solver_options,
                                              poisson_start, out.weights.data())
                     : solve_linear_passes(*basis, family, pass, scaling, options.penalty, options.solver_options,
                                           poisson_start, out.weights.data());
  for (double w : out.weights)
    require(std::isfinite(w), "the fit produced non-finite parameters (exact solver): rescale exog and context");
  return out;
}

}  // namespace ctxstats
