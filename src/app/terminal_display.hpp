#pragma once
// What `scanhub scan` shows while a scan runs. Three modes:
//   live  (stdout is a TTY): one redrawn line per phase: bar, done/total, rate, ETA, directory;
//         the enriching phase of a music scan is shown as "Embeddings": tracks done of the
//         phase's total (seed 000's TotalTracksForEmbedding), embedded/skipped/failed/running,
//         and the ETA (seed 000's EstimatedTimeRemaining);
//   lines (not a TTY): at most one plain line a second, plus one per phase change;
//   json  (--json): every progress event as one JSON line {"target":..., "arguments":[...]},
//         the same messages /hubs/progress sends (hubs/progress_payloads.hpp).
// Names (the current directory) are printed through text::escape_for_terminal, so a file name
// holding an escape sequence shows as text instead of driving the terminal.
// Called on the publishing thread (the tracker's timer or a scan thread), one event at a time.

#include "progress/events.hpp"

#include <chrono>
#include <cstdio>
#include <string>

namespace scanhub::app {

class TerminalDisplay {
 public:
  enum class Mode { live, lines, json };

  TerminalDisplay(Mode mode, std::FILE* out);
  void on_event(const progress::Event& event);

 private:
  void render_live(const core::ScanSnapshot& scan, bool phase_done);
  void render_line(const core::ScanSnapshot& scan);

  Mode mode_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point last_line_{};
  bool line_open_ = false;  // live mode: the current phase's line is drawn but not ended
  core::ScanStatus drawn_phase_ = core::ScanStatus::discovering;  // the phase of that line
};

/// "5,000" with thousands separators.
std::string with_separators(std::int64_t value);

}  // namespace scanhub::app
