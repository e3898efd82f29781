// Achieved floating-point rate of the networks' forward + backward pass (issue 12, item 2).
//
//   make bench-kernels            (builds with the C++ tests, then runs)
//   build/cpp-tests/bench_kernels [rows] [repeats] [GHz]
//
// Times Objective::value_grad -- one forward and one backward pass over every row, what one
// L-BFGS function evaluation costs -- on 8,000 rows like the public benchmark's training rows
// (m = 3 context columns, p = 5 predictors), for the default ngam (16 x 1) and the mlp 32 x 2
// (its default until 2026-11-30; now 16 x 2) encoders and wider ones, on one thread and on every
// core. Operations are counted from the layer sizes (a multiply-add is two, tanh one though it
// costs ~20), so the rate is a lower bound on what the kernels sustain. Peak: threads x clock x
// 16 double-precision FLOP per cycle (two 256-bit FMA units, AVX2); a virtual machine without
// counters does not tell the clock, so it is an argument (lscpu, /proc/cpuinfo's "cpu MHz"). The
// rate is per CPU-second (the process's CPU time over all threads), so that a loaded machine's
// waiting does not count; wall-clock milliseconds are printed beside it. A measurement: no assertion.
#include <omp.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/data.hpp"
#include "common/family.hpp"
#include "common/rng.hpp"
#include "encoders/dense_kernels.hpp"
#include "encoders/encoder.hpp"
#include "glm/objective.hpp"

using namespace ctxstats;

namespace {

double cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double flops_per_row(const std::string& type, int m, int q, int width, int depth) {
  const int n_in = type == "ngam" ? 1 : m, copies = type == "ngam" ? m : 1;
  std::vector<int> sizes{n_in};
  for (int l = 0; l < depth; ++l) sizes.push_back(width);
  sizes.push_back(q);
  double f = 0.0;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    const double io = 2.0 * sizes[l] * sizes[l + 1];
    f += io + sizes[l + 1];             // forward affine
    f += io + sizes[l + 1];             // weight gradient
    if (l > 0) f += io + 2.0 * sizes[l];  // input gradient and the activation's derivative
    if (l + 2 < sizes.size()) f += sizes[l + 1];  // activation
  }
  return copies * f + 4.0 * q;  // + eta and dtheta
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 8000;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 100;
  const double ghz = argc > 3 ? std::atof(argv[3]) : 2.6;
  const int m = 3, p = 5, q = p + 1;
  std::vector<double> C(n * m), X(n * p), y(n);
  CounterRng rng(1, Stream::kInit, 0);
  for (double& v : C) v = rng.normal();
  for (double& v : X) v = rng.normal();
  for (double& v : y) v = rng.normal();
  DataView d;
  d.n = n;
  d.m = m;
  d.p = p;
  d.C = C.data();
  d.X = X.data();
  d.y = y.data();
  const Scaling scaling = compute_scaling(d, Family::kGaussian, true);
  const int cores = omp_get_num_procs();
  std::printf("rows=%zu kernels=%s peak/core=%.1f GFLOP/s (%.2f GHz x 16)\n", n, dense::variant(), 16 * ghz, ghz);
  std::printf("%-12s %7s %9s %12s %9s %7s\n", "encoder", "threads", "ms/eval", "CPU ms/eval", "GFLOP/s",
              "% peak");
  struct Case {
    const char* type;
    int width, depth;
  };
  for (const Case c : {Case{"ngam", 16, 1}, Case{"ngam", 32, 1}, Case{"mlp", 32, 2}, Case{"mlp", 64, 2}}) {
    EncoderSpec spec;
    spec.type = c.type;
    spec.width = c.width;
    spec.depth = c.depth;
    spec.activation = Activation::kTanh;
    auto encoder = make_encoder(spec, m, q);
    std::vector<double> w(encoder->n_weights()), g(w.size());
    encoder->init(0, w.data());
    const double flops = flops_per_row(c.type, m, q, c.width, c.depth) * static_cast<double>(n);
    for (int threads : {1, cores}) {
      Objective objective(*encoder, Family::kGaussian, d, scaling, Penalty{}, threads);
      objective.value_grad(w.data(), g.data());
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = cpu_seconds();
      for (int r = 0; r < repeats; ++r) objective.value_grad(w.data(), g.data());
      const double cpu = (cpu_seconds() - c0) / repeats;
      const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / repeats;
      const double rate = flops / cpu / 1e9;  // per CPU-second: per core
      std::printf("%-12s %7d %9.3f %12.3f %9.2f %6.0f%%\n",
                  (std::string(c.type) + " " + std::to_string(c.width) + "x" + std::to_string(c.depth)).c_str(),
                  threads, sec * 1e3, cpu * 1e3, rate, 100.0 * rate / (16.0 * ghz));
      if (cores == 1) break;
    }
  }
  return 0;
}
