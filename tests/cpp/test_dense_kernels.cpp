// The dense-layer kernels (encoders/dense_kernels.hpp) against plain loops, at the sizes the
// register-blocked forms take (multiples of 4 up to 32) and at the others, and tanh against
// std::tanh. The networks' finite-difference gradient checks (test_core) cover their use.
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "common/rng.hpp"
#include "encoders/dense_kernels.hpp"
#include "harness.hpp"

using namespace ctxstats;
using namespace ctxstats_test;

namespace {

std::vector<double> random_values(CounterRng& rng, std::size_t n) {
  std::vector<double> v(n);
  for (double& x : v) x = 2.0 * rng.uniform() - 1.0;
  return v;
}

double max_rel_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) d = std::max(d, std::fabs(a[k] - b[k]) / (1.0 + std::fabs(b[k])));
  return d;
}

void layer_checks() {
  CounterRng rng(7, Stream::kInit, 0);
  const int rows = 37;
  for (int ni : {1, 3, 4, 6, 16, 32, 33, 64}) {
    for (int no : {1, 4, 6, 8, 16, 20, 32, 36}) {
      const std::string shape = std::to_string(ni) + " -> " + std::to_string(no);
      const auto A = random_values(rng, static_cast<std::size_t>(rows) * ni);
      const auto W = random_values(rng, static_cast<std::size_t>(no) * ni);
      const auto b = random_values(rng, no);
      const auto D = random_values(rng, static_cast<std::size_t>(rows) * no);
      std::vector<double> Z(static_cast<std::size_t>(rows) * no), Zref(Z.size());
      dense::affine(A.data(), rows, ni, W.data(), b.data(), no, Z.data());
      for (int r = 0; r < rows; ++r)
        for (int o = 0; o < no; ++o) {
          double s = b[o];
          for (int i = 0; i < ni; ++i) s += A[r * ni + i] * W[o * ni + i];
          Zref[r * no + o] = s;
        }
      check(max_rel_diff(Z, Zref) < 1e-14, "affine matches the plain loop, " + shape);

      std::vector<double> gW(W.size(), 0.5), gb(no, 0.25), gWref(gW), gbref(gb);
      dense::accumulate_weight_grad(D.data(), A.data(), rows, ni, no, gW.data(), gb.data());
      for (int r = 0; r < rows; ++r)
        for (int o = 0; o < no; ++o) {
          for (int i = 0; i < ni; ++i) gWref[o * ni + i] += D[r * no + o] * A[r * ni + i];
          gbref[o] += D[r * no + o];
        }
      check(max_rel_diff(gW, gWref) < 1e-13 && max_rel_diff(gb, gbref) < 1e-13,
            "weight gradient matches the plain loop, " + shape);

      std::vector<double> dA(A.size()), dAref(A.size(), 0.0);
      dense::input_grad(D.data(), W.data(), rows, ni, no, dA.data());
      for (int r = 0; r < rows; ++r)
        for (int o = 0; o < no; ++o)
          for (int i = 0; i < ni; ++i) dAref[r * ni + i] += D[r * no + o] * W[o * ni + i];
      check(max_rel_diff(dA, dAref) < 1e-13, "input gradient matches the plain loop, " + shape);
    }
  }
}

void activation_checks() {
  // tanh on a fine grid over [-30, 30] (both clamps), at tiny and huge values, at every
  // position of a 4-lane vector and in the tail.
  std::vector<double> z;
  for (int k = 0; k <= 600001; ++k) z.push_back(-30.0 + 60.0 * k / 600001.0);
  for (double v : {0.0, -0.0, 1e-300, -1e-17, 1e-8, 19.9, 20.0, 20.1, 1e300, -1e300}) z.push_back(v);
  std::vector<double> t = z;
  dense::tanh_inplace(t.data(), t.size());
  double err = 0.0;
  for (std::size_t k = 0; k < z.size(); ++k) err = std::max(err, std::fabs(t[k] - std::tanh(z[k])));
  check(err <= 5e-16, "tanh within 5e-16 of std::tanh (max " + std::to_string(err) + ")");
  bool position_free = true;
  for (int shift = 1; shift < 4; ++shift) {
    std::vector<double> u(z.begin() + shift, z.end());
    dense::tanh_inplace(u.data(), u.size());
    for (std::size_t k = 0; k < u.size(); ++k) position_free = position_free && u[k] == t[k + shift];
  }
  check(position_free, "tanh of a value does not depend on its position in the array");
  std::vector<double> a = {-1.0, 0.0, 0.5, 2.0, -0.25}, d = {1.0, 2.0, 3.0, 4.0, 5.0};
  std::vector<double> r = a;
  dense::relu_inplace(r.data(), r.size());
  check(r == std::vector<double>{0.0, 0.0, 0.5, 2.0, 0.0}, "relu");
  std::vector<double> dr = d, dt = d;
  dense::relu_backward(r.data(), dr.data(), dr.size());
  check(dr == std::vector<double>{0.0, 0.0, 3.0, 4.0, 0.0}, "relu backward passes where the unit is active");
  dense::tanh_backward(a.data(), dt.data(), dt.size());
  bool ok = true;
  for (std::size_t k = 0; k < a.size(); ++k) ok = ok && dt[k] == d[k] * (1.0 - a[k] * a[k]);
  check(ok, "tanh backward multiplies by 1 - a^2");
  std::printf("dense kernels: %s variant\n", dense::variant());
}

}  // namespace

int main() {
  layer_checks();
  activation_checks();
  return report();
}
