#include <string>

#include "encoders/encoder.hpp"
#include "common/error.hpp"

namespace ctxstats {

Activation parse_activation(const std::string& name) {
  if (name == "relu") return Activation::kRelu;
  if (name == "tanh") return Activation::kTanh;
  throw InvalidArgument("activation must be 'relu' or 'tanh', not '" + name + "'");
}

std::unique_ptr<Encoder> make_encoder(const EncoderSpec& spec, int m, int q) {
  validate_encoder_spec(spec);
  require(m >= 1, "context must have at least one column");
  require(q >= 1, "the model has no parameters: exog is empty and fit_intercept is False");
  const int out = spec.archetypes > 0 ? spec.archetypes : q;
  std::unique_ptr<Encoder> enc;
  if (spec.type == "linear") enc = make_linear_encoder(m, out);
  else if (spec.type == "spline") enc = make_spline_encoder(spec, m, out);
  else if (spec.type == "mlp") enc = make_mlp_encoder(m, out, spec.width, spec.depth, spec.activation);
  else enc = make_ngam_encoder(m, out, spec.width, spec.depth, spec.activation);
  if (spec.linear_skip) {
    require((spec.type == "mlp" || spec.type == "ngam") && spec.archetypes == 0,
            "linear_skip applies to encoder 'mlp' or 'ngam' without archetypes");
    require(spec.depth >= 1, "linear_skip needs hidden layers (depth >= 1): without them the network is already "
                             "linear in the context");
    enc = make_skip_encoder(std::move(enc), m, q);
  }
  if (spec.archetypes > 0) enc = make_archetype_encoder(std::move(enc), q);
  return enc;
}

}  // namespace ctxstats
