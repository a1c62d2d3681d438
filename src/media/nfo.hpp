#pragma once
// Kodi movie .nfo files (https://kodi.wiki/view/NFO_files/Movies), parsed with pugixml:
// issue 4 "Movie libraries" (title, originaltitle, year or premiered, plot, runtime, genres,
// uniqueid for tmdb and imdb), seed 002 phase 2 step 2 ("Parse NFO files (local only)").
//
// Kodi accepts three shapes of .nfo (https://kodi.wiki/view/NFO_files#nfo_Types):
//  - metadata: a <movie> document;
//  - a parsing nfo: only a scraper URL ("https://www.themoviedb.org/movie/603");
//  - combination: a <movie> document followed by a URL on the lines after it (or preceded by
//    one: like Kodi's CNfoFile, the root element is looked for anywhere in the file).
// An .nfo is untrusted input: nothing here throws for bad content; broken XML is a value.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanhub::media {

struct NfoActor {
  std::string name;
  std::optional<std::string> role;
  std::optional<int> order;  ///< Kodi's billing order, 0 first
  std::optional<std::string> thumb;
};

/// <ratings><rating name="imdb" max="10" default="true"><value>7.9</value><votes>..</votes>,
/// or the legacy top-level <rating>/<votes> (reported with an empty `name`).
struct NfoRating {
  std::string name;  ///< "imdb", "themoviedb", "tomatometerallcritics", ...; "" for legacy
  double value = 0;
  std::optional<double> max;
  std::optional<std::int64_t> votes;  ///< "1,976,532" reads as 1976532
  bool is_default = false;
};

/// <uniqueid type="tmdb" default="true">603</uniqueid>. `type` is lower-cased.
struct NfoUniqueId {
  std::string type;
  std::string value;
  bool is_default = false;
};

/// <fileinfo><streamdetails>: what the program that wrote the nfo measured.
struct NfoStreamDetails {
  struct Video {
    std::optional<std::string> codec;
    std::optional<double> aspect;
    std::optional<int> width;
    std::optional<int> height;
    std::optional<std::int64_t> duration_seconds;  ///< <durationinseconds>
    std::optional<std::string> hdr_type;           ///< <hdrtype> (Kodi 20): "hdr10", "dolbyvision"
  };
  struct Audio {
    std::optional<std::string> codec;
    std::optional<std::string> language;
    std::optional<int> channels;
  };
  std::vector<Video> video;
  std::vector<Audio> audio;
  std::vector<std::string> subtitle_languages;
};

/// The metadata of one <movie> document. Text is trimmed, valid UTF-8 (bytes that are not are
/// replaced by U+FFFD), and an empty element counts as absent. Unknown elements are ignored.
struct MovieNfo {
  std::optional<std::string> title;
  std::optional<std::string> original_title;  ///< <originaltitle>
  std::optional<std::string> sort_title;      ///< <sorttitle>
  std::optional<int> year;        ///< <year>, else the year of <premiered>
  std::optional<std::string> premiered;       ///< as written, normally "YYYY-MM-DD"
  std::optional<std::string> plot;
  std::optional<std::string> outline;
  std::optional<std::string> tagline;
  std::optional<int> runtime_minutes;         ///< <runtime>; "142 min" reads as 142
  std::optional<std::string> mpaa;            ///< certification as written ("Rated R", "PG-13")
  std::vector<std::string> genres;            ///< one per <genre>, in order
  std::vector<std::string> studios;
  std::vector<std::string> countries;
  std::vector<std::string> directors;
  std::vector<std::string> credits;           ///< writers
  std::vector<std::string> tags;
  std::optional<std::string> set_name;        ///< <set><name> (or legacy <set>text</set>)
  std::vector<NfoActor> actors;
  std::vector<NfoUniqueId> unique_ids;        ///< every <uniqueid>, in order
  std::vector<NfoRating> ratings;
  /// From <uniqueid type="tmdb">, else <tmdbid>; as written ("603").
  std::optional<std::string> tmdb_id;
  /// From <uniqueid type="imdb">, else <imdbid>, else the legacy <id> when it reads "tt...".
  std::optional<std::string> imdb_id;
  std::optional<NfoStreamDetails> stream_details;
};

/// What one .nfo holds: metadata, a scraper URL, both (the combination nfo), or neither (an
/// empty file).
struct NfoDocument {
  std::optional<MovieNfo> movie;
  std::optional<std::string> url;  ///< first http(s) URL outside the XML (before it, else after)
};

/// Why an .nfo could not be read. `offset` is the byte offset in the file where pugixml
/// stopped (pugi::xml_parse_result::offset), or -1 for errors that have none (I/O, size) and
/// for files pugixml converted to UTF-8 first (UTF-16, Latin-1: its offset counts converted
/// bytes, not the file's).
struct NfoError {
  std::string message;  ///< e.g. "Start-end tags mismatch at offset 57", "root element is <tvshow>, not <movie>"
  std::ptrdiff_t offset = -1;
};

/// Parses the text of a Kodi movie .nfo (UTF-8, or any encoding pugixml detects from a BOM or
/// the XML declaration, e.g. UTF-16 or ISO-8859-1). Never throws for content; allocation
/// failure is the only exception. Errors: malformed XML, a root element other than <movie>,
/// text that is neither XML nor a URL.
std::expected<NfoDocument, NfoError> parse_movie_nfo(std::string_view text);

/// Largest .nfo read_movie_nfo accepts; real ones with long cast lists stay under 1 MiB.
inline constexpr std::uintmax_t kMaxNfoBytes = 16u << 20;

/// Reads the file at `path` (at most kMaxNfoBytes) and parses it with parse_movie_nfo. I/O
/// failures and oversized files are NfoError values with offset -1. Thread-safe.
std::expected<NfoDocument, NfoError> read_movie_nfo(const std::filesystem::path& path);

}  // namespace scanhub::media
