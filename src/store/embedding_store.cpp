#include "store/embedding_store.hpp"

#include <sqlite3.h>

#include <bit>
#include <cstring>
#include <stdexcept>

namespace scanhub::store {

namespace {

static_assert(std::endian::native == std::endian::little,
              "track_embeddings stores float32 little-endian as the host's bytes");

// The statement wrapper has no blob binding; the raw handle does it (SQLITE_TRANSIENT copies).
void bind_vector(sqlite::Statement& s, int index, std::span<const float> vector) {
  const int rc = sqlite3_bind_blob(s.get(), index, vector.data(),
                                   static_cast<int>(vector.size_bytes()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) sqlite::throw_error(sqlite3_db_handle(s.get()), rc, "bind embedding vector");
}

std::span<const std::byte> column_blob(const sqlite::Statement& s, int column) {
  const void* data = sqlite3_column_blob(s.get(), column);
  const int size = sqlite3_column_bytes(s.get(), column);
  if (!data || size <= 0) return {};
  return {static_cast<const std::byte*>(data), static_cast<std::size_t>(size)};
}

}  // namespace

bool EmbeddingStore::put(core::TrackId track, std::string_view model, int version,
                         std::span<const float> vector, core::TimePoint now) {
  if (vector.empty()) throw std::invalid_argument("an embedding vector needs at least one value");
  if (!put_) {
    put_.emplace(db_,
                 "INSERT OR REPLACE INTO track_embeddings "
                 "(track_id, model, version, dimension, vector, created_at) "
                 "SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM tracks WHERE id = ?1)");
  }
  sqlite::Statement::Scope scope(*put_);
  put_->bind(1, track).bind(2, model).bind(3, version);
  put_->bind(4, static_cast<std::int64_t>(vector.size()));
  bind_vector(*put_, 5, vector);
  put_->bind(6, core::format_iso8601(now));
  while (put_->step()) {
  }
  return db_.changes() > 0;
}

bool EmbeddingStore::has(core::TrackId track, std::string_view model, int version) {
  sqlite::Statement s(
      db_, "SELECT 1 FROM track_embeddings WHERE track_id = ? AND model = ? AND version = ?");
  s.bind(1, track).bind(2, model).bind(3, version);
  return s.step();
}

std::optional<std::vector<float>> EmbeddingStore::get(core::TrackId track, std::string_view model) {
  sqlite::Statement s(db_, "SELECT vector FROM track_embeddings WHERE track_id = ? AND model = ?");
  s.bind(1, track).bind(2, model);
  if (!s.step()) return std::nullopt;
  const auto bytes = column_blob(s, 0);
  std::vector<float> vector(bytes.size() / sizeof(float));
  std::memcpy(vector.data(), bytes.data(), vector.size() * sizeof(float));
  return vector;
}

namespace {

// Reads (track_id, dimension, vector) rows into a matrix.
EmbeddingMatrix read_matrix(sqlite::Statement& s) {
  EmbeddingMatrix matrix;
  while (s.step()) {
    const auto dimension = static_cast<std::size_t>(s.column_int64(1));
    const auto bytes = column_blob(s, 2);
    if (matrix.dimension == 0 && dimension > 0) matrix.dimension = dimension;
    if (dimension != matrix.dimension || bytes.size() != dimension * sizeof(float)) {
      ++matrix.skipped_rows;
      continue;
    }
    matrix.track_ids.push_back(s.column_int64(0));
    const std::size_t at = matrix.values.size();
    matrix.values.resize(at + dimension);
    std::memcpy(matrix.values.data() + at, bytes.data(), bytes.size());
  }
  return matrix;
}

}  // namespace

EmbeddingMatrix EmbeddingStore::load_all(std::string_view model, int version) {
  sqlite::Statement s(db_,
                      "SELECT track_id, dimension, vector FROM track_embeddings "
                      "WHERE model = ? AND version = ? ORDER BY track_id");
  s.bind(1, model).bind(2, version);
  return read_matrix(s);
}

EmbeddingMatrix EmbeddingStore::load_since(std::string_view model, int version,
                                           std::int64_t after) {
  sqlite::Statement s(db_,
                      "SELECT track_id, dimension, vector FROM track_embeddings "
                      "WHERE rowid > ? AND model = ? AND version = ? ORDER BY rowid");
  s.bind(1, after).bind(2, model).bind(3, version);
  return read_matrix(s);
}

EmbeddingsVersion EmbeddingStore::version_of(std::string_view model, int version) {
  sqlite::Statement s(db_,
                      "SELECT count(*), coalesce(max(rowid), 0) FROM track_embeddings "
                      "WHERE model = ? AND version = ?");
  s.bind(1, model).bind(2, version);
  s.step();
  return {s.column_int64(0), s.column_int64(1)};
}

std::vector<TrackToEmbed> EmbeddingStore::tracks_needing(core::LibraryId library,
                                                         std::string_view model, int version) {
  // ISO 8601 UTC text of one format compares as time does.
  sqlite::Statement s(db_,
                      "SELECT t.id, l.path || '/' || t.path, t.duration_ms "
                      "FROM tracks t JOIN libraries l ON l.id = t.library_id "
                      "LEFT JOIN track_embeddings e ON e.track_id = t.id AND e.model = ? "
                      "WHERE t.library_id = ? AND (e.track_id IS NULL OR e.version <> ? "
                      "OR e.created_at < t.updated_at) ORDER BY t.id");
  s.bind(1, model).bind(2, library).bind(3, version);
  std::vector<TrackToEmbed> tracks;
  while (s.step()) tracks.push_back({s.column_int64(0), s.column_string(1), s.column_int64(2)});
  return tracks;
}

std::vector<TrackSummary> EmbeddingStore::summaries(std::span<const core::TrackId> tracks) {
  sqlite::Statement s(db_,
                      "SELECT l.path || '/' || t.path, t.title, t.artist "
                      "FROM tracks t JOIN libraries l ON l.id = t.library_id WHERE t.id = ?");
  std::vector<TrackSummary> out;
  out.reserve(tracks.size());
  for (const core::TrackId id : tracks) {
    sqlite::Statement::Scope scope(s);
    s.bind(1, id);
    if (!s.step()) continue;
    out.push_back(
        {id, s.column_string(0), s.column_optional_string(1), s.column_optional_string(2)});
  }
  return out;
}

std::optional<core::TrackId> EmbeddingStore::find_track(std::string_view absolute_path) {
  // The library whose path prefixes the file, then the rest as the track's relative path.
  sqlite::Statement s(db_,
                      "SELECT t.id FROM libraries l JOIN tracks t ON t.library_id = l.id "
                      "WHERE substr(?1, 1, length(l.path) + 1) = l.path || '/' "
                      "AND t.path = substr(?1, length(l.path) + 2)");
  s.bind(1, absolute_path);
  if (!s.step()) return std::nullopt;
  return s.column_int64(0);
}

}  // namespace scanhub::store
