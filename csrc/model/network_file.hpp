// A fitted contextualized network (networks/networks.hpp) in the core's model file
// (model_file.hpp), so that a network saved from Python loads in R and the reverse and
// predicts bitwise identically. Records (besides the ones every model kind shares,
// fitted_model.hpp: option/<name>, options/null, scaling/<field>):
//
//   model/kind, model/m, model/p           "network"; context columns; features
//   network/type                           "correlation", "markov" or "bayesian"
//   network/solver                         the solver that ran
//   dag/<name>                             Bayesian networks: the resolved DAG options
//                                          (dag_options_to_map's names and types)
//   network/fitted_dag                     Bayesian networks: the last solve's penalties
//                                          (archetype alpha, rho, sample alpha, rho)
//   weights                                the full-data fit's encoder weights
//   replicates/{weights,residual_variance} n_replicates x n_weights, n_replicates x regressions
//   replicates/{n_iter,converged}          n_replicates each, or empty (not kept)
//   replicates/message                     the bootstrap's convergence message
//   fit/{n_iter,converged,objective,history,message,rank_deficient,interrupted,untrained}
//   names/{features,context}               p and m names
//   data/{C,X}                             optional training data (n x m, n x p)
//   meta/<key>                             strings for the front ends
//
// network_from_model_file checks every record against the network's dimensions (the weights
// against the encoder the options and DAG options describe, replicates, residual variances,
// names, data) and every value for finiteness and range, so that a damaged, truncated or
// crafted file is refused with InvalidArgument naming what is wrong before anything predicts.
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "model/model_file.hpp"
#include "networks/networks.hpp"
#include "options/schema.hpp"

namespace ctxstats {

struct SavedNetwork {
  NetworkModel model;
  OptionMap options;  // the options the fit was given (model.options was resolved from them)
  std::vector<std::string> feature_names, context_names;  // p and m
  std::size_t n = 0;                                      // training rows kept (0: none)
  std::vector<double> C, X;                               // n x m, n x p (row-major)
  std::vector<std::pair<std::string, std::string>> meta;
};

// Checks a saved network: the model (validate_network_model), its options against the
// model's resolved ones, names, data and replicate diagnostics.
void validate_saved_network(const SavedNetwork& saved);

ModelFile network_to_model_file(const SavedNetwork& saved);
SavedNetwork network_from_model_file(const ModelFile& file);

}  // namespace ctxstats
