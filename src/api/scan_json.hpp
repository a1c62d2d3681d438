#pragma once
// The REST shape of a scan: seed 002's scan_jobs row in camelCase, plus scanId as seed 000's
// string id and the live ETA when the scan runs. Pure function.

#include "core/library.hpp"
#include "core/scan.hpp"

#include <boost/json/object.hpp>

namespace scanhub::api {

boost::json::object scan_json(const core::ScanSnapshot& scan);
boost::json::object library_json(const core::Library& library, std::int64_t track_count);

}  // namespace scanhub::api
