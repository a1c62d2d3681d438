#include "media/bounded_stream.hpp"

#include "media/tag_reader.hpp"

namespace scanhub::media {

ReadDeadline::ReadDeadline(const ReadLimits& limits) : limits_(limits) {
  deadline_ = now() + limits_.time_budget;
}

std::chrono::steady_clock::time_point ReadDeadline::now() const {
  return limits_.clock_for_test ? limits_.clock_for_test() : std::chrono::steady_clock::now();
}

ReadStop ReadDeadline::check() noexcept {
  if (stopped_ != ReadStop::none) return stopped_;
  if (limits_.stop.stop_requested()) {
    stopped_ = ReadStop::cancelled;
  } else {
    try {
      if (now() >= deadline_) stopped_ = ReadStop::budget;
    } catch (...) {
      stopped_ = ReadStop::budget;  // a test clock that throws: stop rather than read on
    }
  }
  return stopped_;
}

void ReadDeadline::throw_if_stopped(const std::filesystem::path& path) const {
  switch (stopped_) {
    case ReadStop::none:
      return;
    case ReadStop::cancelled:
      throw ReadCancelled("reading " + path.string() + " was cancelled");
    case ReadStop::budget:
      throw ReadError(budget_exceeded_reason(limits_.time_budget));
  }
}

TagLib::ByteVector BoundedStream::readBlock(unsigned long length) {
  if (deadline_.check() != ReadStop::none) return {};
  return inner_.readBlock(length);
}

void BoundedStream::seek(long offset, Position position) {
  deadline_.check();
  inner_.seek(offset, position);
}

long BoundedStream::length() {
  deadline_.check();
  return inner_.length();
}

}  // namespace scanhub::media
