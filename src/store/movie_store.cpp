#include "store/movie_store.hpp"

#include "text/json_text.hpp"

#include <boost/json.hpp>

namespace scanhub::store {

namespace {

namespace json = boost::json;

constexpr const char* kSelect =
    "SELECT id, library_id, directory, video_path, size, mtime_ns, title, original_title, "
    "sort_title, year, premiered, plot, runtime_minutes, genres, tmdb_id, imdb_id, nfo_path, "
    "nfo_mtime_ns, nfo_error, container, duration_ms, bitrate, video_codec, video_width, "
    "video_height, video_fps, video_hdr, audio_streams, subtitle_streams FROM movies ";

// Column list shared by INSERT and UPDATE, bound by bind_fields in this order.
constexpr const char* kFieldColumns[] = {
    "directory",    "video_path",     "size",        "mtime_ns",       "title",
    "original_title", "sort_title",   "year",        "premiered",      "plot",
    "runtime_minutes", "genres",      "tmdb_id",     "imdb_id",        "nfo_path",
    "nfo_mtime_ns", "nfo_error",      "container",   "duration_ms",    "bitrate",
    "video_codec",  "video_width",    "video_height", "video_fps",     "video_hdr",
    "audio_streams", "subtitle_streams"};
constexpr int kFieldCount = static_cast<int>(std::size(kFieldColumns));

void put_optional(json::object& o, std::string_view key, const std::optional<std::string>& value) {
  if (value) {
    o[key] = *value;
  } else {
    o[key] = nullptr;
  }
}

std::optional<std::string> get_optional(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::int64_t get_int(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_number()) return 0;
  return v->to_number<std::int64_t>();
}

bool get_bool(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_bool() && v->get_bool();
}

std::string genres_json(const std::vector<std::string>& genres) {
  json::array a;
  for (const auto& genre : genres) a.emplace_back(genre);
  return json::serialize(a);
}

std::string audio_json(const std::vector<core::MovieAudioStream>& streams) {
  json::array a;
  for (const auto& s : streams) {
    json::object o;
    o["codec"] = s.codec;
    o["channels"] = s.channels;
    put_optional(o, "channelLayout", s.channel_layout);
    o["sampleRate"] = s.sample_rate;
    put_optional(o, "language", s.language);
    put_optional(o, "title", s.title);
    o["default"] = s.is_default;
    o["forced"] = s.is_forced;
    a.emplace_back(std::move(o));
  }
  return json::serialize(a);
}

std::string subtitle_json(const std::vector<core::MovieSubtitleStream>& streams) {
  json::array a;
  for (const auto& s : streams) {
    json::object o;
    o["codec"] = s.codec;
    put_optional(o, "language", s.language);
    put_optional(o, "title", s.title);
    o["default"] = s.is_default;
    o["forced"] = s.is_forced;
    o["hearingImpaired"] = s.is_hearing_impaired;
    a.emplace_back(std::move(o));
  }
  return json::serialize(a);
}

// The stored JSON is ours; a row edited by hand into something else reads as empty lists.
json::array parse_array(std::string_view text) {
  boost::system::error_code ec;
  json::value value = text::parse_stored_json(text, ec);  // stream titles are bytes from the file
  if (ec || !value.is_array()) return {};
  return std::move(value.get_array());
}

void bind_fields(sqlite::Statement& s, const core::Movie& movie) {
  const auto& m = movie.metadata;
  s.bind(1, movie.directory).bind(2, movie.video_path);
  s.bind(3, movie.stamp.size).bind(4, movie.stamp.mtime_ns);
  s.bind(5, m.title).bind(6, m.original_title).bind(7, m.sort_title).bind(8, m.year);
  s.bind(9, m.premiered).bind(10, m.plot).bind(11, m.runtime_minutes);
  s.bind(12, genres_json(m.genres)).bind(13, m.tmdb_id).bind(14, m.imdb_id);
  s.bind(15, movie.nfo_path).bind(16, movie.nfo_mtime_ns).bind(17, movie.nfo_error);
  if (movie.streams) {
    const auto& st = *movie.streams;
    s.bind(18, st.container).bind(19, st.duration_ms).bind(20, st.bit_rate);
    s.bind(21, st.video_codec).bind(22, st.video_width).bind(23, st.video_height);
    s.bind(24, st.video_frame_rate).bind(25, st.video_hdr);
    s.bind(26, audio_json(st.audio)).bind(27, subtitle_json(st.subtitles));
  } else {
    for (int i = 18; i <= 25; ++i) s.bind_null(i);
    s.bind(26, "[]").bind(27, "[]");
  }
  static_assert(kFieldCount == 27);
}

core::Movie read_movie(const sqlite::Statement& s) {
  core::Movie movie;
  movie.id = s.column_int64(0);
  movie.library_id = s.column_int64(1);
  movie.directory = s.column_string(2);
  movie.video_path = s.column_string(3);
  movie.stamp = {s.column_int64(4), s.column_int64(5)};
  auto& m = movie.metadata;
  m.title = s.column_string(6);
  m.original_title = s.column_optional_string(7);
  m.sort_title = s.column_optional_string(8);
  m.year = s.column_optional_int64(9);
  m.premiered = s.column_optional_string(10);
  m.plot = s.column_optional_string(11);
  m.runtime_minutes = s.column_optional_int64(12);
  for (const auto& genre : parse_array(s.column_text(13))) {
    if (genre.is_string()) m.genres.emplace_back(genre.get_string());
  }
  m.tmdb_id = s.column_optional_string(14);
  m.imdb_id = s.column_optional_string(15);
  movie.nfo_path = s.column_optional_string(16);
  movie.nfo_mtime_ns = s.column_optional_int64(17);
  movie.nfo_error = s.column_optional_string(18);
  if (!s.is_null(19)) {
    core::MovieStreams st;
    st.container = s.column_string(19);
    st.duration_ms = s.column_optional_int64(20);
    st.bit_rate = s.column_optional_int64(21);
    st.video_codec = s.column_optional_string(22);
    st.video_width = s.column_optional_int64(23);
    st.video_height = s.column_optional_int64(24);
    if (!s.is_null(25)) st.video_frame_rate = s.column_double(25);
    st.video_hdr = s.column_optional_string(26);
    for (const auto& value : parse_array(s.column_text(27))) {
      if (!value.is_object()) continue;
      const auto& o = value.get_object();
      st.audio.push_back({get_optional(o, "codec").value_or(""), get_int(o, "channels"),
                          get_optional(o, "channelLayout"), get_int(o, "sampleRate"),
                          get_optional(o, "language"), get_optional(o, "title"),
                          get_bool(o, "default"), get_bool(o, "forced")});
    }
    for (const auto& value : parse_array(s.column_text(28))) {
      if (!value.is_object()) continue;
      const auto& o = value.get_object();
      st.subtitles.push_back({get_optional(o, "codec").value_or(""), get_optional(o, "language"),
                              get_optional(o, "title"), get_bool(o, "default"),
                              get_bool(o, "forced"), get_bool(o, "hearingImpaired")});
    }
    movie.streams = std::move(st);
  }
  return movie;
}

IndexedMovie read_indexed(const sqlite::Statement& s) {
  // Columns: id, video_path, size, mtime_ns, nfo_path, nfo_mtime_ns, nfo_error, directory,
  // has_streams.
  return IndexedMovie{s.column_int64(0),
                      s.column_string(1),
                      {s.column_int64(2), s.column_int64(3)},
                      s.column_optional_string(4),
                      s.column_optional_int64(5),
                      s.column_optional_string(6),
                      s.column_int64(8) != 0,
                      {}};
}

constexpr const char* kSelectIndexed =
    "SELECT id, video_path, size, mtime_ns, nfo_path, nfo_mtime_ns, nfo_error, directory, "
    "container IS NOT NULL FROM movies WHERE library_id = ?";

}  // namespace

MovieIndex MovieStore::load_index(core::LibraryId library) {
  sqlite::Statement s(db_, kSelectIndexed);
  s.bind(1, library);
  MovieIndex index;
  std::unordered_map<core::MovieId, IndexedMovie*> by_id;
  while (s.step()) {
    auto [it, inserted] = index.emplace(s.column_string(7), read_indexed(s));
    by_id.emplace(it->second.id, &it->second);
  }
  sqlite::Statement assets(db_,
                           "SELECT i.owner_id, i.source_path, i.size, i.mtime_ns FROM item_assets i "
                           "JOIN movies m ON m.id = i.owner_id AND i.owner_kind = 'movie' "
                           "WHERE m.library_id = ? ORDER BY i.owner_id, i.source_path");
  assets.bind(1, library);
  while (assets.step()) {
    const auto found = by_id.find(assets.column_int64(0));
    if (found == by_id.end()) continue;
    found->second->assets.emplace_back(assets.column_string(1),
                                       core::FileStamp{assets.column_int64(2), assets.column_int64(3)});
  }
  return index;
}

std::optional<IndexedMovie> MovieStore::find_indexed(core::LibraryId library,
                                                     const std::string& directory) {
  sqlite::Statement s(db_, std::string(kSelectIndexed) + " AND directory = ?");
  s.bind(1, library).bind(2, directory);
  if (!s.step()) return std::nullopt;
  IndexedMovie movie = read_indexed(s);
  sqlite::Statement assets(db_,
                           "SELECT source_path, size, mtime_ns FROM item_assets "
                           "WHERE owner_kind = 'movie' AND owner_id = ? ORDER BY source_path");
  assets.bind(1, movie.id);
  while (assets.step()) {
    movie.assets.emplace_back(assets.column_string(0),
                              core::FileStamp{assets.column_int64(1), assets.column_int64(2)});
  }
  return movie;
}

core::MovieId MovieStore::insert(const core::Movie& movie, core::TimePoint now) {
  if (!insert_) {
    std::string sql = "INSERT INTO movies (";
    for (const char* column : kFieldColumns) sql += std::string(column) + ", ";
    sql += "library_id, created_at, updated_at) VALUES (";
    for (int i = 0; i < kFieldCount + 3; ++i) sql += i == 0 ? "?" : ", ?";
    sql += ")";
    insert_.emplace(db_, sql);
  }
  sqlite::Statement::Scope scope(*insert_);
  bind_fields(*insert_, movie);
  const std::string time = core::format_iso8601(now);
  insert_->bind(kFieldCount + 1, movie.library_id);
  insert_->bind(kFieldCount + 2, time).bind(kFieldCount + 3, time);
  while (insert_->step()) {
  }
  return db_.last_insert_rowid();
}

bool MovieStore::update(const core::Movie& movie, core::TimePoint now, bool keep_streams) {
  if (!update_) {
    // Parameters are numbered: 1..kFieldCount the fields, then updated_at, id, keep_streams.
    constexpr int kFirstStreamColumn = 18;  // container
    const std::string keep = "?" + std::to_string(kFieldCount + 3);
    std::string sql = "UPDATE movies SET ";
    for (int i = 1; i <= kFieldCount; ++i) {
      const std::string column = kFieldColumns[i - 1];
      const std::string value = "?" + std::to_string(i);
      sql += column + " = " +
             (i >= kFirstStreamColumn ? "CASE WHEN " + keep + " THEN " + column + " ELSE " + value + " END"
                                      : value) +
             ", ";
    }
    sql += "updated_at = ?" + std::to_string(kFieldCount + 1) + " WHERE id = ?" +
           std::to_string(kFieldCount + 2);
    update_.emplace(db_, sql);
  }
  sqlite::Statement::Scope scope(*update_);
  bind_fields(*update_, movie);
  update_->bind(kFieldCount + 1, core::format_iso8601(now)).bind(kFieldCount + 2, movie.id);
  update_->bind(kFieldCount + 3, keep_streams ? 1 : 0);
  while (update_->step()) {
  }
  return db_.changes() > 0;
}

bool MovieStore::remove(core::MovieId id) {
  sqlite::Statement s(db_, "DELETE FROM movies WHERE id = ?");
  s.bind(1, id);
  while (s.step()) {
  }
  return db_.changes() > 0;
}

std::optional<core::Movie> MovieStore::get(core::MovieId id) {
  sqlite::Statement s(db_, std::string(kSelect) + "WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_movie(s);
}

std::vector<core::Movie> MovieStore::list(core::LibraryId library) {
  sqlite::Statement s(db_, std::string(kSelect) + "WHERE library_id = ? ORDER BY directory");
  s.bind(1, library);
  std::vector<core::Movie> movies;
  while (s.step()) movies.push_back(read_movie(s));
  return movies;
}

std::int64_t MovieStore::count(core::LibraryId library) {
  sqlite::Statement s(db_, "SELECT COUNT(*) FROM movies WHERE library_id = ?");
  s.bind(1, library);
  s.step();
  return s.column_int64(0);
}

}  // namespace scanhub::store
