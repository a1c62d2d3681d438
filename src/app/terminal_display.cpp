#include "app/terminal_display.hpp"

#include "hubs/progress_payloads.hpp"
#include "text/json_text.hpp"
#include "text/terminal_text.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace scanhub::app {

namespace {

std::string phase_title(core::ScanStatus status) {
  switch (status) {
    case core::ScanStatus::discovering: return "Discovering";
    case core::ScanStatus::scanning: return "Scanning";
    case core::ScanStatus::caching: return "Caching";
    case core::ScanStatus::enriching: return "Embeddings";  // music's enricher (issue 5)
    default: return "Finishing";
  }
}

std::string eta_text(const core::ScanSnapshot& scan) {
  if (!scan.estimated_time_remaining) return "";
  return "ETA " + core::format_human_duration(*scan.estimated_time_remaining);
}

std::string shorten(const std::string& text, std::size_t width) {
  if (text.size() <= width) return text;
  // Keep the end (the deepest directory names); do not cut inside a UTF-8 sequence.
  std::size_t start = text.size() - width + 1;
  while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  return "…" + text.substr(start);
}

}  // namespace

std::string with_separators(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

TerminalDisplay::TerminalDisplay(Mode mode, std::FILE* out) : mode_(mode), out_(out) {}

void TerminalDisplay::on_event(const progress::Event& event) {
  const core::ScanSnapshot& scan = progress::scan_of(event);
  if (mode_ == Mode::json) {
    for (const auto& m : hubs::progress_hub_messages(event)) {
      boost::json::object line{{"target", m.target}, {"arguments", m.arguments}};
      std::fprintf(out_, "%s\n", text::serialize_json(line).c_str());
    }
    std::fflush(out_);
    return;
  }
  const auto* changed = std::get_if<progress::ScanPhaseChanged>(&event);
  const bool finished = std::holds_alternative<progress::ScanFinished>(event);
  if (mode_ == Mode::live) {
    if (changed || finished) {
      // Close the previous phase's line with its final numbers.
      core::ScanSnapshot previous = scan;
      previous.status = changed ? changed->from : drawn_phase_;
      if (changed || line_open_) render_live(previous, true);
    } else {
      render_live(scan, false);
    }
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (changed || finished || now - last_line_ >= std::chrono::seconds(1)) {
    last_line_ = now;
    render_line(scan);
  }
}

namespace {

// The embedding phase's outcomes: "5 embedded, 2 skipped, 1 failed" (+ ", 2 running").
std::string embedding_counts(const core::ScanSnapshot& scan, bool running) {
  const auto& c = scan.counters;
  std::string text = with_separators(c.enrichment_completed) + " embedded, " +
                     with_separators(c.enrichment_skipped) + " skipped, " +
                     with_separators(c.enrichment_failed) + " failed";
  if (running && scan.enrichment_in_progress > 0) {
    text += ", " + with_separators(scan.enrichment_in_progress) + " running";
  }
  return text;
}

// "1,234 tracks", or movies for a movie library's scan (both when a scan has both).
std::string items_found(const core::ScanCounters& c) {
  if (c.movies_found == 0) return with_separators(c.tracks_found) + " tracks";
  if (c.tracks_found == 0) return with_separators(c.movies_found) + " movies";
  return with_separators(c.tracks_found) + " tracks, " + with_separators(c.movies_found) + " movies";
}

}  // namespace

void TerminalDisplay::render_live(const core::ScanSnapshot& scan, bool phase_done) {
  const auto& c = scan.counters;
  std::string line = phase_title(scan.status);
  line.resize(12, ' ');
  if (scan.status == core::ScanStatus::discovering) {
    line += with_separators(c.directories_total) + " directories with audio";
    if (!phase_done && !scan.current_directory.empty()) {
      line += "  " + shorten(text::escape_for_terminal(scan.current_directory), 40);
    }
  } else {
    const core::PhaseProgress p = core::phase_progress(scan);
    const int width = 24;
    const int filled = p.total > 0 ? static_cast<int>(std::min<std::int64_t>(width, p.done * width / p.total)) : 0;
    line += "[" + std::string(static_cast<std::size_t>(filled), '#') +
            std::string(static_cast<std::size_t>(width - filled), '-') + "] ";
    const bool embedding = scan.status == core::ScanStatus::enriching;
    const char* unit = scan.status == core::ScanStatus::caching ? " assets"
                       : embedding                              ? " tracks"
                                                                : " dirs";
    line += with_separators(p.done) + "/" + with_separators(p.total) + unit;
    if (p.total > 0) line += " " + std::to_string(p.done * 100 / p.total) + "%";
    if (embedding) {
      line += "  " + embedding_counts(scan, !phase_done);
    } else {
      line += "  " + items_found(c);
    }
    if (c.errors_count) line += "  " + with_separators(c.errors_count) + " errors";
    if (!phase_done) {
      const auto elapsed = std::chrono::duration<double>(core::Clock::now() - core::phase_started_at(scan));
      if (!embedding && c.tracks_found > 0 && elapsed.count() > 0.2) {
        line += "  " + with_separators(static_cast<std::int64_t>(c.tracks_found / elapsed.count())) +
                " tracks/s";
      }
      const std::string eta = eta_text(scan);
      if (!eta.empty() && p.done < p.total) line += "  " + eta;
      if (!scan.current_directory.empty()) {
        line += "  " + shorten(text::escape_for_terminal(scan.current_directory), 32);
      }
    }
  }
  std::fprintf(out_, "\r\033[2K%s%s", line.c_str(), phase_done ? "\n" : "");
  std::fflush(out_);
  line_open_ = !phase_done;
  drawn_phase_ = scan.status;
}

void TerminalDisplay::render_line(const core::ScanSnapshot& scan) {
  const auto& c = scan.counters;
  std::string line = "scan " + std::to_string(scan.id) + ": " + std::string(core::to_string(scan.status));
  line += ", " + with_separators(c.directories_scanned) + "/" + with_separators(c.directories_total) +
          " directories, " + items_found(c) + ", " + with_separators(c.errors_count) + " errors";
  if (c.assets_queued > 0) {
    line += ", " + with_separators(c.assets_cached) + "/" + with_separators(c.assets_queued) + " assets";
  }
  if (c.enrichment_queued > 0) {
    line += ", " + with_separators(c.enrichment_completed + c.enrichment_skipped + c.enrichment_failed) +
            "/" + with_separators(c.enrichment_queued) + " tracks through embeddings (" +
            embedding_counts(scan, scan.status == core::ScanStatus::enriching) + ")";
  }
  const std::string eta = eta_text(scan);
  if (!eta.empty()) line += ", " + eta;
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

}  // namespace scanhub::app
