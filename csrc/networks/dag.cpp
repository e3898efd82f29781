// Acyclicity penalties and DAG projection (dag.hpp).
#include "networks/dag.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/error.hpp"

namespace ctxstats {

namespace {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// C = A B for small square row-major matrices (p x p): i-l-j loops, so every entry sums over
// l in order, one multiplication then one addition per term (the j loops vectorise without
// changing any sum, and the result is the same under both front ends' compiler flags). At the
// sizes of a network's graph (p = 20: 8,000 multiply-adds) the general matrix product's
// packing and temporaries cost more than this. Two rows of C at a time share the loads of
// B's rows; a term whose multiplier is 0 adds nothing (the entries are finite), so skipping
// it when both rows' multipliers are 0 changes no bit.
// The products of the matrix exponential are most of a Bayesian network fit's time, so on
// x86-64 processors with AVX2 the same loops are compiled a second time for its 4-wide
// registers and chosen at run time: the same multiplications and additions in the same order
// (AVX2 without FMA: no fused multiply-add, no contraction), hence bitwise the same C.
inline __attribute__((always_inline)) void product_rows(const double* __restrict A, const double* __restrict B,
                                                         double* __restrict C, int p) {
  std::fill(C, C + static_cast<std::ptrdiff_t>(p) * p, 0.0);
  int i = 0;
  for (; i + 1 < p; i += 2) {
    double* __restrict c0 = C + static_cast<std::ptrdiff_t>(i) * p;
    double* __restrict c1 = c0 + p;
    const double* a0 = A + static_cast<std::ptrdiff_t>(i) * p;
    const double* a1 = a0 + p;
    for (int l = 0; l < p; ++l) {
      const double x0 = a0[l], x1 = a1[l];
      if (x0 == 0.0 && x1 == 0.0) continue;
      const double* __restrict b = B + static_cast<std::ptrdiff_t>(l) * p;
      for (int j = 0; j < p; ++j) {
        c0[j] += x0 * b[j];
        c1[j] += x1 * b[j];
      }
    }
  }
  if (i < p) {
    double* __restrict c = C + static_cast<std::ptrdiff_t>(i) * p;
    for (int l = 0; l < p; ++l) {
      const double x = A[static_cast<std::ptrdiff_t>(i) * p + l];
      if (x == 0.0) continue;
      const double* __restrict b = B + static_cast<std::ptrdiff_t>(l) * p;
      for (int j = 0; j < p; ++j) c[j] += x * b[j];
    }
  }
}

#if defined(__GNUC__) && defined(__x86_64__)
__attribute__((target("avx2"))) void product_rows_avx2(const double* A, const double* B, double* C, int p) {
  product_rows(A, B, C, p);
}
bool cpu_has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

void small_product(const RowMat& A, const RowMat& B, RowMat& C) {
  const int p = static_cast<int>(A.rows());
#if defined(__GNUC__) && defined(__x86_64__)
  if (cpu_has_avx2()) {
    product_rows_avx2(A.data(), B.data(), C.data(), p);
    return;
  }
#endif
  product_rows(A.data(), B.data(), C.data(), p);
}

// exp(M) for M >= 0 entrywise: scale by 2^-k so that the 1-norm is at most 1/2, the degree-12
// Taylor polynomial, then k squarings. The polynomial by Paterson and Stockmeyer's scheme, in
// powers of A^4: T(A) = B0 + A^4 (B1 + A^4 B2), B0 = sum_{i<4} A^i / i!, B1 = sum_{i<4}
// A^i / (i + 4)!, B2 = sum_{i<=4} A^i / (i + 8)! -- five products instead of Horner's twelve
// (it runs once per sample and objective evaluation).
RowMat expm_nonnegative(const RowMat& M) {
  const int p = static_cast<int>(M.rows());
  const double norm = M.colwise().sum().maxCoeff();
  int k = 0;
  if (norm > 0.5) k = static_cast<int>(std::ceil(std::log2(norm / 0.5)));
  const RowMat A = M / std::ldexp(1.0, k);
  RowMat A2(p, p), A3(p, p), A4(p, p), T(p, p), E(p, p);
  small_product(A, A, A2);
  small_product(A2, A, A3);
  small_product(A2, A2, A4);
  double f[13];  // 1 / i!
  f[0] = 1.0;
  for (int i = 1; i <= 12; ++i) f[i] = f[i - 1] / i;
  const auto block = [&](int first, bool with_a4) {  // sum_i A^i / (i + first)!
    RowMat B = f[first + 1] * A + f[first + 2] * A2 + f[first + 3] * A3;
    if (with_a4) B += f[first + 4] * A4;
    B.diagonal().array() += f[first];
    return B;
  };
  small_product(A4, block(8, true), T);
  T += block(4, false);
  small_product(A4, T, E);
  E += block(0, false);
  for (int j = 0; j < k; ++j) {
    small_product(E, E, T);
    E.swap(T);
  }
  return E;
}

}  // namespace

DagLoss parse_dag_loss(const std::string& name) {
  const std::string s = lower(name);
  if (s == "notears") return DagLoss::kNotears;
  if (s == "poly") return DagLoss::kPoly;
  if (s == "dagma") return DagLoss::kDagma;
  throw InvalidArgument("the DAG loss type must be 'NOTEARS', 'poly' or 'DAGMA', not '" + name + "'");
}

const char* dag_loss_name(DagLoss loss) {
  switch (loss) {
    case DagLoss::kNotears: return "NOTEARS";
    case DagLoss::kPoly: return "poly";
    default: return "DAGMA";
  }
}

double acyclicity(DagLoss loss, double s, const double* Wp, int p, double* grad) {
  const Eigen::Map<const RowMat> W(Wp, p, p);
  const RowMat M = W.cwiseProduct(W);
  // A trial point of a line search can be far out: non-finite weights, or (notears) a matrix
  // whose exponential overflows, give h = +infinity (and keep the scaling's exponent below a
  // representable integer).
  const double norm = M.colwise().sum().maxCoeff();
  if (!std::isfinite(norm) || (loss == DagLoss::kNotears && norm >= 700.0)) {
    if (grad) std::fill(grad, grad + static_cast<std::size_t>(p) * p, 0.0);
    return std::numeric_limits<double>::infinity();
  }
  double h;
  RowMat D;  // dh/dM'
  if (loss == DagLoss::kNotears) {
    D = expm_nonnegative(M);
    h = D.trace() - p;
  } else if (loss == DagLoss::kPoly) {
    const RowMat B = RowMat::Identity(p, p) + M / static_cast<double>(p);
    RowMat P = RowMat::Identity(p, p), T(p, p);
    for (int k = 0; k < p - 1; ++k) {  // B^(p-1)
      small_product(P, B, T);
      P.swap(T);
    }
    small_product(P, B, T);
    h = T.trace() - p;
    D = P;
  } else {
    const RowMat A = s * RowMat::Identity(p, p) - M;
    const Eigen::PartialPivLU<RowMat> lu(A);
    const double det = lu.determinant();
    if (!(det > 0.0) || !std::isfinite(det)) {
      if (grad) std::fill(grad, grad + static_cast<std::size_t>(p) * p, 0.0);
      return std::numeric_limits<double>::infinity();
    }
    D = lu.inverse();
    // Outside the M-matrix region the inverse has negative entries (and h is no acyclicity
    // measure there): treat as outside the domain.
    if (D.minCoeff() < 0.0) {
      if (grad) std::fill(grad, grad + static_cast<std::size_t>(p) * p, 0.0);
      return std::numeric_limits<double>::infinity();
    }
    h = -std::log(det) + p * std::log(s);
  }
  if (grad) Eigen::Map<RowMat>(grad, p, p) = 2.0 * W.cwiseProduct(D.transpose());
  return h;
}

namespace {

// Is j reachable from i along the edges of adj (p x p, adj[a * p + b]: a -> b)?
bool reaches(const std::vector<unsigned char>& adj, int p, int from, int to, std::vector<int>& stack,
             std::vector<unsigned char>& seen) {
  std::fill(seen.begin(), seen.end(), 0);
  stack.assign(1, from);
  seen[from] = 1;
  while (!stack.empty()) {
    const int a = stack.back();
    stack.pop_back();
    if (a == to) return true;
    for (int b = 0; b < p; ++b)
      if (adj[static_cast<std::size_t>(a) * p + b] && !seen[b]) {
        seen[b] = 1;
        stack.push_back(b);
      }
  }
  return false;
}

}  // namespace

bool is_dag(const double* W, int p) {
  // Kahn's algorithm on the non-zero entries.
  std::vector<int> indeg(p, 0), queue;
  for (int i = 0; i < p; ++i)
    for (int j = 0; j < p; ++j)
      if (W[static_cast<std::size_t>(i) * p + j] != 0.0) ++indeg[j];
  for (int j = 0; j < p; ++j)
    if (indeg[j] == 0) queue.push_back(j);
  int done = 0;
  while (!queue.empty()) {
    const int a = queue.back();
    queue.pop_back();
    ++done;
    for (int b = 0; b < p; ++b)
      if (W[static_cast<std::size_t>(a) * p + b] != 0.0 && --indeg[b] == 0) queue.push_back(b);
  }
  return done == p;
}

void project_to_dag(double* W, int p, double threshold) {
  const std::size_t pp = static_cast<std::size_t>(p) * p;
  if (!is_dag(W, p)) {
    std::vector<std::size_t> order(pp);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [W](std::size_t a, std::size_t b) { return std::fabs(W[a]) > std::fabs(W[b]); });
    std::vector<unsigned char> adj(pp, 0), seen(p, 0);
    std::vector<int> stack;
    for (std::size_t e : order) {
      if (W[e] == 0.0) break;
      const int i = static_cast<int>(e / p), j = static_cast<int>(e % p);
      if (i == j || reaches(adj, p, j, i, stack, seen)) W[e] = 0.0;  // i -> j would close a cycle
      else adj[e] = 1;
    }
  }
  if (threshold > 0.0)
    for (std::size_t e = 0; e < pp; ++e)
      if (std::fabs(W[e]) <= threshold) W[e] = 0.0;
}

}  // namespace ctxstats
