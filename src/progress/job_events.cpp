#include "progress/job_events.hpp"

#include "core/ids.hpp"

#include <boost/json/parse.hpp>

namespace scanhub::progress {

std::string hub_job_id(core::JobId id) { return "job-" + std::to_string(id); }

std::optional<core::JobId> parse_hub_job_id(std::string_view text) noexcept {
  constexpr std::string_view kPrefix = "job-";
  if (!text.starts_with(kPrefix)) return std::nullopt;
  return core::parse_id(text.substr(kPrefix.size()));
}

ExternalJobInfo external_job_info(const core::Job& job) {
  ExternalJobInfo info{std::string(kExternalJobType), std::nullopt};
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(job.payload, ec);
  if (ec || !v.is_object()) return info;
  const auto& o = v.as_object();
  if (const auto* t = o.if_contains("jobType"); t && t->is_string() && !t->as_string().empty()) {
    info.job_type = std::string(t->as_string());
  }
  if (const auto* id = o.if_contains("videoId"); id && id->is_string()) {
    info.video_id = std::string(id->as_string());
  }
  return info;
}

}  // namespace scanhub::progress
