// Context encoders Phi_w: R^m -> R^q, mapping each sample's context to its parameters
// theta_i (intercept first when the model has one, then one coefficient per predictor).
// Every encoder has a hand-written backward pass; the tests check each against central
// finite differences.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ctxstats {

enum class Activation { kRelu, kTanh };

struct EncoderSpec {
  std::string type = "mlp";   // linear | mlp | ngam
  int width = 32;             // hidden units per layer (mlp, ngam)
  int depth = 2;              // hidden layers (mlp, ngam)
  int archetypes = 0;         // K > 0: theta = softmax(encoder(C)) A with A K x q
  Activation activation = Activation::kRelu;
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

 private:
  int m_, q_;
  std::size_t n_weights_;
};

std::unique_ptr<Encoder> make_encoder(const EncoderSpec& spec, int m, int q);

// The building blocks make_encoder assembles (one file each).
std::unique_ptr<Encoder> make_linear_encoder(int m, int q);
std::unique_ptr<Encoder> make_mlp_encoder(int m, int q, int width, int depth, Activation act);
std::unique_ptr<Encoder> make_ngam_encoder(int m, int q, int width, int depth, Activation act);
std::unique_ptr<Encoder> make_archetype_encoder(std::unique_ptr<Encoder> base, int q);

}  // namespace ctxstats
