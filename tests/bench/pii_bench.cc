// The PII scanner of the pii_redaction filter (every built-in detector) on agent text, per core:
// clean text (prompts, tool arguments, responses and logs without PII), and PII-dense text
// (an item every ~200 bytes, of every category). Bytes/s is the rate.
//
//   ninja -C build/bench pii_bench && build/bench/tests/bench/pii_bench
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "filters/pii_redaction/builtin_detectors.h"
#include "filters/pii_redaction/pii_scanner.h"

namespace chaukas::filters::pii_redaction {
namespace {

// Text an agent's telemetry is made of, without PII: it exercises the triggers' near misses
// (numbers, versions, hashes, times, ids, code) as well as plain prose.
constexpr const char* kCleanLines[] = {
    "The user asked for a summary of the quarterly report; the planner split it into three "
    "steps and called the search tool with the query \"revenue by region 2024\".\n",
    "{\"tool\": \"search\", \"arguments\": {\"query\": \"open tickets\", \"limit\": 25, "
    "\"sort\": \"updated_at desc\"}, \"max_tokens\": 4096, \"temperature\": 0.2}\n",
    "Traceback (most recent call last):\n  File \"agent/runner.py\", line 214, in run_step\n"
    "    result = tool.invoke(args)\nTimeoutError: request took 30.2s (limit 30s)\n",
    "requests==2.31.0 urllib3==2.0.7 version 1.2.3.4 build 20240512.1 commit "
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b at 2024-05-12T10:31:07Z\n",
    "session 0192f0c1-7a4e-7b3c-9d2e-5f6a7b8c9d0e span 4bf92f3577b34da6 took 1234 ms, "
    "prompt_tokens=812 completion_tokens=256 total 1068\n",
    "The model answered: Based on the documents, the refund policy allows returns within 30 "
    "days of delivery, provided the item is unused and in its original packaging.\n",
};

// One item per line, each line about 200 bytes with its surrounding text.
constexpr const char* kDenseLines[] = {
    "Please send the invoice to dana.whitfield@northwind-labs.com and copy the finance team "
    "on it, they asked for the PDF version rather than the spreadsheet this time, thanks.\n",
    "Customer says card 4111 1111 1111 1111 was charged twice for order 88231; please check "
    "the payment provider's dashboard and refund the duplicate charge if it is there.\n",
    "Her SSN is 536-22-8147 according to the onboarding form she filled in last week; the "
    "HR system still shows the old address, so the form should be updated as well.\n",
    "Connection from 203.0.113.45 was refused by the firewall at 10:31; the allowlist only "
    "has the office range and the VPN gateway, so the rule must be extended for this host.\n",
    "Wire the deposit to DE89 3704 0044 0532 0130 00 before Friday; the reference must "
    "include the contract number or the bank will hold the payment for manual review.\n",
    "Call me back at +44 20 7946 0958 after three, I will be out of the office until then and "
    "my mobile has no signal inside the building, so the landline is the better choice.\n",
    "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE before running the deploy script, and make "
    "sure the session token is refreshed because the old one expired this morning.\n",
    "db url: postgres://app_user:p4ssw0rd2024@db.example.com:5432/orders is what the worker "
    "uses; rotate it after the incident review and update the secret in the vault.\n",
};

std::string Repeat(const char* const* lines, size_t count, size_t bytes) {
  std::string text;
  while (text.size() < bytes) {
    for (size_t i = 0; i < count && text.size() < bytes; ++i) text += lines[i];
  }
  return text;
}

void Scan(benchmark::State& state, const std::string& text) {
  absl::StatusOr<std::unique_ptr<PiiScanner>> scanner = PiiScanner::Create(BuiltinDetectors());
  if (!scanner.ok()) {
    state.SkipWithError(std::string(scanner.status().message()).c_str());
    return;
  }
  std::vector<Finding> findings;
  // Fields of a realistic size: a prompt or a tool argument is a few hundred bytes to a few KB.
  const size_t field = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    for (size_t at = 0; at < text.size(); at += field) {
      if (!(*scanner)->Find(std::string_view(text).substr(at, field), {}, findings).ok()) {
        state.SkipWithError("scan failed");
        return;
      }
      benchmark::DoNotOptimize(findings.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_CleanText(benchmark::State& state) {
  static const std::string text = Repeat(kCleanLines, std::size(kCleanLines), 1 << 20);
  Scan(state, text);
}
void BM_PiiDenseText(benchmark::State& state) {
  static const std::string text = Repeat(kDenseLines, std::size(kDenseLines), 1 << 20);
  Scan(state, text);
}
BENCHMARK(BM_CleanText)->Arg(512)->Arg(4096)->Arg(65536);
BENCHMARK(BM_PiiDenseText)->Arg(512)->Arg(4096)->Arg(65536);

}  // namespace
}  // namespace chaukas::filters::pii_redaction
