// The kd-tree of metric_tree.hpp.
#include "personalized/metric_tree.hpp"

#include <algorithm>
#include <limits>

#include "personalized/personalized.hpp"

namespace ctxstats {

namespace {
constexpr std::uint32_t kLeafSize = 16;
// A node is skipped when its bound exceeds the k-th distance by more than this relative
// margin: the bound and the distances are computed alike (see the header), so the margin
// only guards against a compiler contracting one of them differently (e.g. into an FMA);
// visiting a node too many never changes the result.
constexpr double kPruneMargin = 1e-9;
}  // namespace

MetricTree::MetricTree(const double* C, int m, std::vector<std::uint32_t> points, const double* phi,
                       const double* inv_scale, const int* categorical)
    : C_(C), m_(m), phi_(phi), inv_(inv_scale), cat_(categorical), points_(std::move(points)) {
  if (points_.empty()) return;
  nodes_.reserve(2 * (points_.size() / kLeafSize + 1));
  build(0, static_cast<std::uint32_t>(points_.size()));
}

std::int32_t MetricTree::build(std::uint32_t begin, std::uint32_t end) {
  const std::int32_t id = static_cast<std::int32_t>(nodes_.size());
  std::uint32_t min_row = UINT32_MAX;
  for (std::uint32_t a = begin; a < end; ++a) min_row = std::min(min_row, points_[a]);
  nodes_.push_back({begin, end, -1, -1, min_row, false});
  const std::size_t base = lo_.size();
  lo_.resize(base + m_, std::numeric_limits<double>::infinity());
  hi_.resize(base + m_, -std::numeric_limits<double>::infinity());
  for (std::uint32_t a = begin; a < end; ++a) {
    const double* c = C_ + static_cast<std::size_t>(points_[a]) * m_;
    for (int k = 0; k < m_; ++k) {
      lo_[base + k] = std::min(lo_[base + k], c[k]);
      hi_[base + k] = std::max(hi_[base + k], c[k]);
    }
  }
  if (end - begin <= kLeafSize) {
    nodes_[id].uniform = true;
    for (int k = 0; k < m_ && nodes_[id].uniform; ++k)
      if (phi_[k] > 0.0 && hi_[base + k] > lo_[base + k]) nodes_[id].uniform = false;
    return id;
  }
  int dim = -1;
  double spread = 0.0;
  for (int k = 0; k < m_; ++k) {
    const double range = hi_[base + k] - lo_[base + k];
    if (!(range > 0.0) || !(phi_[k] > 0.0)) continue;
    const double s = cat_[k] ? phi_[k] * inv_[k] : phi_[k] * range * range * inv_[k];
    if (s > spread) {
      spread = s;
      dim = k;
    }
  }
  const std::uint32_t mid = begin + (end - begin) / 2;
  if (dim < 0) {
    // Every active column is constant here, so every point is at the same distance from any
    // query: split by row, so that a search takes the lowest rows and skips the rest.
    nodes_[id].uniform = true;
    std::sort(points_.begin() + begin, points_.begin() + end);
  } else {
    const double* C = C_;
    const int m = m_;
    // A total order (value, row), so the split is the same on every platform.
    std::nth_element(points_.begin() + begin, points_.begin() + mid, points_.begin() + end,
                     [C, m, dim](std::uint32_t a, std::uint32_t b) {
                       const double va = C[static_cast<std::size_t>(a) * m + dim];
                       const double vb = C[static_cast<std::size_t>(b) * m + dim];
                       return va < vb || (va == vb && a < b);
                     });
  }
  const std::int32_t left = build(begin, mid);
  const std::int32_t right = build(mid, end);
  nodes_[id].left = left;
  nodes_[id].right = right;
  return id;
}

double MetricTree::lower_bound(const double* c, std::int32_t node) const {
  const double* lo = lo_.data() + static_cast<std::size_t>(node) * m_;
  const double* hi = hi_.data() + static_cast<std::size_t>(node) * m_;
  double D = 0.0;
  for (int k = 0; k < m_; ++k) {
    if (cat_[k]) {
      D += phi_[k] * covariate_distance(c[k] < lo[k] || c[k] > hi[k] ? 1.0 : 0.0, 0.0, 1, inv_[k]);
    } else {
      const double gap = c[k] < lo[k] ? lo[k] - c[k] : (c[k] > hi[k] ? c[k] - hi[k] : 0.0);
      D += phi_[k] * covariate_distance(gap, 0.0, 0, inv_[k]);
    }
  }
  return D;
}

int MetricTree::nearest(const double* c, int k, std::uint32_t skip,
                        std::vector<std::pair<double, std::uint32_t>>& out) const {
  out.clear();
  if (k <= 0 || nodes_.empty()) return 0;
  // out is a max-heap of the best (distance, row) so far while searching.
  std::vector<std::pair<double, std::int32_t>> stack;  // (bound, node), depth first
  stack.emplace_back(0.0, 0);
  const std::size_t kk = static_cast<std::size_t>(k);
  while (!stack.empty()) {
    const auto [bound, node] = stack.back();
    stack.pop_back();
    const Node& nd = nodes_[node];
    if (out.size() == kk) {
      const auto& worst = out.front();
      if (bound > worst.first * (1.0 + kPruneMargin)) continue;
      // Every point of a uniform node is at exactly `bound` (see the header): none beats the
      // k-th best when that is no farther and has a lower row than all of them.
      if (nd.uniform && bound >= worst.first && nd.min_row > worst.second) continue;
    }
    if (nd.left < 0) {
      for (std::uint32_t a = nd.begin; a < nd.end; ++a) {
        const std::uint32_t j = points_[a];
        if (j == skip) continue;
        const std::pair<double, std::uint32_t> cand(
            metric_distance(c, C_ + static_cast<std::size_t>(j) * m_, phi_, inv_, cat_, m_), j);
        if (out.size() < kk) {
          out.push_back(cand);
          std::push_heap(out.begin(), out.end());
        } else if (cand < out.front()) {
          // Replace the worst: one sift-down from the top (half the work of pop + push; the
          // heap then holds the same k best, so the result is unchanged).
          std::size_t at = 0;
          for (;;) {
            const std::size_t l = 2 * at + 1;
            if (l >= kk) break;
            const std::size_t big = (l + 1 < kk && out[l] < out[l + 1]) ? l + 1 : l;
            if (!(cand < out[big])) break;
            out[at] = out[big];
            at = big;
          }
          out[at] = cand;
        }
      }
      continue;
    }
    const double bl = lower_bound(c, nd.left), br = lower_bound(c, nd.right);
    // Push the farther child first, so the nearer one is searched first.
    if (bl <= br) {
      stack.emplace_back(br, nd.right);
      stack.emplace_back(bl, nd.left);
    } else {
      stack.emplace_back(bl, nd.left);
      stack.emplace_back(br, nd.right);
    }
  }
  std::sort_heap(out.begin(), out.end());
  return static_cast<int>(out.size());
}

}  // namespace ctxstats
