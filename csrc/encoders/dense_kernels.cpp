#include "encoders/dense_kernels.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace ctxstats::dense {

namespace {

#define CTXSTATS_INLINE inline __attribute__((always_inline))

// Four doubles in a GCC vector: the baseline build runs each operation as two SSE2 halves,
// the AVX2 variant as one instruction. The lane arithmetic is the same in both, so a value's
// result does not depend on its position in the array.
typedef double d4 __attribute__((vector_size(32)));
typedef std::uint64_t u4 __attribute__((vector_size(32)));


// The bodies, written once and inlined into each variant (a callee is inlined into a caller
// compiled for a wider instruction set, and then compiled for it). The loops run along the
// contiguous dimension without reductions, so they vectorise without reassociating sums.

// z_o = b_o + a . w_o with the dot product in four lanes (summed in a fixed order): for layers
// with few outputs, such as the output layer (one per parameter).
CTXSTATS_INLINE double dot4(const double* __restrict a, const double* __restrict w, int n) {
  d4 acc = {0.0, 0.0, 0.0, 0.0};
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    d4 x, y;
    std::memcpy(&x, a + i, sizeof x);
    std::memcpy(&y, w + i, sizeof y);
    acc += x * y;
  }
  double s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (; i < n; ++i) s += a[i] * w[i];
  return s;
}

// Register-blocked forms for a dimension of 4 V doubles (V <= 8: widths 4 ... 32), the
// common case: the V vectors of a row stay in registers through the inner loop.
// Four doubles at any 8-byte aligned address, as a d4.
typedef double d4u __attribute__((vector_size(32), aligned(8), may_alias));
#define CTXSTATS_LOAD4(p) (*reinterpret_cast<const d4u*>(p))

// Z rows = b + sum_i a_i Wt_i, with Wt (ni x 4V) the transposed weights.
template <int V>
CTXSTATS_INLINE void affine_blocked(const double* __restrict A, int rows, int ni, const double* __restrict Wt,
                                    const double* __restrict b, double* __restrict Z) {
  for (int r = 0; r < rows; ++r) {
    d4 z[V];
    for (int v = 0; v < V; ++v) z[v] = CTXSTATS_LOAD4(b + 4 * v);
    const double* __restrict a = A + static_cast<std::size_t>(r) * ni;
    for (int i = 0; i < ni; ++i) {
      const double* __restrict w = Wt + static_cast<std::size_t>(i) * 4 * V;
      for (int v = 0; v < V; ++v) z[v] += a[i] * CTXSTATS_LOAD4(w + 4 * v);
    }
    std::memcpy(Z + static_cast<std::size_t>(r) * 4 * V, z, sizeof z);
  }
}

// gW row o += sum_r D_ro A_r for A rows of 4V doubles, accumulated over the block in registers.
template <int V>
CTXSTATS_INLINE void weight_grad_blocked(const double* __restrict D, const double* __restrict A, int rows, int no,
                                         double* __restrict gW, double* __restrict gb) {
  for (int o = 0; o < no; ++o) {
    d4 acc[V];
    for (int v = 0; v < V; ++v) acc[v] = d4{0.0, 0.0, 0.0, 0.0};
    double bias = 0.0;
    for (int r = 0; r < rows; ++r) {
      const double d = D[static_cast<std::size_t>(r) * no + o];
      const double* __restrict a = A + static_cast<std::size_t>(r) * 4 * V;
      for (int v = 0; v < V; ++v) acc[v] += d * CTXSTATS_LOAD4(a + 4 * v);
      bias += d;
    }
    double* __restrict g = gW + static_cast<std::size_t>(o) * 4 * V;
    for (int v = 0; v < V; ++v) {
      const d4 sum = CTXSTATS_LOAD4(g + 4 * v) + acc[v];
      std::memcpy(g + 4 * v, &sum, sizeof sum);
    }
    gb[o] += bias;
  }
}

