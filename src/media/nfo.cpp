#include "media/nfo.hpp"

#include "core/text.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <system_error>

namespace scanhub::media {

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  return std::ranges::equal(a, b, [](unsigned char x, unsigned char y) {
    return std::tolower(x) == std::tolower(y);
  });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Trimmed, valid UTF-8 text, or nullopt when nothing is left.
std::optional<std::string> clean(std::string_view raw) {
  auto trimmed = core::trimmed_or_null(raw);
  if (!trimmed) return std::nullopt;
  if (!core::is_valid_utf8(*trimmed)) return core::to_valid_utf8(*trimmed);
  return trimmed;
}

std::optional<std::string> text_of(const pugi::xml_node& node) { return clean(node.text().get()); }

std::optional<std::string> child_text(const pugi::xml_node& parent, const char* name) {
  return text_of(parent.child(name));
}

std::optional<int> to_int(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  const auto number = core::leading_number(*text);
  if (!number || *number < 0 || *number > 1'000'000'000) return std::nullopt;
  return static_cast<int>(*number);
}

// "8.700000", "7,9" (comma-decimal writers), "2.35". Hand-rolled: libc++ 16 (the fuzz build)
// has no floating-point from_chars, and strtod follows the process locale. Digits past the
// 18th are dropped; up to 15 digits, one division of an exact mantissa by an exact power of
// ten is correctly rounded.
std::optional<double> to_double(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::uint64_t mantissa = 0;
  int digits = 0;
  int fraction_digits = 0;
  bool in_fraction = false;
  for (const char c : *text) {
    if (c >= '0' && c <= '9') {
      if (digits == 18) {
        if (!in_fraction) return std::nullopt;  // too large to be a rating
        continue;
      }
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
      ++digits;
      if (in_fraction) ++fraction_digits;
    } else if ((c == '.' || c == ',') && !in_fraction) {
      in_fraction = true;
    } else {
      break;
    }
  }
  if (digits == 0) return std::nullopt;
  double scale = 1;
  for (int i = 0; i < fraction_digits; ++i) scale *= 10;
  return static_cast<double>(mantissa) / scale;
}

// "1,976,532" and "1.976.532" as older scrapers wrote vote counts.
std::optional<std::int64_t> count_of(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::string digits;
  for (const char c : *text) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != ',' && c != '.' && c != ' ') {
      break;
    }
  }
  if (digits.empty() || digits.size() > 15) return std::nullopt;
  return std::stoll(digits);
}

std::optional<int> year_of(const std::optional<std::string>& text) {
  const auto year = to_int(text);
  if (!year || *year < 1000 || *year > 9999) return std::nullopt;
  return year;
}

bool is_true(const pugi::xml_attribute& attribute) {
  const std::string_view value = attribute.value();
  return iequals(value, "true") || value == "1";
}

// Kodi splits list fields written into one element by " / " (advancedsettings
// videoitemseparator), e.g. <genre>Action / Science Fiction</genre>.
void append_list(const pugi::xml_node& parent, const char* name, std::vector<std::string>& out) {
  for (const pugi::xml_node node : parent.children(name)) {
    const auto text = text_of(node);
    if (!text) continue;
    std::string_view rest = *text;
    while (!rest.empty()) {
      const auto separator = rest.find(" / ");
      const std::string_view item = trim(rest.substr(0, separator));
      if (!item.empty()) out.emplace_back(item);
      if (separator == std::string_view::npos) break;
      rest.remove_prefix(separator + 3);
    }
  }
}

std::vector<NfoActor> actors_of(const pugi::xml_node& movie) {
  std::vector<NfoActor> actors;
  for (const pugi::xml_node node : movie.children("actor")) {
    auto name = child_text(node, "name");
    if (!name) continue;
    NfoActor actor;
    actor.name = std::move(*name);
    actor.role = child_text(node, "role");
    actor.order = to_int(child_text(node, "order"));
    actor.thumb = child_text(node, "thumb");
    actors.push_back(std::move(actor));
  }
  return actors;
}

