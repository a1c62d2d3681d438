#include "media/read_limits.hpp"

#include <cstdio>

namespace scanhub::media {

std::string budget_exceeded_reason(std::chrono::milliseconds budget) {
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%g", static_cast<double>(budget.count()) / 1000.0);
  return std::string("reading took longer than the ") + seconds + " s budget";
}

}  // namespace scanhub::media