// dA row r = sum_o D_ro W_o for W rows of 4V doubles.
template <int V>
CTXSTATS_INLINE void input_grad_blocked(const double* __restrict D, const double* __restrict W, int rows, int no,
                                        double* __restrict dA) {
  for (int r = 0; r < rows; ++r) {
    d4 out[V];
    for (int v = 0; v < V; ++v) out[v] = d4{0.0, 0.0, 0.0, 0.0};
    const double* __restrict d = D + static_cast<std::size_t>(r) * no;
    for (int o = 0; o < no; ++o) {
      const double* __restrict w = W + static_cast<std::size_t>(o) * 4 * V;
      for (int v = 0; v < V; ++v) out[v] += d[o] * CTXSTATS_LOAD4(w + 4 * v);
    }
    std::memcpy(dA + static_cast<std::size_t>(r) * 4 * V, out, sizeof out);
  }
}

// Calls BODY<V> when n = 4V with 1 <= V <= 8 and returns true; false otherwise.
#define CTXSTATS_BLOCKED(n, CALL)      \
  switch ((n) % 4 == 0 ? (n) / 4 : 0) { \
    case 1: CALL(1); return;             \
    case 2: CALL(2); return;             \
    case 3: CALL(3); return;             \
    case 4: CALL(4); return;             \
    case 5: CALL(5); return;             \
    case 6: CALL(6); return;             \
    case 7: CALL(7); return;             \
    case 8: CALL(8); return;             \
    default: break;                      \
  }

CTXSTATS_INLINE void affine_body(const double* __restrict A, int rows, int ni, const double* __restrict W,
                                 const double* __restrict b, int no, double* __restrict Z) {
  if (no < 8 && ni >= 8) {
    for (int r = 0; r < rows; ++r)
      for (int o = 0; o < no; ++o)
        Z[static_cast<std::size_t>(r) * no + o] =
            b[o] + dot4(A + static_cast<std::size_t>(r) * ni, W + static_cast<std::size_t>(o) * ni, ni);
    return;
  }
  // W' (ni x no), so that the inner loop runs along the outputs.
  double stack[1024];
  std::vector<double> heap;
  double* Wt = stack;
  const std::size_t size = static_cast<std::size_t>(ni) * no;
  if (size > 1024) {
    heap.resize(size);
    Wt = heap.data();
  }
  for (int o = 0; o < no; ++o)
    for (int i = 0; i < ni; ++i) Wt[static_cast<std::size_t>(i) * no + o] = W[static_cast<std::size_t>(o) * ni + i];
#define CTXSTATS_AFFINE(V) affine_blocked<V>(A, rows, ni, Wt, b, Z)
  CTXSTATS_BLOCKED(no, CTXSTATS_AFFINE)
#undef CTXSTATS_AFFINE
  for (int r = 0; r < rows; ++r) {
    double* __restrict z = Z + static_cast<std::size_t>(r) * no;
    const double* __restrict a = A + static_cast<std::size_t>(r) * ni;
    for (int o = 0; o < no; ++o) z[o] = b[o];
    for (int i = 0; i < ni; ++i) {
      const double ai = a[i];
      const double* __restrict w = Wt + static_cast<std::size_t>(i) * no;
      for (int o = 0; o < no; ++o) z[o] += ai * w[o];
    }
  }
}

// tanh(z) = 1 - 2 / (exp(2z) + 1), clamped at |z| = 20 (tanh is +-1 to double precision
// there). exp(x): x = k ln2 + r with |r| <= ln2 / 2, exp(r) by its Taylor polynomial of degree
// 13 (truncation below 5e-18 relative), 2^k built in the exponent bits. Measured against
// std::tanh: at most 4e-16 absolute error (tests/cpp).
CTXSTATS_INLINE void tanh4(d4& z) {
  constexpr double kLog2e = 1.4426950408889634;
  constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kShift = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
  const d4 lo = {-20.0, -20.0, -20.0, -20.0}, hi = {20.0, 20.0, 20.0, 20.0};
  const d4 shift = {kShift, kShift, kShift, kShift};
  z = z < lo ? lo : z;
  z = z > hi ? hi : z;
  const d4 x = 2.0 * z;
  const d4 shifted = x * kLog2e + shift;
  const d4 kd = shifted - shift;
  const d4 r = (x - kd * kLn2Hi) - kd * kLn2Lo;
  d4 p = r * (1.0 / 6227020800.0) + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const u4 bits = ((u4)shifted - (u4)shift + 1023) << 52;  // 2^k
  z = 1.0 - 2.0 / (p * (d4)bits + 1.0);
}

