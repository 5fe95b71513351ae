#pragma once

#include "gateway/stats/stats_store.h"

// Envoy's pattern for declaring a component's stats once, as a list:
//
//   #define MY_FILTER_STATS(COUNTER) COUNTER(events_checked) COUNTER(events_rejected)
//   struct MyFilterStats {
//     explicit MyFilterStats(stats::StatsScope scope) : scope_(std::move(scope)) {}
//     stats::StatsScope scope_;
//     MY_FILTER_STATS(CHAUKAS_STATS_COUNTER)
//   };
//
// Each entry becomes a `stats::Counter&` member named after the stat, looked up once.
#define CHAUKAS_STATS_COUNTER(name) ::chaukas::stats::Counter& name = scope_.GetCounter(#name);
#define CHAUKAS_STATS_GAUGE(name) ::chaukas::stats::Gauge& name = scope_.GetGauge(#name);
