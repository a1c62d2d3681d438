#pragma once
// The database: one writer connection on its own thread, fed by a queue whose work is batched
// into few transactions, and a pool of reader connections (WAL: readers never block the writer).
//
// Thread-safety: every member function may be called from any thread. Work passed to write()
// runs on the writer thread; work passed to read() runs on the calling thread.

#include "lib/sqlite/database.hpp"
#include "store/album_store.hpp"
#include "store/asset_store.hpp"
#include "store/database_file.hpp"
#include "store/directory_store.hpp"
#include "store/embedding_store.hpp"
#include "store/job_store.hpp"
#include "store/library_store.hpp"
#include "store/movie_store.hpp"
#include "store/scan_store.hpp"
#include "store/track_store.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace scanhub::store {

/// One connection and the per-aggregate stores on it. Used by one thread at a time.
struct Connection {
  explicit Connection(const std::filesystem::path& path);
  explicit Connection(sqlite::Database database);

  sqlite::Database db;
  LibraryStore libraries{db};
  ScanStore scans{db};
  TrackStore tracks{db};
  SqliteJobStore jobs{db};
  MovieStore movies{db};
  AssetStore assets{db};
  EmbeddingStore embeddings{db};
  AlbumStore albums{db};
  DirectoryStore directories{db};
};

struct StoreOptions {
  /// Run PRAGMA quick_check before migrating, and refuse a damaged file (DamagedDatabase)
  /// instead of serving from it. It reads every page of the file (0.6 s for a database of
  /// 500,000 tracks, 170 MB, with the file in the page cache; see docs/ARCHITECTURE.md, Data).
  bool quick_check = false;
  /// The check stops after this long (a warning names `scanhub db check`), so a very large
  /// database on a slow disk does not hold the start-up for minutes.
  std::chrono::milliseconds quick_check_budget{10000};
};

class Store {
 public:
  /// Work run on the writer connection inside a transaction (each in its own savepoint, so one
  /// failing piece of work rolls back alone). Must not keep references to the connection.
  using WriteFn = std::function<void(Connection&)>;
  /// Called on the writer thread after the transaction holding the work committed (nullptr)
  /// or after the work or the commit failed (the exception).
  using DoneFn = std::function<void(std::exception_ptr)>;

  /// Opens (creating if needed), optionally checks, and migrates the database at `path`; the
  /// parent directory must exist. Throws OpenError (store/database_file.hpp: one line naming
  /// the path and the cause in words, also for a file SQLite could open only for reading),
  /// DamagedDatabase when the quick check fails, std::runtime_error for a file written by a
  /// newer scanhub.
  explicit Store(std::filesystem::path path, StoreOptions options = {});
  /// Drains the write queue, then stops the writer.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }

  /// Queues `work`; blocks while the queue is full (back-pressure on producers).
  void write(WriteFn work, DoneFn done = {});
  /// Runs `work` on the writer and waits for its commit; rethrows its failure.
  void write_sync(WriteFn work);
  /// Waits until everything queued so far has committed.
  void flush();

  /// Runs `fn` on a reader connection from the pool (opened on first need).
  template <typename F>
  auto read(F&& fn) {
    std::unique_ptr<Connection> connection = acquire_reader();
    struct Return {
      Store& store;
      std::unique_ptr<Connection>& connection;
      ~Return() { store.release_reader(std::move(connection)); }
    } give_back{*this, connection};
    return fn(*connection);
  }

 private:
  struct Work {
    WriteFn work;
    DoneFn done;
  };
  static constexpr std::size_t kQueueLimit = 1024;
  static constexpr std::size_t kBatchLimit = 256;

  void run_writer();
  std::unique_ptr<Connection> acquire_reader();
  void release_reader(std::unique_ptr<Connection> connection);

  std::filesystem::path path_;
  std::unique_ptr<Connection> writer_;
  bool fault_logged_ = false;  ///< writer thread: a storage fault of done-less work was logged

  std::mutex mutex_;
  std::condition_variable queue_changed_;
  std::deque<Work> queue_;
  std::size_t in_flight_ = 0;
  bool stopping_ = false;

  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<Connection>> readers_;

  std::thread thread_;
};

}  // namespace scanhub::store
