// Exact k-nearest-neighbour search under the learned metric D_phi (personalized.hpp),
// for the local GLMs and for new samples' models.
//
// A kd-tree on the raw context coordinates. D_phi(c, c') = sum_k phi_k d_k(c_k, c'_k) is a
// sum of per-column terms, each non-decreasing in the column's gap |c_k - c'_k| (numeric:
// phi_k (c_k - c'_k)^2 / g_k; categorical: phi_k 1{c_k != c'_k} / g_k, the codes being
// numbers whose equality alone matters). A node keeps each column's range [lo_k, hi_k] over
// its points; the lower bound of D_phi from a query c to any of them is the same sum with
// each numeric gap replaced by the distance from c_k to the range (0 inside), and each
// categorical term counted only when c_k lies outside [lo_k, hi_k] (every point then
// differs from c in that column). The bound is evaluated with the same operations, in the
// same order, as the exact distance (metric_distance), and IEEE rounding is monotone, so the
// computed bound never exceeds the computed distance of any point in the node: a node is
// skipped only when its bound is strictly above the k-th best (distance, row) found so far,
// and the neighbours found -- their set, their order (distance, then row: ties broken by row
// order) and their distances -- are bitwise those of the brute-force search. The tree's
// shape (split columns, medians) therefore affects speed only.
//
// Split column: the one with the largest metric spread phi_k (hi_k - lo_k)^2 / g_k
// (categorical: phi_k / g_k when the node holds two codes); columns with phi_k = 0 are
// never split. A node whose active columns are all constant ("uniform": every point at the
// same distance from any query, and its bound is that distance exactly -- no operation of
// the bound then differs from the distance's) is split by row instead, and skipped when
// its bound equals the k-th best distance and all its rows are above that neighbour's, so
// many tied contexts (a metric on one categorical column) cost O(k) per query, not O(n). Leaves hold at most 16 points. Building costs O(n log n); a query about
// O(log n + k) node visits for a low intrinsic dimension of the active columns.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace ctxstats {

class MetricTree {
 public:
  // C: the context (rows x m, row-major, raw units) of which `points` (row numbers, below
  // 2^32) are searched; phi, inv_scale (1 / g_k) and categorical: m entries each. C, phi,
  // inv_scale and categorical must outlive the tree.
  MetricTree(const double* C, int m, std::vector<std::uint32_t> points, const double* phi, const double* inv_scale,
             const int* categorical);

  // The k points nearest to c (m entries) as (D_phi, row), ascending by distance then row,
  // leaving out row `skip` (pass a row number not among the points to leave out none).
  // out is overwritten; returns its size, min(k, points available).
  int nearest(const double* c, int k, std::uint32_t skip, std::vector<std::pair<double, std::uint32_t>>& out) const;

  std::size_t size() const { return points_.size(); }

 private:
  struct Node {
    std::uint32_t begin, end;   // points_[begin, end)
    std::int32_t left, right;   // children, -1 in a leaf
    std::uint32_t min_row;      // the lowest row among the points
    bool uniform;               // every column with phi_k > 0 is constant over the points
  };
  std::int32_t build(std::uint32_t begin, std::uint32_t end);
  double lower_bound(const double* c, std::int32_t node) const;

  const double* C_;
  int m_;
  const double *phi_, *inv_;
  const int* cat_;
  std::vector<std::uint32_t> points_;
  std::vector<Node> nodes_;
  std::vector<double> lo_, hi_;  // nodes x m
};

}  // namespace ctxstats
