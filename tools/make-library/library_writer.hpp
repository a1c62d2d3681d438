// Writes the planned albums and tracks to disk.
//
// Directories, covers and side files are made on the calling thread; then TagLib copies and
// ffmpeg batches run on `threads` threads. The ffmpeg share costs one process per template and
// batch of up to kFfmpegBatchSize outputs, never one per file.
// Throws ProcessError when ffmpeg fails, std::runtime_error on any other failure.
#pragma once

#include <cstddef>
#include <filesystem>

#include "plan.hpp"
#include "templates.hpp"

namespace scanhub::make_library {

inline constexpr std::size_t kFfmpegBatchSize = 100;

void write_library(const std::filesystem::path& root, const LibraryPlan& plan,
                   const TemplateSet& templates, unsigned threads);

}  // namespace scanhub::make_library