std::vector<NfoRating> ratings_of(const pugi::xml_node& movie) {
  std::vector<NfoRating> ratings;
  for (const pugi::xml_node node : movie.child("ratings").children("rating")) {
    const auto value = to_double(child_text(node, "value"));
    if (!value) continue;
    NfoRating rating;
    rating.name = core::to_valid_utf8(lower(node.attribute("name").value()));
    rating.value = *value;
    rating.max = to_double(clean(node.attribute("max").value()));
    rating.votes = count_of(child_text(node, "votes"));
    rating.is_default = is_true(node.attribute("default"));
    ratings.push_back(std::move(rating));
  }
  if (ratings.empty()) {
    // Before Kodi 17: <rating>7.9</rating><votes>1234</votes> directly under <movie>.
    if (const auto value = to_double(child_text(movie, "rating"))) {
      NfoRating rating;
      rating.value = *value;
      rating.votes = count_of(child_text(movie, "votes"));
      rating.is_default = true;
      ratings.push_back(std::move(rating));
    }
  }
  return ratings;
}

std::optional<NfoStreamDetails> stream_details_of(const pugi::xml_node& movie) {
  const pugi::xml_node node = movie.child("fileinfo").child("streamdetails");
  if (!node) return std::nullopt;
  NfoStreamDetails details;
  for (const pugi::xml_node video : node.children("video")) {
    NfoStreamDetails::Video v;
    v.codec = child_text(video, "codec");
    v.aspect = to_double(child_text(video, "aspect"));
    v.width = to_int(child_text(video, "width"));
    v.height = to_int(child_text(video, "height"));
    if (const auto seconds = to_int(child_text(video, "durationinseconds"))) {
      v.duration_seconds = *seconds;
    }
    v.hdr_type = child_text(video, "hdrtype");
    details.video.push_back(std::move(v));
  }
  for (const pugi::xml_node audio : node.children("audio")) {
    NfoStreamDetails::Audio a;
    a.codec = child_text(audio, "codec");
    a.language = child_text(audio, "language");
    a.channels = to_int(child_text(audio, "channels"));
    details.audio.push_back(std::move(a));
  }
  for (const pugi::xml_node subtitle : node.children("subtitle")) {
    if (auto language = child_text(subtitle, "language")) {
      details.subtitle_languages.push_back(std::move(*language));
    }
  }
  return details;
}

MovieNfo movie_of(const pugi::xml_node& movie) {
  MovieNfo nfo;
  nfo.title = child_text(movie, "title");
  nfo.original_title = child_text(movie, "originaltitle");
  nfo.sort_title = child_text(movie, "sorttitle");
  nfo.premiered = child_text(movie, "premiered");
  nfo.year = year_of(child_text(movie, "year"));
  if (!nfo.year) nfo.year = year_of(nfo.premiered);
  nfo.plot = child_text(movie, "plot");
  nfo.outline = child_text(movie, "outline");
  nfo.tagline = child_text(movie, "tagline");
  nfo.runtime_minutes = to_int(child_text(movie, "runtime"));
  nfo.mpaa = child_text(movie, "mpaa");
  append_list(movie, "genre", nfo.genres);
  append_list(movie, "studio", nfo.studios);
  append_list(movie, "country", nfo.countries);
  append_list(movie, "director", nfo.directors);
  append_list(movie, "credits", nfo.credits);
  append_list(movie, "tag", nfo.tags);
  if (const pugi::xml_node set = movie.child("set")) {
    nfo.set_name = set.child("name") ? child_text(set, "name") : text_of(set);
  }
  nfo.actors = actors_of(movie);
  nfo.ratings = ratings_of(movie);

  for (const pugi::xml_node node : movie.children("uniqueid")) {
    auto value = text_of(node);
    if (!value) continue;
    NfoUniqueId id;
    id.type = core::to_valid_utf8(lower(node.attribute("type").value()));
    if (id.type.empty()) id.type = "unknown";  // Kodi's name for an untyped uniqueid
    id.value = std::move(*value);
    id.is_default = is_true(node.attribute("default"));
    if (id.type == "tmdb" && !nfo.tmdb_id) nfo.tmdb_id = id.value;
    if (id.type == "imdb" && !nfo.imdb_id) nfo.imdb_id = id.value;
    nfo.unique_ids.push_back(std::move(id));
  }
  if (!nfo.tmdb_id) nfo.tmdb_id = child_text(movie, "tmdbid");
  if (!nfo.imdb_id) nfo.imdb_id = child_text(movie, "imdbid");
  if (!nfo.imdb_id) {
    // The legacy <id> held whatever the scraper used; "tt" + digits is IMDb's form.
    if (auto id = child_text(movie, "id"); id && id->starts_with("tt")) nfo.imdb_id = std::move(id);
  }
  nfo.stream_details = stream_details_of(movie);
  return nfo;
}