CTXSTATS_INLINE void tanh_body(double* Z, std::size_t n) {
  std::size_t k = 0;
  for (; k + 4 <= n; k += 4) {
    d4 v;
    std::memcpy(&v, Z + k, sizeof v);
    tanh4(v);
    std::memcpy(Z + k, &v, sizeof v);
  }
  if (k < n) {
    d4 v = {0.0, 0.0, 0.0, 0.0};
    std::memcpy(&v, Z + k, (n - k) * sizeof(double));
    tanh4(v);
    std::memcpy(Z + k, &v, (n - k) * sizeof(double));
  }
}

CTXSTATS_INLINE void relu_body(double* __restrict Z, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k) Z[k] = Z[k] > 0.0 ? Z[k] : 0.0;
}

CTXSTATS_INLINE void weight_grad_body(const double* __restrict D, const double* __restrict A, int rows, int ni,
                                      int no, double* __restrict gW, double* __restrict gb) {
  if (ni == 1) {  // a network's first layer on one input (ngam): along the outputs
    for (int r = 0; r < rows; ++r) {
      const double* __restrict d = D + static_cast<std::size_t>(r) * no;
      const double ar = A[r];
      for (int o = 0; o < no; ++o) {
        gW[o] += d[o] * ar;
        gb[o] += d[o];
      }
    }
    return;
  }
#define CTXSTATS_WEIGHT_GRAD(V) weight_grad_blocked<V>(D, A, rows, no, gW, gb)
  CTXSTATS_BLOCKED(ni, CTXSTATS_WEIGHT_GRAD)
#undef CTXSTATS_WEIGHT_GRAD
  for (int r = 0; r < rows; ++r) {
    const double* __restrict d = D + static_cast<std::size_t>(r) * no;
    const double* __restrict a = A + static_cast<std::size_t>(r) * ni;
    for (int o = 0; o < no; ++o) {
      const double dro = d[o];
      double* __restrict g = gW + static_cast<std::size_t>(o) * ni;
      for (int i = 0; i < ni; ++i) g[i] += dro * a[i];
      gb[o] += dro;
    }
  }
}

CTXSTATS_INLINE void input_grad_body(const double* __restrict D, const double* __restrict W, int rows, int ni, int no,
                                     double* __restrict dA) {
#define CTXSTATS_INPUT_GRAD(V) input_grad_blocked<V>(D, W, rows, no, dA)
  CTXSTATS_BLOCKED(ni, CTXSTATS_INPUT_GRAD)
#undef CTXSTATS_INPUT_GRAD
  for (int r = 0; r < rows; ++r) {
    const double* __restrict d = D + static_cast<std::size_t>(r) * no;
    double* __restrict out = dA + static_cast<std::size_t>(r) * ni;
    for (int i = 0; i < ni; ++i) out[i] = 0.0;
    for (int o = 0; o < no; ++o) {
      const double dro = d[o];
      const double* __restrict w = W + static_cast<std::size_t>(o) * ni;
      for (int i = 0; i < ni; ++i) out[i] += dro * w[i];
    }
  }
}

CTXSTATS_INLINE void tanh_backward_body(const double* __restrict A, double* __restrict dA, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k) dA[k] *= 1.0 - A[k] * A[k];
}

CTXSTATS_INLINE void relu_backward_body(const double* __restrict A, double* __restrict dA, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k) dA[k] = A[k] > 0.0 ? dA[k] : 0.0;
}

