// Context encoders Phi_w: R^m -> R^q, mapping each sample's context to its parameters
// theta_i (intercept first when the model has one, then one coefficient per predictor).
// Every encoder has a hand-written backward pass; the tests check each against central
// finite differences.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ctxstats {

class ContextBasis;

enum class Activation { kRelu, kTanh };

// The fields an encoder is built from. The defaults of the user's options are not here but in
// the option schema (options/schema.hpp: default_fit_options()); value-initialised fields
// are only a starting point for code that sets every field it uses.
struct EncoderSpec {
  std::string type;           // linear | mlp | ngam | spline
  int width{};                // hidden units per layer (mlp, ngam)
  int depth{};                // hidden layers (mlp, ngam)
  int archetypes{};           // K > 0: theta = softmax(encoder(C)) A with A K x q
  Activation activation{Activation::kTanh};
  // mlp, ngam (no archetypes): theta = network(c) + B c, a linear skip path whose start is the
  // exact linear varying-coefficient fit (encoder_skip.cpp; fit.cpp: linear_skip_start).
  bool linear_skip{};
  // spline: theta = W b(c), b a penalised cubic B-spline basis per context feature (see
  // context_basis.hpp); fitted by the exact solver with smoothing parameters chosen by REML.
  int n_knots{};                        // B-spline basis functions per context feature (mgcv's k)
  std::string knot_spacing;             // even | quantile
  std::vector<std::pair<int, int>> interactions;  // tensor-product terms: pairs of context columns
  int interaction_knots{};              // basis functions per margin of a tensor-product term
  std::vector<double> smoothing;        // fixed smoothing parameters, one per penalty (empty: estimated)
  std::string smoothing_method;         // how the exact solver estimates them: REML | GCV
  // Filled from the data when a spline is first fitted (internal scale), then carried along
  // so predictions and refits use the same basis.
  std::vector<double> knots;            // knot vectors of every margin, concatenated
  std::vector<double> centres;          // centring means of every margin's kept functions
};

Activation parse_activation(const std::string& name);
void validate_encoder_spec(const EncoderSpec& spec);

class Encoder {
 public:
  Encoder(int m, int q, std::size_t n_weights) : m_(m), q_(q), n_weights_(n_weights) {}
  virtual ~Encoder() = default;

  int m() const { return m_; }
  int q() const { return q_; }
  std::size_t n_weights() const { return n_weights_; }

  // Doubles of scratch that forward + backward need for a block of `rows` rows.
  virtual std::size_t workspace_size(int rows) const = 0;
  // Random initial weights from the counter-based generator keyed by seed.
  virtual void init(std::uint64_t seed, double* w) const = 0;
  // theta (rows x q) from C (rows x m); keeps in work what backward needs.
  virtual void forward(const double* w, const double* C, int rows, double* theta, double* work) const = 0;
  // grad += d/dw sum_r dtheta_r . theta_r, after a forward on the same rows and work.
  virtual void backward(const double* w, const double* C, int rows, const double* dtheta, double* grad,
                        double* work) const = 0;
  // True for the linear encoder, whose weights are the q x (m+1) matrix [bias, W] row-major.
  virtual bool is_linear() const { return false; }
  // The basis of an encoder theta = W b(c) that is linear in its weights (W is q x size,
  // row-major); nullptr for the others. The exact solver fits any encoder that has one.
  virtual const ContextBasis* context_basis() const { return nullptr; }

  // The linear output layer of the neural encoders (mlp, ngam, archetypes):
  //   theta_ik = sum_l V_kl f_l(c_i) + o_ik,
  // where the features f (output_features() of them: the last hidden layer and a constant,
  // or the archetype mixing weights) and the offset o depend only on the weights outside V.
  // For fixed hidden weights the model is therefore a GLM in V on the design x~_i (x) f(c_i),
  // which solve_output_layer (glm/output_layer.hpp) solves exactly. 0: no such layer.
  virtual int output_features() const { return 0; }
  // Position of V_kl (output k, feature l) in the weight vector.
  virtual std::size_t output_weight(int /*k*/, int /*l*/) const { return 0; }
  // f for `rows` rows of C into F (rows x output_features(), row-major); work as for forward.
  virtual void features(const double* /*w*/, const double* /*C*/, int /*rows*/, double* /*F*/,
                        double* /*work*/) const {}

 private:
  int m_, q_;
  std::size_t n_weights_;
};

std::unique_ptr<Encoder> make_encoder(const EncoderSpec& spec, int m, int q);

// The building blocks make_encoder assembles (one file each).
std::unique_ptr<Encoder> make_linear_encoder(int m, int q);
std::unique_ptr<Encoder> make_mlp_encoder(int m, int q, int width, int depth, Activation act);
std::unique_ptr<Encoder> make_ngam_encoder(int m, int q, int width, int depth, Activation act);
std::unique_ptr<Encoder> make_skip_encoder(std::unique_ptr<Encoder> base, int m, int q);
std::unique_ptr<Encoder> make_archetype_encoder(std::unique_ptr<Encoder> base, int q);
std::unique_ptr<Encoder> make_spline_encoder(const EncoderSpec& spec, int m, int q);

}  // namespace ctxstats
