// Low-rank factor graphs (factors.hpp): the softmax assignment of features to factors, the
// feature graph it induces, one row's SEM prediction and their analytic backward passes.
#include "networks/factors.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace ctxstats {

namespace {
inline std::size_t at(int r, int c, int cols) { return static_cast<std::size_t>(r) * cols + c; }
}  // namespace

FactorMap factor_map(const double* R, int k, int p) {
  FactorMap F;
  F.k = k;
  F.p = p;
  F.P.assign(static_cast<std::size_t>(k) * p, 0.0);
  for (int j = 0; j < p; ++j) {
    double top = R[at(0, j, p)];
    for (int a = 1; a < k; ++a) top = std::max(top, R[at(a, j, p)]);
    double sum = 0.0;
    for (int a = 0; a < k; ++a) sum += (F.P[at(a, j, p)] = std::exp(R[at(a, j, p)] - top));
    for (int a = 0; a < k; ++a) F.P[at(a, j, p)] /= sum;
  }
  F.row_sum.assign(k, 0.0);
  F.Pn = F.P;
  for (int b = 0; b < k; ++b) {
    for (int j = 0; j < p; ++j) F.row_sum[b] += F.P[at(b, j, p)];
    for (int j = 0; j < p; ++j) F.Pn[at(b, j, p)] /= F.row_sum[b];
  }
  return F;
}

void factor_graph_to_features(const FactorMap& F, const double* Wf, double* W) {
  const int k = F.k, p = F.p;
  std::vector<double> M(static_cast<std::size_t>(k) * p, 0.0);  // Wf Pn
  for (int a = 0; a < k; ++a)
    for (int b = 0; b < k; ++b) {
      const double w = Wf[at(a, b, k)];
      if (w != 0.0)
        for (int j = 0; j < p; ++j) M[at(a, j, p)] += w * F.Pn[at(b, j, p)];
    }
  for (int i = 0; i < p; ++i)
    for (int j = 0; j < p; ++j) {
      double v = 0.0;
      if (i != j)
        for (int a = 0; a < k; ++a) v += F.P[at(a, i, p)] * M[at(a, j, p)];
      W[at(i, j, p)] = v;
    }
}

void factor_predict(const FactorMap& F, const double* Wf, const double* x, double* pred, double* work) {
  const int k = F.k, p = F.p;
  double* u = work;      // P x
  double* M = work + k;  // Wf Pn
  for (int a = 0; a < k; ++a) {
    double v = 0.0;
    for (int i = 0; i < p; ++i) v += F.P[at(a, i, p)] * x[i];
    u[a] = v;
  }
  std::fill(M, M + static_cast<std::size_t>(k) * p, 0.0);
  for (int a = 0; a < k; ++a)
    for (int b = 0; b < k; ++b) {
      const double w = Wf[at(a, b, k)];
      for (int j = 0; j < p; ++j) M[at(a, j, p)] += w * F.Pn[at(b, j, p)];
    }
  // pred_j = sum_a u_a M[a, j] - x_j sum_a P[a, j] M[a, j]  (the diagonal of P' Wf Pn removed).
  for (int j = 0; j < p; ++j) {
    double full = 0.0, diag = 0.0;
    for (int a = 0; a < k; ++a) {
      full += u[a] * M[at(a, j, p)];
      diag += F.P[at(a, j, p)] * M[at(a, j, p)];
    }
    pred[j] = full - x[j] * diag;
  }
}

void factor_predict_backward(const FactorMap& F, const double* Wf, const double* x, const double* e,
                             const double* work, double* dWf, double* dP, double* dPn) {
  const int k = F.k, p = F.p;
  const double* u = work;
  const double* M = work + k;
  for (int a = 0; a < k; ++a) {
    // d / d u_a, then u = P x.
    double gu = 0.0;
    for (int j = 0; j < p; ++j) gu += e[j] * M[at(a, j, p)];
    for (int j = 0; j < p; ++j) {
      dP[at(a, j, p)] += gu * x[j] - e[j] * x[j] * M[at(a, j, p)];
      // d / d M[a, j], then M = Wf Pn.
      const double g = e[j] * (u[a] - x[j] * F.P[at(a, j, p)]);
      if (g == 0.0) continue;
      for (int b = 0; b < k; ++b) {
        dWf[at(a, b, k)] += g * F.Pn[at(b, j, p)];
        dPn[at(b, j, p)] += Wf[at(a, b, k)] * g;
      }
    }
  }
}

void factor_logits_backward(const FactorMap& F, const double* dP, const double* dPn, double* dR) {
  const int k = F.k, p = F.p;
  std::vector<double> total(dP, dP + static_cast<std::size_t>(k) * p);
  for (int b = 0; b < k; ++b) {
    const double S = F.row_sum[b];
    double dot = 0.0;
    for (int l = 0; l < p; ++l) dot += dPn[at(b, l, p)] * F.P[at(b, l, p)];
    for (int j = 0; j < p; ++j) total[at(b, j, p)] += dPn[at(b, j, p)] / S - dot / (S * S);
  }
  for (int j = 0; j < p; ++j) {
    double mean = 0.0;
    for (int c = 0; c < k; ++c) mean += F.P[at(c, j, p)] * total[at(c, j, p)];
    for (int a = 0; a < k; ++a) dR[at(a, j, p)] = F.P[at(a, j, p)] * (total[at(a, j, p)] - mean);
  }
}

}  // namespace ctxstats
