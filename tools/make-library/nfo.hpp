// Kodi movie .nfo documents for generated movie libraries.
//
// The layout follows Kodi's movie NFO (kodi.wiki "NFO files/Movies"): a <movie> root with
// <title>, <originaltitle>, <year> or <premiered>, <plot>, <runtime> (minutes), one <genre> per
// genre and <uniqueid type="tmdb"|"imdb" default="true">. Pure functions; no I/O.
#pragma once

#include <string>
#include <string_view>

#include "movie_plan.hpp"

namespace scanhub::make_library {

/// The .nfo bytes for a movie whose nfo_style is not kNone: a well-formed UTF-8 document for
/// kValid and kUnknownTags (the latter adds <ratings>, <set>, <actor>, <fileinfo> and a
/// non-Kodi tag, none of which change the manifest's truth), a document cut off inside an
/// element for kBroken.
std::string render_nfo(const MoviePlan& movie);

/// Escapes & < > " for XML text and attribute values.
std::string xml_escape(std::string_view text);

}  // namespace scanhub::make_library
