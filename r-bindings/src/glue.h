// The R entry points of ctxstats' C++ core: one .Call-able function per core function,
// named as in the pybind11 module (ctxstats_<fn>_R). Registered in init.cpp.
#pragma once
#include <Rinternals.h>

extern "C" {
SEXP ctxstats_fit_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options, SEXP init);
SEXP ctxstats_cross_validate_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options, SEXP folds, SEXP seed);
SEXP ctxstats_calibration_test_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options, SEXP folds, SEXP seed,
                                 SEXP cov_type);
SEXP ctxstats_compare_cross_validation_R(SEXP fold_deviance, SEXP fold_weight);
SEXP ctxstats_objective_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options, SEXP w);
SEXP ctxstats_predict_theta_R(SEXP options, SEXP scaling, SEXP w, SEXP C);
SEXP ctxstats_n_weights_R(SEXP options, SEXP m, SEXP q);
SEXP ctxstats_fit_statistics_R(SEXP family, SEXP y, SEXP mu, SEXP weights, SEXP intercept, SEXP quasi);
SEXP ctxstats_dispersion_R(SEXP family, SEXP pearson_chi2, SEXP df_resid, SEXP quasi);
SEXP ctxstats_residuals_R(SEXP family, SEXP type, SEXP y, SEXP mu, SEXP weights);
SEXP ctxstats_nested_test_R(SEXP family, SEXP dev0, SEXP df0, SEXP dev1, SEXP df1, SEXP dev_big, SEXP df_big,
                            SEXP dispersion_big);
SEXP ctxstats_basis_dimension_check_R(SEXP residuals, SEXP C, SEXP n_rep, SEXP seed);
SEXP ctxstats_spline_average_effects_R(SEXP options, SEXP scaling, SEXP weights, SEXP Vp, SEXP C);
SEXP ctxstats_spline_pointwise_R(SEXP options, SEXP scaling, SEXP weights, SEXP Vp, SEXP C, SEXP term);
SEXP ctxstats_spline_linear_predictor_se_R(SEXP options, SEXP scaling, SEXP weights, SEXP Vp, SEXP X, SEXP C);
SEXP ctxstats_linear_projection_R(SEXP theta, SEXP C);
SEXP ctxstats_bootstrap_projections_R(SEXP options, SEXP scaling, SEXP W, SEXP C);
SEXP ctxstats_spline_projection_R(SEXP options, SEXP scaling, SEXP weights, SEXP Vp, SEXP C);
SEXP ctxstats_spline_tests_R(SEXP options, SEXP scaling, SEXP weights, SEXP smoothing, SEXP m);
SEXP ctxstats_build_info_R();
SEXP ctxstats_model_pointer_R(SEXP raw);
SEXP ctxstats_model_predict_R(SEXP ptr, SEXP raw, SEXP C);
SEXP ctxstats_model_save_R(SEXP raw, SEXP path, SEXP names, SEXP data, SEXP meta);
SEXP ctxstats_model_load_R(SEXP path);
SEXP ctxstats_model_with_bootstrap_R(SEXP raw, SEXP bootstrap);
SEXP ctxstats_resolve_cov_type_R(SEXP cov_type, SEXP options, SEXP n_bootstraps);
SEXP ctxstats_analytic_available_R(SEXP options);
SEXP ctxstats_bootstrap_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options, SEXP start, SEXP n_bootstraps,
                          SEXP groups);
SEXP ctxstats_bootstrap_theta_R(SEXP options, SEXP scaling, SEXP W, SEXP C);
SEXP ctxstats_personalized_fit_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options);
SEXP ctxstats_personalized_predict_R(SEXP C_new, SEXP C_train, SEXP theta_train, SEXP phi, SEXP dist_scale,
                                     SEXP categorical, SEXP n_neighbors, SEXP threads, SEXP target_map);
SEXP ctxstats_personalized_bootstrap_counts_R(SEXP n, SEXP seed, SEXP replicate);
SEXP ctxstats_personalized_bootstrap_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP options, SEXP B, SEXP param_names,
                                       SEXP context_names);
SEXP ctxstats_centred_intervals_R(SEXP estimate, SEXP samples, SEXP alpha, SEXP lo_bound, SEXP hi_bound,
                                  SEXP bias);
SEXP ctxstats_bootstrap_convergence_message_R(SEXP unconverged, SEXP total, SEXP first_message);
SEXP ctxstats_bootstrap_rule_note_R(SEXP rule);
SEXP ctxstats_identifiability_report_R(SEXP C, SEXP X, SEXP scaling, SEXP options, SEXP names, SEXP weights,
                                       SEXP sign_flips, SEXP sign_determined);
