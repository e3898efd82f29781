// Low-rank factor graphs of Bayesian networks (networks.hpp, "bayesian" with num_factors = k):
// NOTMAD's factor model. The encoder's outputs are a k x k graph W_f(c) among k latent factors
// (zero diagonal); every feature is assigned to the factors by a softmax over the factors,
//   P[a, j] = exp(R[a, j]) / sum_b exp(R[b, j])          (k x p; each column sums to 1),
// of learned logits R (k x p, shared by all samples), and the feature graph of a sample is
//   W(c) = offdiag(P' W_f(c) Pn),   Pn[b, j] = P[b, j] / sum_l P[b, l]
// (Pn: each factor's row of P normalised to sum 1; offdiag sets the diagonal to 0, so no
// feature predicts itself). The SEM prediction of a row is x W(c). With a one-hot P (every
// feature in one factor), W(c)[i, j] = W_f(c)[a, b] / |b| for i in factor a and j in factor b,
// so W(c) is a DAG when W_f(c) is one.
#pragma once
#include <vector>

namespace ctxstats {

struct FactorMap {
  int k = 0, p = 0;
  std::vector<double> P, Pn, row_sum;  // k x p, k x p, k
};

// P and Pn from the logits R (k x p, row-major).
FactorMap factor_map(const double* logits, int k, int p);

// W = offdiag(P' Wf Pn), p x p, from the k x k factor graph Wf.
void factor_graph_to_features(const FactorMap& F, const double* Wf, double* W);

// One row's prediction pred_j = sum_{i != j} x_i W_ij (p) with W = offdiag(P' Wf Pn); work
// holds k + k p doubles (kept: the backward pass reads them).
void factor_predict(const FactorMap& F, const double* Wf, const double* x, double* pred, double* work);

// The backward pass of factor_predict for e = d loss / d pred (p): adds d loss / d Wf (k x k)
// to dWf, and d loss / d P and d loss / d Pn (k x p each, holding P and Pn fixed) to dP and dPn.
// work as left by factor_predict for the same row.
void factor_predict_backward(const FactorMap& F, const double* Wf, const double* x, const double* e,
                             const double* work, double* dWf, double* dP, double* dPn);

// d loss / d R (k x p) from the accumulated d loss / d P and d loss / d Pn (through Pn = P /
// row sums, then the column softmax), written to dR.
void factor_logits_backward(const FactorMap& F, const double* dP, const double* dPn, double* dR);

}  // namespace ctxstats
