#include "core/scan.hpp"

#include <boost/json.hpp>

#include <array>
#include <stdexcept>
#include <utility>

namespace scanhub::core {

namespace {
constexpr std::array<std::pair<ScanStatus, std::string_view>, 7> kStatusNames{{
    {ScanStatus::discovering, "discovering"},
    {ScanStatus::scanning, "scanning"},
    {ScanStatus::caching, "caching"},
    {ScanStatus::enriching, "enriching"},
    {ScanStatus::completed, "completed"},
    {ScanStatus::failed, "failed"},
    {ScanStatus::cancelled, "cancelled"},
}};

constexpr std::array<std::pair<ScanTrigger, std::string_view>, 3> kTriggerNames{{
    {ScanTrigger::manual, "manual"},
    {ScanTrigger::file_system_event, "file-system-event"},
    {ScanTrigger::library_added, "library-added"},
}};
}  // namespace

std::string_view to_string(ScanStatus status) noexcept {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "unknown";
}

std::optional<ScanStatus> parse_scan_status(std::string_view text) noexcept {
  for (const auto& [value, name] : kStatusNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool is_terminal(ScanStatus status) noexcept {
  return status == ScanStatus::completed || status == ScanStatus::failed ||
         status == ScanStatus::cancelled;
}

bool is_valid_transition(ScanStatus from, ScanStatus to) noexcept {
  if (is_terminal(from)) return false;
  if (is_terminal(to)) return true;
  return static_cast<int>(to) > static_cast<int>(from);
}

std::string_view to_string(ScanTrigger trigger) noexcept {
  for (const auto& [value, name] : kTriggerNames) {
    if (value == trigger) return name;
  }
  return "manual";
}

std::optional<ScanTrigger> parse_scan_trigger(std::string_view text) noexcept {
  for (const auto& [value, name] : kTriggerNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string ScanOptions::to_json() const {
  boost::json::object o;
  o["enableCaching"] = enable_caching;
  o["enableEnrichment"] = enable_enrichment;
  o["skipAssetDiscovery"] = skip_asset_discovery;
  o["skipFFprobe"] = skip_ffprobe;
  if (max_directories) o["maxDirectories"] = *max_directories;
  o["enrichmentMode"] = enrichment_mode;
  return boost::json::serialize(o);
}

ScanOptions ScanOptions::from_json(std::string_view json) {
  ScanOptions options;
  if (json.empty()) return options;
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(json, ec);
  if (ec || !value.is_object()) throw std::invalid_argument("scan options must be a JSON object");
  const auto& o = value.get_object();
  const auto read_bool = [&](std::string_view key, bool& out) {
    if (const auto* v = o.if_contains(key)) {
      if (!v->is_bool()) throw std::invalid_argument(std::string(key) + " must be a boolean");
      out = v->get_bool();
    }
  };
  read_bool("enableCaching", options.enable_caching);
  read_bool("enableEnrichment", options.enable_enrichment);
  read_bool("skipAssetDiscovery", options.skip_asset_discovery);
  read_bool("skipFFprobe", options.skip_ffprobe);
  if (const auto* v = o.if_contains("maxDirectories"); v && !v->is_null()) {
    if (!v->is_int64() || v->get_int64() < 0) {
      throw std::invalid_argument("maxDirectories must be a non-negative integer");
    }
    options.max_directories = v->get_int64();
  }
  if (const auto* v = o.if_contains("enrichmentMode")) {
    if (!v->is_string()) throw std::invalid_argument("enrichmentMode must be a string");
    const std::string mode(v->get_string());
    if (mode != "none" && mode != "metadata-only" && mode != "full") {
      throw std::invalid_argument("enrichmentMode must be none, metadata-only or full");
    }
    options.enrichment_mode = mode;
  }
  return options;
}

ScanCounters& ScanCounters::operator+=(const ScanCounters& d) noexcept {
  directories_total += d.directories_total;
  directories_queued += d.directories_queued;
  directories_scanned += d.directories_scanned;
  tracks_found += d.tracks_found;
  tracks_new += d.tracks_new;
  tracks_updated += d.tracks_updated;
  tracks_removed += d.tracks_removed;
  movies_found += d.movies_found;
  movies_new += d.movies_new;
  movies_updated += d.movies_updated;
  assets_queued += d.assets_queued;
  assets_cached += d.assets_cached;
  enrichment_queued += d.enrichment_queued;
  enrichment_completed += d.enrichment_completed;
  errors_count += d.errors_count;
  assets_failed += d.assets_failed;
  enrichment_skipped += d.enrichment_skipped;
  enrichment_failed += d.enrichment_failed;
  symlinks_skipped += d.symlinks_skipped;
  return *this;
}

PhaseProgress phase_progress(const ScanSnapshot& scan) noexcept {
  const ScanCounters& c = scan.counters;
  switch (scan.status) {
    case ScanStatus::discovering:
      return {c.directories_total, 0};
    case ScanStatus::scanning:
      return {c.directories_scanned, c.directories_total};
    case ScanStatus::caching:
      return {c.assets_cached + c.assets_failed, c.assets_queued};
    case ScanStatus::enriching:
      return {c.enrichment_completed + c.enrichment_skipped + c.enrichment_failed,
              c.enrichment_queued};
    default:
      return {c.directories_scanned, c.directories_total};
  }
}

TimePoint phase_started_at(const ScanSnapshot& scan) noexcept {
  const ScanTimes& t = scan.times;
  switch (scan.status) {
    case ScanStatus::scanning:
      return t.discovery_completed_at.value_or(t.started_at);
    case ScanStatus::caching:
      return t.scanning_completed_at.value_or(t.started_at);
    case ScanStatus::enriching:
      return t.caching_completed_at.value_or(t.scanning_completed_at.value_or(t.started_at));
    default:
      return t.started_at;
  }
}

void update_rate_and_eta(ScanSnapshot& scan, TimePoint now) noexcept {
  scan.rate_per_second = 0.0;
  scan.estimated_time_remaining.reset();
  if (is_terminal(scan.status)) return;
  const PhaseProgress progress = phase_progress(scan);
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - phase_started_at(scan));
  // Items skipped when the phase began (stored durations) took no time to finish.
  const std::int64_t measured =
      scan.status == ScanStatus::enriching ? scan.counters.enrichment_completed : progress.done;
  if (measured <= 0 || elapsed < std::chrono::milliseconds(200)) return;
  scan.rate_per_second = static_cast<double>(measured) * 1000.0 / static_cast<double>(elapsed.count());
  if (progress.total <= 0) return;
  const double remaining = static_cast<double>(std::max<std::int64_t>(0, progress.total - progress.done));
  scan.estimated_time_remaining =
      std::chrono::milliseconds(static_cast<long long>(remaining * 1000.0 / scan.rate_per_second));
}

}  // namespace scanhub::core
