#include "store/store.hpp"

#include "lib/sqlite/transaction.hpp"
#include "store/schema.hpp"

#include <future>
#include <spdlog/spdlog.h>

namespace scanhub::store {

Connection::Connection(const std::filesystem::path& path) : db(path) {}

Connection::Connection(sqlite::Database database) : db(std::move(database)) {}

Store::Store(std::filesystem::path path, StoreOptions options) : path_(std::move(path)) {
  writer_ = std::make_unique<Connection>(open_read_write(path_));
  try {
    if (options.quick_check) {
      auto report = check_integrity(writer_->db, IntegrityCheck::quick, 10, options.quick_check_budget);
      if (!report.problems.empty()) throw DamagedDatabase(path_, std::move(report.problems));
      if (!report.complete) {
        spdlog::warn("storage: the start-up quick_check of {} stopped after {} s without finding "
                     "damage (a large database); `scanhub db check --db {}` checks all of it",
                     path_.string(), options.quick_check_budget.count() / 1000, path_.string());
      }
    }
    migrate(writer_->db);
  } catch (const sqlite::Error& e) {
    // Migrating a damaged or unwritable file: the reason in words, not the statement.
    if (sqlite::fault_of(e.code()) == sqlite::Fault::none) throw;
    throw OpenError(e.code(), describe_open_failure(path_, e));
  }
  thread_ = std::thread([this] { run_writer(); });
}

Store::~Store() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queue_changed_.notify_all();
  thread_.join();
}

void Store::write(WriteFn work, DoneFn done) {
  std::unique_lock lock(mutex_);
  queue_changed_.wait(lock, [&] { return queue_.size() < kQueueLimit; });
  queue_.push_back({std::move(work), std::move(done)});
  lock.unlock();
  queue_changed_.notify_all();
}

void Store::write_sync(WriteFn work) {
  std::promise<void> committed;
  auto result = committed.get_future();
  write(std::move(work), [&committed](std::exception_ptr error) {
    if (error) {
      committed.set_exception(error);
    } else {
      committed.set_value();
    }
  });
  result.get();
}

void Store::flush() {
  std::unique_lock lock(mutex_);
  queue_changed_.wait(lock, [&] { return queue_.empty() && in_flight_ == 0; });
}

void Store::run_writer() {
  for (;;) {
    std::vector<Work> batch;
    {
      std::unique_lock lock(mutex_);
      queue_changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued was written
      while (!queue_.empty() && batch.size() < kBatchLimit) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      in_flight_ = batch.size();
    }
    queue_changed_.notify_all();  // producers blocked on a full queue may go on

    std::vector<std::exception_ptr> results(batch.size());
    try {
      sqlite::Transaction transaction(writer_->db);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        writer_->db.exec("SAVEPOINT work");
        try {
          batch[i].work(*writer_);
          writer_->db.exec("RELEASE work");
        } catch (...) {
          // A full disk or an I/O error may have rolled the whole transaction back already:
          // then nothing of the batch stands, and this error (not "no such savepoint") is
          // what every piece of work failed with.
          if (!writer_->db.in_transaction()) throw;
          results[i] = std::current_exception();
          writer_->db.exec("ROLLBACK TO work");
          writer_->db.exec("RELEASE work");
        }
      }
      transaction.commit();
    } catch (...) {
      // BEGIN, a savepoint or COMMIT failed (disk full, I/O error): nothing of the batch stands.
      const auto error = std::current_exception();
      for (auto& result : results) result = error;
    }
    bool committed = false;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      committed = committed || !results[i];
      if (!batch[i].done) {
        if (results[i]) {
          // A full disk fails every write until space returns: said once, not per write.
          const bool fault = sqlite::find_fault(results[i]).has_value();
          if (fault && fault_logged_) continue;
          fault_logged_ = fault_logged_ || fault;
          try {
            std::rethrow_exception(results[i]);
          } catch (const std::exception& e) {
            spdlog::error("store: write failed: {}", e.what());
          }
        }
        continue;
      }
      try {
        batch[i].done(results[i]);
      } catch (const std::exception& e) {
        spdlog::error("store: completion handler threw: {}", e.what());
      }
    }
    if (committed) fault_logged_ = false;
    {
      std::lock_guard lock(mutex_);
      in_flight_ = 0;
    }
    queue_changed_.notify_all();
  }
}

std::unique_ptr<Connection> Store::acquire_reader() {
  {
    std::lock_guard lock(readers_mutex_);
    if (!readers_.empty()) {
      auto connection = std::move(readers_.back());
      readers_.pop_back();
      return connection;
    }
  }
  auto connection = std::make_unique<Connection>(path_);
  connection->db.exec("PRAGMA query_only = ON");
  return connection;
}

void Store::release_reader(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(readers_mutex_);
  readers_.push_back(std::move(connection));
}

}  // namespace scanhub::store
