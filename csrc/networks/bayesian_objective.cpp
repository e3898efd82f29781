// The Bayesian (NOTMAD) network's objective (networks.hpp, "bayesian"): the linear SEM's
// squared reconstruction error of every sample, the samples' and the archetypes' acyclicity
// and L1 penalties, in fixed row blocks reduced in block order. With factors (factors.hpp) the
// encoder's outputs are factor graphs and the weights end with the factor logits.
#include <algorithm>
#include <cmath>
#include <limits>

#include "glm/reduction.hpp"
#include "networks/dag.hpp"
#include "networks/factors.hpp"
#include "networks/network_loss.hpp"

namespace ctxstats {

namespace {

class BayesianLoss final : public NetworkLoss {
 public:
  BayesianLoss(const Encoder& encoder, const NetworkLayout& layout, const DataView& data, const Scaling& scaling,
               const Penalty& penalty, const DagOptions& dag, int archetypes, int threads)
      : encoder_(encoder), layout_(network_output_layout(NetworkType::kBayesian, layout.p, dag)), data_(data),
        scaling_(scaling), penalty_(penalty), dag_(dag), archetypes_(archetypes), threads_(resolve_threads(threads)) {}

  double value_grad(const double* w, double* grad, std::vector<double>* rss) const override {
    const std::size_t n = data_.n, nw = encoder_.n_weights();
    const int p = data_.p, k = layout_.p;
    const std::size_t pp = static_cast<std::size_t>(k) * k, kp = static_cast<std::size_t>(k) * p;
    const bool factors = dag_.factors > 0;
    const int groups = reduction_groups(n, kBlockRows, kMaxGroups);
    std::vector<double> group_f(groups, 0.0), group_s(groups, 0.0), group_h(groups, 0.0);
    std::vector<double> group_grad(grad ? static_cast<std::size_t>(groups) * nw : 0, 0.0);
    std::vector<double> group_rss(rss ? static_cast<std::size_t>(groups) * p : 0, 0.0);
    // Factors: the assignment, and each group's d loss / d P and d loss / d Pn (k x p each).
    const FactorMap F = factors ? factor_map(w + nw, k, p) : FactorMap();
    std::vector<double> group_dP(factors ? 2 * groups * kp : 0, 0.0);
    std::vector<std::vector<double>> scratch(groups);  // each group's W and dh/dW
    std::vector<std::vector<double>> fscratch(groups);  // factors: W_f, dW_f, prediction, e, work
    const DagPenalty& ss = dag_.sample;
    const bool ss_dag = ss.alpha > 0.0 || ss.rho > 0.0;
    const auto row = [&](int g, const double* t, const double* z, double* dt, double s) {
      const double* x = z + 1;
      double* rr = rss ? group_rss.data() + static_cast<std::size_t>(g) * p : nullptr;
      double fr = 0.0;
      if (factors) fr = factor_row(F, t, x, dt, s, rr, fscratch[g], group_dP.data() + 2 * g * kp);
      for (int j = 0; j < p && !factors; ++j) {
        const int off = layout_.offset[j];
        const std::vector<int>& parents = layout_.predictors[j];
        double pred = 0.0;
        for (std::size_t e = 0; e < parents.size(); ++e) pred += x[parents[e]] * t[off + e];
        const double res = x[j] - pred;
        fr += 0.5 * res * res;
        if (rr) rr[j] += s * res * res;
        for (std::size_t e = 0; e < parents.size(); ++e) {
          dt[off + e] = -s * res * x[parents[e]];
          if (ss.l1 > 0.0) fr += elastic_net_term(ss.l1, 1.0, t[off + e], s, &dt[off + e]);
        }
      }
      if (ss_dag) {
        std::vector<double>& buf = scratch[g];
        buf.resize(2 * pp);
        to_matrix(t, buf.data());
        const double h = acyclicity(ss.loss, ss.s, buf.data(), k, buf.data() + pp);
        fr += ss.alpha * h + 0.5 * ss.rho * h * h;
        group_h[g] += s * h;
        add_matrix_grad(s * (ss.alpha + ss.rho * h), buf.data() + pp, dt);
      }
      return fr;
    };
    network_row_pass(encoder_, data_, scaling_, w, threads_, groups, group_f, group_s,
                     grad ? group_grad.data() : nullptr, row);
    double total = 0.0, hs = 0.0;
    for (int g = 0; g < groups; ++g) hs += group_h[g];
    double value = reduce_objective(group_f, group_s, group_grad.data(), nw, w, 1.0, penalty_.weight_decay, grad,
                                    "the rows of this fit", &total);
    sample_h_ = hs / total;
    value += archetype_terms(w, grad);
    if (factors) value += factor_terms(F, w + nw, group_dP, groups, total, grad ? grad + nw : nullptr);
    if (rss) reduce_rss(group_rss, groups, p, total, rss);
    return value;
  }

  void last_acyclicity(double* sample, double* archetype) const override {
    *sample = sample_h_;
    *archetype = archetype_h_;
  }

