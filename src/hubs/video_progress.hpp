#pragma once
// Seed 004's VideoProgressUpdate, built from the external jobs that carry a videoId (their
// stored payload's "videoId", progress/job_events.hpp). A video has no row of its own: it is
// the jobs reported for it, one stage each. Pure functions; `now` is passed in.
//
//   videoId              as the jobs carry it
//   processingStatus     "Failed" when a job failed or was cancelled, else "Completed" when all
//                        completed, else "Processing" when one runs or completed, else "Pending"
//   transcriptionStatus  the newest job of jobType "Transcription" (case-insensitive):
//                        "NotStarted" without one, "Pending", "InProgress", "Completed", "Failed"
//   embeddingStatus      the same for jobType "EmbeddingGeneration"
//   overallProgress      the mean of the stages' progress, floored (0 without stages)
//   stages               one per job, oldest first: name = its jobType, status = the job's
//                        status as seed 004's JobProgressUpdate spells it, progress (0-100),
//                        startedAt, completedAt (when it ended), errorMessage
//   updatedAt            now
//
// Source: seed 004, section 4 "VideoProgressUpdate" and section 3 "GetVideoProgress".

#include "core/job.hpp"

#include <boost/json/object.hpp>

#include <span>
#include <string_view>

namespace scanhub::hubs {

/// VideoProgressUpdate of `video_id` from `jobs` (the external jobs carrying it, any order).
boost::json::object video_progress_update(std::string_view video_id, std::span<const core::Job> jobs,
                                          core::TimePoint now);

}  // namespace scanhub::hubs
