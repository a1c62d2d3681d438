// libFuzzer target: the bytes of a movie .nfo, read by src/media/nfo (pugixml underneath, linked
// as Debian builds it: only our handling of its results is instrumented).
//
// Besides "no crash, no leak, no undefined behaviour, bounded memory" it checks the contract of
// nfo.hpp:
// - nothing is thrown for content (an exception other than bad_alloc is a failure);
// - an error has a message and an offset that is -1 or inside the text;
// - every text field of a parsed <movie> is non-empty, trimmed and valid UTF-8 (the file may
//   be in any encoding, or none), so it can go into JSON and the database as it is;
// - a URL found outside the XML begins with http:// or https://.

#include "fuzz_checks.hpp"

#include "media/nfo.hpp"
#include "text/utf8.hpp"

#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {
using namespace scanhub::media;
using scanhub::fuzz::check;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0'; }

void check_text(const std::string& value, const char* what) {
  check(!value.empty(), what);
  check(!is_space(value.front()) && !is_space(value.back()), what);
  check(scanhub::text::is_valid_utf8(value), what);
}

void check_text(const std::optional<std::string>& value, const char* what) {
  if (value) check_text(*value, what);
}

void check_texts(const std::vector<std::string>& values, const char* what) {
  for (const auto& value : values) check_text(value, what);
}

void check_movie(const MovieNfo& m) {
  check_text(m.title, "title is trimmed UTF-8");
  check_text(m.original_title, "originaltitle is trimmed UTF-8");
  check_text(m.sort_title, "sorttitle is trimmed UTF-8");
  check_text(m.premiered, "premiered is trimmed UTF-8");
  check_text(m.plot, "plot is trimmed UTF-8");
  check_text(m.outline, "outline is trimmed UTF-8");
  check_text(m.tagline, "tagline is trimmed UTF-8");
  check_text(m.mpaa, "mpaa is trimmed UTF-8");
  check_text(m.set_name, "set name is trimmed UTF-8");
  check_text(m.tmdb_id, "tmdb id is trimmed UTF-8");
  check_text(m.imdb_id, "imdb id is trimmed UTF-8");
  check_texts(m.genres, "genres are trimmed UTF-8");
  check_texts(m.studios, "studios are trimmed UTF-8");
  check_texts(m.countries, "countries are trimmed UTF-8");
  check_texts(m.directors, "directors are trimmed UTF-8");
  check_texts(m.credits, "credits are trimmed UTF-8");
  check_texts(m.tags, "tags are trimmed UTF-8");
  for (const auto& actor : m.actors) {
    check_text(actor.name, "actor name is trimmed UTF-8");
    check_text(actor.role, "actor role is trimmed UTF-8");
    check_text(actor.thumb, "actor thumb is trimmed UTF-8");
  }
  for (const auto& id : m.unique_ids) {
    check(scanhub::text::is_valid_utf8(id.type) && scanhub::text::is_valid_utf8(id.value),
          "uniqueid is UTF-8");
  }
  for (const auto& rating : m.ratings) {
    check(scanhub::text::is_valid_utf8(rating.name), "rating name is UTF-8");
  }
  if (m.stream_details) {
    for (const auto& video : m.stream_details->video) {
      check_text(video.codec, "video codec is trimmed UTF-8");
      check_text(video.hdr_type, "hdr type is trimmed UTF-8");
    }
    for (const auto& audio : m.stream_details->audio) {
      check_text(audio.codec, "audio codec is trimmed UTF-8");
      check_text(audio.language, "audio language is trimmed UTF-8");
    }
    check_texts(m.stream_details->subtitle_languages, "subtitle languages are trimmed UTF-8");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto parsed = parse_movie_nfo(text);
    if (!parsed) {
      check(!parsed.error().message.empty(), "an error has a message");
      check(parsed.error().offset >= -1 &&
                parsed.error().offset <= static_cast<std::ptrdiff_t>(size),
            "an error's offset is -1 or inside the text");
      return 0;
    }
    if (parsed->url) {
      const std::string_view url = *parsed->url;
      check(url.starts_with("http://") || url.starts_with("https://"), "a URL is http(s)");
      check(scanhub::text::is_valid_utf8(url), "a URL is UTF-8");
    }
    if (parsed->movie) check_movie(*parsed->movie);
  } catch (const std::bad_alloc&) {
    // Out of memory under libFuzzer's -rss_limit_mb is its own finding; nothing to check here.
  } catch (...) {
    check(false, "parse_movie_nfo threw for content");
  }
  return 0;
}
