#pragma once

#include <string_view>

namespace chaukas {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// Writes one line to stderr: "2026-11-24T10:15:00.123Z info <message>". One write() per
// line, so lines from different threads never interleave. Never log secrets.
void Log(LogLevel level, std::string_view message);

// Lines below `level` are skipped (default kInfo).
void SetMinLogLevel(LogLevel level);

}  // namespace chaukas