 private:
  // One row's SEM loss through the factor graph W_f (the encoder's outputs t): sets dt (times
  // the row weight s), adds s * d loss / d P and d loss / d Pn to dP (k x p, then k x p), and
  // s * the squared residuals to rr (when not null); the L1 on W_f as without factors.
  double factor_row(const FactorMap& F, const double* t, const double* x, double* dt, double s, double* rr,
                    std::vector<double>& buf, double* dP) const {
    const int k = layout_.p, p = F.p, q = encoder_.q();
    const std::size_t kk = static_cast<std::size_t>(k) * k, kp = static_cast<std::size_t>(k) * p;
    buf.resize(2 * kk + 2 * static_cast<std::size_t>(p) + k + kp);
    double *Wf = buf.data(), *dWf = Wf + kk, *pred = dWf + kk, *e = pred + p, *work = e + p;
    to_matrix(t, Wf);
    factor_predict(F, Wf, x, pred, work);
    double fr = 0.0;
    for (int j = 0; j < p; ++j) {
      const double res = x[j] - pred[j];
      fr += 0.5 * res * res;
      if (rr) rr[j] += s * res * res;
      e[j] = -s * res;
    }
    std::fill(dWf, dWf + kk, 0.0);
    factor_predict_backward(F, Wf, x, e, work, dWf, dP, dP + kp);
    std::fill(dt, dt + q, 0.0);
    add_matrix_grad(1.0, dWf, dt);
    if (dag_.sample.l1 > 0.0)
      for (int o = 0; o < q; ++o) fr += elastic_net_term(dag_.sample.l1, 1.0, t[o], s, &dt[o]);
    return fr;
  }
  // The factor logits' terms: the groups' d loss / d P, d loss / d Pn summed in group order and
  // divided by the total row weight, through the softmax to d / d R (written to grad when not
  // null), and factor_l1's smoothed L1 on R (its value returned).
  double factor_terms(const FactorMap& F, const double* R, const std::vector<double>& group_dP, int groups,
                      double total, double* grad) const {
    const std::size_t kp = static_cast<std::size_t>(F.k) * F.p;
    double f = 0.0;
    std::vector<double> dR(kp, 0.0);
    if (grad) {
      std::vector<double> dP(2 * kp, 0.0);
      for (int g = 0; g < groups; ++g)
        for (std::size_t o = 0; o < 2 * kp; ++o) dP[o] += group_dP[2 * g * kp + o];
      for (double& v : dP) v /= total;
      factor_logits_backward(F, dP.data(), dP.data() + kp, dR.data());
    }
    if (dag_.factor_l1 > 0.0)
      for (std::size_t o = 0; o < kp; ++o) f += elastic_net_term(dag_.factor_l1, 1.0, R[o], 1.0, &dR[o]);
    if (grad) std::copy(dR.begin(), dR.end(), grad);
    return f;
  }
  // The encoder's outputs (W's off-diagonal entries, feature by feature) as a p x p matrix.
  void to_matrix(const double* t, double* W) const {
    const int p = layout_.p;
    for (int j = 0; j < p; ++j) {
      W[static_cast<std::size_t>(j) * p + j] = 0.0;
      const std::vector<int>& parents = layout_.predictors[j];
      for (std::size_t e = 0; e < parents.size(); ++e)
        W[static_cast<std::size_t>(parents[e]) * p + j] = t[layout_.offset[j] + e];
    }
  }
  // dt[output] += scale * dW[i, j] for every output.
  void add_matrix_grad(double scale, const double* dW, double* dt) const {
    const int p = layout_.p;
    for (int j = 0; j < p; ++j) {
      const std::vector<int>& parents = layout_.predictors[j];
      for (std::size_t e = 0; e < parents.size(); ++e)
        dt[layout_.offset[j] + e] += scale * dW[static_cast<std::size_t>(parents[e]) * p + j];
    }
  }
  // The archetype graphs' penalties (archetypes K >= 2: A, K x q, closes the weights).
  double archetype_terms(const double* w, double* grad) const {
    const DagPenalty& a = dag_.archetype;
    const int K = archetypes_;
    archetype_h_ = 0.0;
    if (K == 0 || (a.alpha == 0.0 && a.rho == 0.0 && a.l1 == 0.0)) return 0.0;
    const int p = layout_.p, q = encoder_.q();
    const std::size_t pp = static_cast<std::size_t>(p) * p, first = encoder_.n_weights() - static_cast<std::size_t>(K) * q;
    std::vector<double> W(pp), gW(pp), dA(q);
    double f = 0.0;
    for (int k = 0; k < K; ++k) {
      const double* A = w + first + static_cast<std::size_t>(k) * q;
      std::fill(dA.begin(), dA.end(), 0.0);
      if (a.l1 > 0.0)
        for (int o = 0; o < q; ++o) f += elastic_net_term(a.l1, 1.0, A[o], 1.0, &dA[o]);
      if (a.alpha > 0.0 || a.rho > 0.0) {
        to_matrix(A, W.data());
        const double h = acyclicity(a.loss, a.s, W.data(), p, gW.data());
        f += a.alpha * h + 0.5 * a.rho * h * h;
        archetype_h_ += h;
        add_matrix_grad(a.alpha + a.rho * h, gW.data(), dA.data());
      }
      if (grad)
        for (int o = 0; o < q; ++o) grad[first + static_cast<std::size_t>(k) * q + o] += dA[o];
    }
    return f;
  }
  const Encoder& encoder_;
  const NetworkLayout layout_;  // the encoder's graph: the features', or the factors' (factors.hpp)
  DataView data_;
  const Scaling& scaling_;
  Penalty penalty_;
  DagOptions dag_;
  int archetypes_;
  int threads_;
  // Set by value_grad (called from one thread at a time): see last_acyclicity.
  mutable double sample_h_ = 0.0, archetype_h_ = 0.0;
};

}  // namespace

std::unique_ptr<NetworkLoss> make_bayesian_loss(const Encoder& encoder, const NetworkLayout& layout,
                                                const DataView& data, const Scaling& scaling, const Penalty& penalty,
                                                const DagOptions& dag, int archetypes, int threads) {
  return std::make_unique<BayesianLoss>(encoder, layout, data, scaling, penalty, dag, archetypes, threads);
}

}  // namespace ctxstats
