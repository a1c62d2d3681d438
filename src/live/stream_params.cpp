#include "live/stream_params.hpp"

#include "http/query.hpp"

#include <stdexcept>

namespace scanhub::live {

std::expected<StreamParams, std::string> parse_stream_params(
    std::string_view query, std::string_view last_event_id_header) {
  const http::QueryParams params(query);
  StreamParams out;
  const auto job_id = params.get("jobId");
  const auto scan_id = params.get("scanId");
  const auto types = params.get("types");
  if (job_id || scan_id || types) {
    try {
      out.filter = events::EventFilter::parse(job_id, scan_id, types);
    } catch (const std::invalid_argument& e) {
      return std::unexpected(std::string(e.what()));
    }
  }
  if (!last_event_id_header.empty()) {
    out.last_event_id = std::string(last_event_id_header);
  } else if (auto id = params.get("lastEventId"); id && !id->empty()) {
    out.last_event_id = std::string(*id);
  }
  return out;
}

}  // namespace scanhub::live