SEXP ctxstats_spline_identifiability_R(SEXP smoothing, SEXP offsets, SEXP sizes, SEXP labels, SEXP basis_size,
                                       SEXP weights);
SEXP ctxstats_interaction_coefficients_R(SEXP scaling, SEXP m, SEXP weights);
SEXP ctxstats_linear_covariance_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP family, SEXP intercept, SEXP params,
                                  SEXP cov_type, SEXP threads, SEXP groups, SEXP quasi);
SEXP ctxstats_average_effect_covariance_R(SEXP cov, SEXP C, SEXP q);
SEXP ctxstats_heterogeneity_wald_R(SEXP params, SEXP cov, SEXP q, SEXP m, SEXP by, SEXP use_f, SEXP df_resid);
SEXP ctxstats_sample_param_se_R(SEXP cov, SEXP C, SEXP q);
SEXP ctxstats_column_spread_R(SEXP values);
SEXP ctxstats_subtypes_R(SEXP theta, SEXP replicates, SEXP k, SEXP k_max, SEXP n_starts, SEXP seed, SEXP alpha,
                         SEXP threads);
SEXP ctxstats_percentile_summary_R(SEXP samples, SEXP alpha);
SEXP ctxstats_replicate_covariance_R(SEXP samples);
SEXP ctxstats_bootstrap_pass_R(SEXP options, SEXP scaling, SEXP W, SEXP C, SEXP theta);
SEXP ctxstats_bootstrap_sample_limits_R(SEXP options, SEXP scaling, SEXP W, SEXP C, SEXP alpha);
SEXP ctxstats_bootstrap_predictions_R(SEXP options, SEXP scaling, SEXP W, SEXP X, SEXP C);
SEXP ctxstats_linear_predictor_se_R(SEXP cov, SEXP X, SEXP C, SEXP intercept);
SEXP ctxstats_prediction_intervals_R(SEXP family, SEXP eta, SEXP se_eta, SEXP crit, SEXP scale, SEXP link_scale);
SEXP ctxstats_option_schema_R();
SEXP ctxstats_resolve_options_R(SEXP model, SEXP options, SEXP solver_known);
SEXP ctxstats_network_fit_R(SEXP type, SEXP C, SEXP X, SEXP weights, SEXP options, SEXP n_bootstraps, SEXP train,
                            SEXP dag);
SEXP ctxstats_network_predict_R(SEXP model, SEXP C, SEXP X, SEXP what, SEXP individual, SEXP project,
                                SEXP threshold);
SEXP ctxstats_network_edges_R(SEXP model, SEXP C, SEXP alpha, SEXP project, SEXP threshold);
SEXP ctxstats_network_save_R(SEXP model, SEXP path, SEXP names, SEXP data, SEXP meta);
SEXP ctxstats_network_load_R(SEXP path);
SEXP ctxstats_model_kind_R(SEXP path);
SEXP ctxstats_network_edge_curve_R(SEXP model, SEXP C, SEXP feature, SEXP from, SEXP to, SEXP n_grid, SEXP alpha,
                                   SEXP project, SEXP threshold);
SEXP ctxstats_location_scale_predict_R(SEXP options, SEXP scaling, SEXP w, SEXP report, SEXP X, SEXP C);
SEXP ctxstats_location_scale_average_cov_R(SEXP options, SEXP scaling, SEXP report, SEXP C);
SEXP ctxstats_prediction_intervals_rows_R(SEXP eta, SEXP se_eta, SEXP crit, SEXP row_scale);
SEXP ctxstats_negbin_fit_statistics_R(SEXP theta, SEXP y, SEXP mu, SEXP weights, SEXP intercept);
SEXP ctxstats_negbin_residuals_R(SEXP theta, SEXP type, SEXP y, SEXP mu, SEXP weights);
SEXP ctxstats_negbin_covariance_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP intercept, SEXP params, SEXP theta,
                                  SEXP cov_type, SEXP threads, SEXP groups);
SEXP ctxstats_mixture_fit_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP control, SEXP start);
SEXP ctxstats_mixture_select_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP control, SEXP k_range);
SEXP ctxstats_mixture_predict_R(SEXP family, SEXP scaling, SEXP weights, SEXP gate, SEXP sigma, SEXP X, SEXP C,
                                SEXP y);
SEXP ctxstats_mixture_bootstrap_R(SEXP C, SEXP X, SEXP y, SEXP weights, SEXP control, SEXP posterior,
                                  SEXP n_bootstraps, SEXP alpha);
}
