#pragma once
// TagLib reading under a per-file time budget and a stop token (read_limits.hpp). TagLib reads
// through a TagLib::IOStream; BoundedStream is one that forwards to the real file until the
// budget is spent or a stop is requested, and from then on reads no more data: every readBlock
// returns an empty ByteVector, as at the end of the file. TagLib's searches (the MPEG frame
// search, the ID3v2 search, Ogg page and MP4 atom walks) all end at the end of the data, so
// TagLib finishes by itself, with an invalid or partial result the caller then discards
// (ReadDeadline::throw_if_stopped). Nothing is thrown through TagLib's code: it holds raw
// owning pointers while it parses, so an exception from the stream would leak or worse.
//
// seek() and length() check the deadline too (a loop of seeks notices it) but keep their
// meaning: TagLib ends some loops by seeking to the end (MP4's atom reader after a short
// read), and a length of 0 would turn its offset arithmetic negative.
//
// Thread-safety: one ReadDeadline and one BoundedStream per read, on the reading thread.

#include "media/read_limits.hpp"

#include <taglib/tiostream.h>

#include <chrono>
#include <filesystem>

namespace scanhub::media {

/// Why a read stopped before its end.
enum class ReadStop { none, budget, cancelled };

/// The budget and stop token of one file's read, started at construction.
class ReadDeadline {
 public:
  explicit ReadDeadline(const ReadLimits& limits);

  /// Looks at the stop token and the clock. Once either tripped it stays tripped (a read that
  /// was cut short stays cut short even if a later look would pass). Never throws.
  ReadStop check() noexcept;
  ReadStop stopped() const noexcept { return stopped_; }
  std::chrono::milliseconds budget() const noexcept { return limits_.time_budget; }

  /// Throws ReadCancelled ("reading <path> was cancelled") or ReadError with
  /// budget_exceeded_reason once tripped; returns otherwise.
  void throw_if_stopped(const std::filesystem::path& path) const;

 private:
  std::chrono::steady_clock::time_point now() const;

  ReadLimits limits_;
  std::chrono::steady_clock::time_point deadline_;
  ReadStop stopped_ = ReadStop::none;
};

/// A read-only TagLib stream over `inner` that obeys `deadline`. Both must outlive it. Writes
/// are refused (readOnly() is true; the writing members do nothing).
class BoundedStream final : public TagLib::IOStream {
 public:
  BoundedStream(TagLib::IOStream& inner, ReadDeadline& deadline) noexcept
      : inner_(inner), deadline_(deadline) {}

  TagLib::FileName name() const override { return inner_.name(); }
  TagLib::ByteVector readBlock(unsigned long length) override;
  void writeBlock(const TagLib::ByteVector&) override {}
  void insert(const TagLib::ByteVector&, unsigned long, unsigned long) override {}
  void removeBlock(unsigned long, unsigned long) override {}
  bool readOnly() const override { return true; }
  bool isOpen() const override { return inner_.isOpen(); }
  void seek(long offset, Position position = Beginning) override;
  void clear() override { inner_.clear(); }
  long tell() const override { return inner_.tell(); }
  long length() override;
  void truncate(long) override {}

 private:
  TagLib::IOStream& inner_;
  ReadDeadline& deadline_;
};

}  // namespace scanhub::media
