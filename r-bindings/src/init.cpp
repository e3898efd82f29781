// Registers the .Call entry points; nothing else of the library is visible to R (the
// package is compiled with hidden visibility, so the core's symbols cannot clash with the
// Python extension's copy when both are loaded in one process through rpy2).
#include <R.h>
#include <R_ext/Rdynload.h>
#include <R_ext/Visibility.h>

#include "glue.h"

namespace {

const R_CallMethodDef kCallMethods[] = {
    {"ctxstats_fit_R", reinterpret_cast<DL_FUNC>(&ctxstats_fit_R), 6},
    {"ctxstats_location_scale_predict_R", reinterpret_cast<DL_FUNC>(&ctxstats_location_scale_predict_R), 6},
    {"ctxstats_location_scale_average_cov_R", reinterpret_cast<DL_FUNC>(&ctxstats_location_scale_average_cov_R), 4},
    {"ctxstats_prediction_intervals_rows_R", reinterpret_cast<DL_FUNC>(&ctxstats_prediction_intervals_rows_R), 4},
    {"ctxstats_cross_validate_R", reinterpret_cast<DL_FUNC>(&ctxstats_cross_validate_R), 7},
    {"ctxstats_objective_R", reinterpret_cast<DL_FUNC>(&ctxstats_objective_R), 6},
    {"ctxstats_predict_theta_R", reinterpret_cast<DL_FUNC>(&ctxstats_predict_theta_R), 4},
    {"ctxstats_n_weights_R", reinterpret_cast<DL_FUNC>(&ctxstats_n_weights_R), 3},
    {"ctxstats_fit_statistics_R", reinterpret_cast<DL_FUNC>(&ctxstats_fit_statistics_R), 6},
    {"ctxstats_dispersion_R", reinterpret_cast<DL_FUNC>(&ctxstats_dispersion_R), 4},
    {"ctxstats_residuals_R", reinterpret_cast<DL_FUNC>(&ctxstats_residuals_R), 5},
    {"ctxstats_nested_test_R", reinterpret_cast<DL_FUNC>(&ctxstats_nested_test_R), 8},
    {"ctxstats_basis_dimension_check_R", reinterpret_cast<DL_FUNC>(&ctxstats_basis_dimension_check_R), 4},
    {"ctxstats_spline_average_effects_R", reinterpret_cast<DL_FUNC>(&ctxstats_spline_average_effects_R), 5},
    {"ctxstats_spline_pointwise_R", reinterpret_cast<DL_FUNC>(&ctxstats_spline_pointwise_R), 6},
    {"ctxstats_spline_linear_predictor_se_R", reinterpret_cast<DL_FUNC>(&ctxstats_spline_linear_predictor_se_R), 6},
    {"ctxstats_linear_projection_R", reinterpret_cast<DL_FUNC>(&ctxstats_linear_projection_R), 2},
    {"ctxstats_bootstrap_projections_R", reinterpret_cast<DL_FUNC>(&ctxstats_bootstrap_projections_R), 4},
    {"ctxstats_spline_projection_R", reinterpret_cast<DL_FUNC>(&ctxstats_spline_projection_R), 5},
    {"ctxstats_spline_tests_R", reinterpret_cast<DL_FUNC>(&ctxstats_spline_tests_R), 5},
    {"ctxstats_build_info_R", reinterpret_cast<DL_FUNC>(&ctxstats_build_info_R), 0},
    {"ctxstats_model_pointer_R", reinterpret_cast<DL_FUNC>(&ctxstats_model_pointer_R), 1},
    {"ctxstats_model_predict_R", reinterpret_cast<DL_FUNC>(&ctxstats_model_predict_R), 3},
    {"ctxstats_model_save_R", reinterpret_cast<DL_FUNC>(&ctxstats_model_save_R), 5},
    {"ctxstats_model_load_R", reinterpret_cast<DL_FUNC>(&ctxstats_model_load_R), 1},
    {"ctxstats_model_with_bootstrap_R", reinterpret_cast<DL_FUNC>(&ctxstats_model_with_bootstrap_R), 2},
    {"ctxstats_resolve_cov_type_R", reinterpret_cast<DL_FUNC>(&ctxstats_resolve_cov_type_R), 3},
    {"ctxstats_analytic_available_R", reinterpret_cast<DL_FUNC>(&ctxstats_analytic_available_R), 1},
    {"ctxstats_bootstrap_R", reinterpret_cast<DL_FUNC>(&ctxstats_bootstrap_R), 8},
    {"ctxstats_bootstrap_theta_R", reinterpret_cast<DL_FUNC>(&ctxstats_bootstrap_theta_R), 4},
    {"ctxstats_personalized_fit_R", reinterpret_cast<DL_FUNC>(&ctxstats_personalized_fit_R), 5},
    {"ctxstats_personalized_predict_R", reinterpret_cast<DL_FUNC>(&ctxstats_personalized_predict_R), 9},
    {"ctxstats_personalized_bootstrap_counts_R",
     reinterpret_cast<DL_FUNC>(&ctxstats_personalized_bootstrap_counts_R), 3},
    {"ctxstats_personalized_bootstrap_R", reinterpret_cast<DL_FUNC>(&ctxstats_personalized_bootstrap_R), 8},
    {"ctxstats_centred_intervals_R", reinterpret_cast<DL_FUNC>(&ctxstats_centred_intervals_R), 6},
    {"ctxstats_bootstrap_rule_note_R", reinterpret_cast<DL_FUNC>(&ctxstats_bootstrap_rule_note_R), 1},
    {"ctxstats_bootstrap_convergence_message_R",
     reinterpret_cast<DL_FUNC>(&ctxstats_bootstrap_convergence_message_R), 3},
    {"ctxstats_identifiability_report_R", reinterpret_cast<DL_FUNC>(&ctxstats_identifiability_report_R), 8},
    {"ctxstats_spline_identifiability_R", reinterpret_cast<DL_FUNC>(&ctxstats_spline_identifiability_R), 6},
    {"ctxstats_interaction_coefficients_R", reinterpret_cast<DL_FUNC>(&ctxstats_interaction_coefficients_R), 3},
    {"ctxstats_linear_covariance_R", reinterpret_cast<DL_FUNC>(&ctxstats_linear_covariance_R), 11},
    {"ctxstats_average_effect_covariance_R", reinterpret_cast<DL_FUNC>(&ctxstats_average_effect_covariance_R), 3},
    {"ctxstats_heterogeneity_wald_R", reinterpret_cast<DL_FUNC>(&ctxstats_heterogeneity_wald_R), 7},
    {"ctxstats_sample_param_se_R", reinterpret_cast<DL_FUNC>(&ctxstats_sample_param_se_R), 3},
    {"ctxstats_column_spread_R", reinterpret_cast<DL_FUNC>(&ctxstats_column_spread_R), 1},
    {"ctxstats_subtypes_R", reinterpret_cast<DL_FUNC>(&ctxstats_subtypes_R), 8},
    {"ctxstats_percentile_summary_R", reinterpret_cast<DL_FUNC>(&ctxstats_percentile_summary_R), 2},
    {"ctxstats_replicate_covariance_R", reinterpret_cast<DL_FUNC>(&ctxstats_replicate_covariance_R), 1},
    {"ctxstats_bootstrap_pass_R", reinterpret_cast<DL_FUNC>(&ctxstats_bootstrap_pass_R), 5},
    {"ctxstats_bootstrap_sample_limits_R", reinterpret_cast<DL_FUNC>(&ctxstats_bootstrap_sample_limits_R), 5},
    {"ctxstats_bootstrap_predictions_R", reinterpret_cast<DL_FUNC>(&ctxstats_bootstrap_predictions_R), 5},
    {"ctxstats_linear_predictor_se_R", reinterpret_cast<DL_FUNC>(&ctxstats_linear_predictor_se_R), 4},
    {"ctxstats_prediction_intervals_R", reinterpret_cast<DL_FUNC>(&ctxstats_prediction_intervals_R), 6},
    {"ctxstats_option_schema_R", reinterpret_cast<DL_FUNC>(&ctxstats_option_schema_R), 0},
    {"ctxstats_resolve_options_R", reinterpret_cast<DL_FUNC>(&ctxstats_resolve_options_R), 3},
    {"ctxstats_network_fit_R", reinterpret_cast<DL_FUNC>(&ctxstats_network_fit_R), 8},
    {"ctxstats_network_predict_R", reinterpret_cast<DL_FUNC>(&ctxstats_network_predict_R), 7},
    {"ctxstats_network_edges_R", reinterpret_cast<DL_FUNC>(&ctxstats_network_edges_R), 5},
    {"ctxstats_network_save_R", reinterpret_cast<DL_FUNC>(&ctxstats_network_save_R), 5},
    {"ctxstats_network_load_R", reinterpret_cast<DL_FUNC>(&ctxstats_network_load_R), 1},
    {"ctxstats_model_kind_R", reinterpret_cast<DL_FUNC>(&ctxstats_model_kind_R), 1},
    {"ctxstats_negbin_fit_statistics_R", reinterpret_cast<DL_FUNC>(&ctxstats_negbin_fit_statistics_R), 5},
    {"ctxstats_negbin_residuals_R", reinterpret_cast<DL_FUNC>(&ctxstats_negbin_residuals_R), 5},
    {"ctxstats_negbin_covariance_R", reinterpret_cast<DL_FUNC>(&ctxstats_negbin_covariance_R), 10},
    {"ctxstats_calibration_test_R", reinterpret_cast<DL_FUNC>(&ctxstats_calibration_test_R), 8},
    {"ctxstats_compare_cross_validation_R", reinterpret_cast<DL_FUNC>(&ctxstats_compare_cross_validation_R), 2},
    {"ctxstats_mixture_fit_R", reinterpret_cast<DL_FUNC>(&ctxstats_mixture_fit_R), 6},
    {"ctxstats_mixture_select_R", reinterpret_cast<DL_FUNC>(&ctxstats_mixture_select_R), 6},
    {"ctxstats_mixture_predict_R", reinterpret_cast<DL_FUNC>(&ctxstats_mixture_predict_R), 8},
    {"ctxstats_mixture_bootstrap_R", reinterpret_cast<DL_FUNC>(&ctxstats_mixture_bootstrap_R), 8},
    {"ctxstats_network_edge_curve_R", reinterpret_cast<DL_FUNC>(&ctxstats_network_edge_curve_R), 9},
    {nullptr, nullptr, 0}};

}  // namespace

extern "C" attribute_visible void R_init_ctxstats(DllInfo* dll) {
  R_registerRoutines(dll, nullptr, kCallMethods, nullptr, nullptr);
  R_useDynamicSymbols(dll, FALSE);
  R_forceSymbols(dll, TRUE);
}
