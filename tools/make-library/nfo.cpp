#include "nfo.hpp"

#include <fmt/format.h>

namespace scanhub::make_library {
namespace {

void element(std::string& out, std::string_view name, std::string_view text) {
  out += fmt::format("    <{}>{}</{}>\n", name, xml_escape(text), name);
}

void unknown_tags(std::string& out, const MoviePlan& movie) {
  // Tags Kodi itself writes on export (ratings, set, actor, fileinfo) and one no player knows.
  // <name> and <title>-like children inside them must not be mistaken for the movie's title.
  out +=
      "    <ratings>\n        <rating name=\"imdb\" max=\"10\" default=\"true\">\n"
      "            <value>7.4</value>\n            <votes>12345</votes>\n"
      "        </rating>\n    </ratings>\n";
  out += fmt::format(
      "    <set>\n        <name>{} Collection</name>\n"
      "        <overview>Every film about the {}.</overview>\n    </set>\n",
      xml_escape(movie.title), xml_escape(movie.title));
  out +=
      "    <actor>\n        <name>Jane Doe</name>\n        <role>The Stranger</role>\n"
      "        <order>0</order>\n    </actor>\n";
  out +=
      "    <fileinfo>\n        <streamdetails>\n            <video>\n"
      "                <codec>hevc</codec>\n                <width>3840</width>\n"
      "                <height>2160</height>\n            </video>\n"
      "        </streamdetails>\n    </fileinfo>\n";
  out += "    <scanhub-unknown flavour=\"extra\">ignored by every scanner</scanhub-unknown>\n";
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string render_nfo(const MoviePlan& movie) {
  std::string out = movie.nfo_bom ? "\xEF\xBB\xBF" : "";
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\" ?>\n<movie>\n";
  if (movie.nfo_style == NfoStyle::kBroken) {
    // Cut off inside <plot>: no closing tags, an unterminated element.
    out += fmt::format("    <title>{}</title>\n    <year>{}</year>\n", xml_escape(movie.title),
                       movie.year);
    out += "    <plot>Cut off in the middle of a <b>sentence";
    return out;
  }
  element(out, "title", movie.title);
  if (movie.original_title) element(out, "originaltitle", *movie.original_title);
  if (movie.plot) {
    if (movie.nfo_cdata_plot) {
      out += fmt::format("    <plot><![CDATA[{}]]></plot>\n", *movie.plot);
    } else {
      element(out, "plot", *movie.plot);
    }
  }
  if (movie.runtime_minutes) element(out, "runtime", std::to_string(*movie.runtime_minutes));
  const auto uniqueid = [&](std::string_view type, std::string_view value) {
    const bool is_default = movie.default_uniqueid == type;
    out += fmt::format("    <uniqueid type=\"{}\"{}>{}</uniqueid>\n", type,
                       is_default ? " default=\"true\"" : "", xml_escape(value));
  };
  if (movie.tmdb) uniqueid("tmdb", std::to_string(*movie.tmdb));
  if (movie.imdb) uniqueid("imdb", *movie.imdb);
  for (const std::string& genre : movie.genres) element(out, "genre", genre);
  // Kodi v20+ writes <premiered> and no <year>; older exports write <year>.
  if (movie.premiered) {
    element(out, "premiered", *movie.premiered);
  } else {
    element(out, "year", std::to_string(movie.year));
  }
  if (movie.nfo_style == NfoStyle::kUnknownTags) unknown_tags(out, movie);
  out += "</movie>\n";
  return out;
}

}  // namespace scanhub::make_library
