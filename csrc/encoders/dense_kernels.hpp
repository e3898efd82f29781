// The kernels of a dense layer on a block of rows (issue 12, item 2): the networks' forward and
// backward passes spend their time here. Matrices are row-major; W is (outputs x inputs).
// Each kernel has a baseline variant and one compiled for AVX2 + FMA; the variant is chosen
// once per process from the processor, so every thread runs the same code and results stay
// bitwise identical for any thread count (they may differ in the last bits between processors
// with and without AVX2, as the spline accumulation's do; the environment variable
// CTXSTATS_SIMD=baseline selects the baseline variant everywhere).
#pragma once
#include <cstddef>

namespace ctxstats::dense {

// Z (rows x no) = A (rows x ni) W' + 1 b'.
void affine(const double* A, int rows, int ni, const double* W, const double* b, int no, double* Z);
// Z = tanh(Z) elementwise (n values), to within a few units in the last place of 1.
void tanh_inplace(double* Z, std::size_t n);
// Z = max(Z, 0) elementwise.
void relu_inplace(double* Z, std::size_t n);
// gW (no x ni) += D' A and gb (no) += D' 1, for D (rows x no) and A (rows x ni).
void accumulate_weight_grad(const double* D, const double* A, int rows, int ni, int no, double* gW, double* gb);
// dA (rows x ni) = D W, for D (rows x no).
void input_grad(const double* D, const double* W, int rows, int ni, int no, double* dA);
// dA *= tanh'(.) given the layer's tanh output A: dA * (1 - A^2); or, for relu, dA where A > 0.
void tanh_backward(const double* A, double* dA, std::size_t n);
void relu_backward(const double* A, double* dA, std::size_t n);

// "avx2" or "baseline": the variant this process runs (reported by benchmarks).
const char* variant();

}  // namespace ctxstats::dense