struct Kernels {
  void (*affine)(const double*, int, int, const double*, const double*, int, double*);
  void (*tanh)(double*, std::size_t);
  void (*relu)(double*, std::size_t);
  void (*weight_grad)(const double*, const double*, int, int, int, double*, double*);
  void (*input_grad)(const double*, const double*, int, int, int, double*);
  void (*tanh_backward)(const double*, double*, std::size_t);
  void (*relu_backward)(const double*, double*, std::size_t);
  const char* name;
};

#define CTXSTATS_DENSE_VARIANT(SUFFIX, ATTR)                                                                   \
  ATTR void affine_##SUFFIX(const double* A, int rows, int ni, const double* W, const double* b, int no,      \
                            double* Z) {                                                                      \
    affine_body(A, rows, ni, W, b, no, Z);                                                                    \
  }                                                                                                           \
  ATTR void tanh_##SUFFIX(double* Z, std::size_t n) { tanh_body(Z, n); }                                      \
  ATTR void relu_##SUFFIX(double* Z, std::size_t n) { relu_body(Z, n); }                                      \
  ATTR void weight_grad_##SUFFIX(const double* D, const double* A, int rows, int ni, int no, double* gW,      \
                                 double* gb) {                                                                \
    weight_grad_body(D, A, rows, ni, no, gW, gb);                                                             \
  }                                                                                                           \
  ATTR void input_grad_##SUFFIX(const double* D, const double* W, int rows, int ni, int no, double* dA) {     \
    input_grad_body(D, W, rows, ni, no, dA);                                                                  \
  }                                                                                                           \
  ATTR void tanh_backward_##SUFFIX(const double* A, double* dA, std::size_t n) { tanh_backward_body(A, dA, n); } \
  ATTR void relu_backward_##SUFFIX(const double* A, double* dA, std::size_t n) { relu_backward_body(A, dA, n); }

CTXSTATS_DENSE_VARIANT(baseline, )
#if defined(__GNUC__) && defined(__x86_64__)
CTXSTATS_DENSE_VARIANT(avx2, __attribute__((target("avx2,fma"))))
#endif

const Kernels& kernels() {
  static const Kernels k = [] {
    // CTXSTATS_SIMD=baseline runs the baseline variant on any processor: to reproduce, on an
    // AVX2 machine, the last bits another machine without it computes (and to test it).
    const char* simd = std::getenv("CTXSTATS_SIMD");
    const bool baseline = simd != nullptr && std::string(simd) == "baseline";
#if defined(__GNUC__) && defined(__x86_64__)
    if (!baseline && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      return Kernels{affine_avx2,     tanh_avx2,          relu_avx2,          weight_grad_avx2,
                     input_grad_avx2, tanh_backward_avx2, relu_backward_avx2, "avx2"};
#endif
    return Kernels{affine_baseline,     tanh_baseline,          relu_baseline,          weight_grad_baseline,
                   input_grad_baseline, tanh_backward_baseline, relu_backward_baseline, "baseline"};
  }();
  return k;
}

}  // namespace

void affine(const double* A, int rows, int ni, const double* W, const double* b, int no, double* Z) {
  kernels().affine(A, rows, ni, W, b, no, Z);
}
void tanh_inplace(double* Z, std::size_t n) { kernels().tanh(Z, n); }
void relu_inplace(double* Z, std::size_t n) { kernels().relu(Z, n); }
void accumulate_weight_grad(const double* D, const double* A, int rows, int ni, int no, double* gW, double* gb) {
  kernels().weight_grad(D, A, rows, ni, no, gW, gb);
}
void input_grad(const double* D, const double* W, int rows, int ni, int no, double* dA) {
  kernels().input_grad(D, W, rows, ni, no, dA);
}
void tanh_backward(const double* A, double* dA, std::size_t n) { kernels().tanh_backward(A, dA, n); }
void relu_backward(const double* A, double* dA, std::size_t n) { kernels().relu_backward(A, dA, n); }
const char* variant() { return kernels().name; }

}  // namespace ctxstats::dense
