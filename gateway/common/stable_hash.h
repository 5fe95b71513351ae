#pragma once

#include <cstdint>
#include <string_view>

namespace chaukas {

// Hashes that are the same on every machine, build and run, unlike absl::Hash (seeded per
// process): session stickiness must agree across gateway replicas and restarts, and distinct
// session counts must be reproducible. Changing them moves sessions between endpoints, so
// their values are pinned by tests.

// FNV-1a 64 of `data`, then MurmurHash3's 64-bit finalizer (fmix64): FNV-1a alone mixes its
// last bytes poorly into the high bits, and fmix64 makes every input bit affect every output bit.
uint64_t StableHash64(std::string_view data);

// Combines two hashes into one (for rendezvous scores): fmix64(a ^ fmix64(b)). Not symmetric,
// and for a fixed `b` distinct values of `a` give distinct results (and the other way round).
uint64_t MixHash64(uint64_t a, uint64_t b);

// MurmurHash3's 64-bit finalizer: a bijection in which every input bit affects every output
// bit, for spreading weak hashes.
uint64_t Fmix64(uint64_t k);

}  // namespace chaukas