std::optional<std::string> first_url(std::string_view text) {
  std::size_t start = std::string_view::npos;
  for (const std::string_view scheme : {"https://", "http://"}) {
    start = std::min(start, text.find(scheme));
  }
  if (start == std::string_view::npos) return std::nullopt;
  std::size_t end = start;
  while (end < text.size() && !is_space(text[end]) && text[end] != '<') ++end;
  return clean(text.substr(start, end - start));
}

bool has_utf16_or_utf32_bom(std::string_view text) noexcept {
  return text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF") ||
         text.starts_with(std::string_view("\x00\x00\xFE\xFF", 4));
}

}  // namespace

std::expected<NfoDocument, NfoError> parse_movie_nfo(std::string_view text) {
  std::string_view body = text;
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);  // UTF-8 BOM
  const std::string_view trimmed = trim(body);
  NfoDocument document;
  if (trimmed.empty()) return document;

  std::string_view xml = text;
  std::ptrdiff_t xml_offset = 0;  // where `xml` starts in `text`, for pugixml's offsets
  if (!has_utf16_or_utf32_bom(text)) {
    // Kodi looks for the root element anywhere in the file (CNfoFile finds "<movie"), so a
    // URL may stand before the XML as well as after it; what is outside the XML is scanned
    // for the scraper URL.
    std::size_t begin = 0;
    if (trimmed.front() != '<') {
      begin = text.find("<movie");
      if (begin == std::string_view::npos) {
        // A parsing nfo: nothing but the URL the scraper should use.
        document.url = first_url(trimmed);
        if (!document.url) {
          return std::unexpected(NfoError{"neither XML nor a URL", trimmed.data() - text.data()});
        }
        return document;
      }
      // Keep an XML declaration in front of the root: it may name the encoding.
      if (const auto declaration = text.find("<?xml"); declaration < begin) begin = declaration;
      document.url = first_url(text.substr(0, begin));
    }
    // pugixml rejects text after the root element, so the XML ends at the last </movie>.
    constexpr std::string_view kEnd = "</movie>";
    std::size_t end = text.rfind(kEnd);
    end = (end == std::string_view::npos || end < begin) ? text.size() : end + kEnd.size();
    xml = text.substr(begin, end - begin);
    xml_offset = static_cast<std::ptrdiff_t>(begin);
    if (!document.url) document.url = first_url(text.substr(end));
  }

  pugi::xml_document parsed;
  const pugi::xml_parse_result result =
      parsed.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_auto);
  if (!result) {
    // pugixml counts its offset in the buffer it parsed: the file's own bytes only when no
    // conversion to UTF-8 took place (a UTF-16 or Latin-1 file is converted first).
    if (result.encoding != pugi::encoding_utf8) {
      return std::unexpected(NfoError{std::string(result.description()) + " (in a file converted to UTF-8)", -1});
    }
    // At the end of the buffer pugixml may count past its last byte (its terminating NUL and
    // beyond): such an error is at the end of the file.
    const std::ptrdiff_t offset =
        std::min(xml_offset + result.offset, static_cast<std::ptrdiff_t>(text.size()));
    return std::unexpected(NfoError{
        std::string(result.description()) + " at offset " + std::to_string(offset), offset});
  }
  const pugi::xml_node root = parsed.document_element();
  if (std::string_view(root.name()) != "movie") {
    return std::unexpected(NfoError{
        "root element is <" + core::to_valid_utf8(root.name()) + ">, not <movie>", -1});
  }
  document.movie = movie_of(root);
  return document;
}

std::expected<NfoDocument, NfoError> read_movie_nfo(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return std::unexpected(NfoError{"cannot read " + path.string() + ": " + ec.message()});
  if (size > kMaxNfoBytes) {
    return std::unexpected(NfoError{path.string() + " is " + std::to_string(size) +
                                    " bytes, more than an .nfo may hold (" +
                                    std::to_string(kMaxNfoBytes) + ")"});
  }
  std::ifstream in(path, std::ios::binary);
  std::string text(static_cast<std::size_t>(size), '\0');
  if (!in || !in.read(text.data(), static_cast<std::streamsize>(text.size()))) {
    return std::unexpected(NfoError{"cannot read " + path.string()});
  }
  return parse_movie_nfo(text);
}

}  // namespace scanhub::media
