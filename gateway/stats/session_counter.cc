#include "gateway/stats/session_counter.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>

#include "gateway/common/stable_hash.h"

namespace chaukas::stats {
namespace {

constexpr size_t kRegisterCount = size_t{1} << SessionCounter::kPrecision;
// Hash bits left after the register index; register values run from 0 to kRankBits + 1.
constexpr int kRankBits = 64 - SessionCounter::kPrecision;

// σ and τ of Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (2017):
// they make the estimate unbiased over the whole range without empirical bias tables.
double Sigma(double x) {
  if (x == 1.0) return std::numeric_limits<double>::infinity();
  double y = 1.0;
  double z = x;
  double previous;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z != previous);
  return z;
}

double Tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0;
  double z = 1.0 - x;
  double previous;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (z != previous);
  return z / 3.0;
}

}  // namespace

void SessionCounter::Add(uint64_t hash) {
  if (!is_exact()) {
    AddToSketch(hash);
    return;
  }
  exact_.insert(hash);
  if (exact_.size() > kExactLimit) ConvertToSketch();
}

void SessionCounter::Merge(const SessionCounter& other) {
  if (is_exact() && other.is_exact()) {
    exact_.insert(other.exact_.begin(), other.exact_.end());
    if (exact_.size() > kExactLimit) ConvertToSketch();
    return;
  }
  if (is_exact()) ConvertToSketch();
  if (other.is_exact()) {
    for (const uint64_t hash : other.exact_) AddToSketch(hash);
    return;
  }
  for (size_t i = 0; i < kRegisterCount; ++i) {
    registers_[i] = std::max(registers_[i], other.registers_[i]);
  }
}

uint64_t SessionCounter::Count() const { return is_exact() ? exact_.size() : Estimate(); }

void SessionCounter::ConvertToSketch() {
  registers_.assign(kRegisterCount, 0);
  for (const uint64_t hash : exact_) AddToSketch(hash);
  absl::flat_hash_set<uint64_t>().swap(exact_);  // clear() would keep the capacity
}

void SessionCounter::AddToSketch(uint64_t hash) {
  const uint64_t mixed = Fmix64(hash);
  const size_t index = mixed >> kRankBits;
  const uint64_t rest = mixed << kPrecision;  // the kRankBits rank bits, then zeros
  const int rank = rest == 0 ? kRankBits + 1 : std::countl_zero(rest) + 1;
  registers_[index] = std::max<uint8_t>(registers_[index], static_cast<uint8_t>(rank));
}

// Ertl's improved raw estimator (Algorithm 6 of the paper above).
uint64_t SessionCounter::Estimate() const {
  std::array<uint64_t, kRankBits + 2> registers_with_value{};
  for (const uint8_t value : registers_) ++registers_with_value[value];
  const double m = static_cast<double>(kRegisterCount);
  double z = m * Tau(1.0 - static_cast<double>(registers_with_value[kRankBits + 1]) / m);
  for (int k = kRankBits; k >= 1; --k) {
    z = 0.5 * (z + static_cast<double>(registers_with_value[k]));
  }
  z += m * Sigma(static_cast<double>(registers_with_value[0]) / m);
  const double alpha_infinity = 1.0 / (2.0 * std::log(2.0));
  return static_cast<uint64_t>(std::llround(alpha_infinity * m * m / z));
}

}  // namespace chaukas::stats
