// The hub payload shapes of the seeds, as data, and one checker: field names and JSON types of
// what a client receives, the same over JSON and MessagePack. Each schema lists the seed's fields
// first, then scanhub's documented additions (README.md "Interfaces"; src/hubs/*_payloads.cpp).
//
// A type is a string, '|'-separated alternatives of: string, integer, number, boolean, null,
// object, array, iso-time (ISO 8601 UTC with Z), iso-duration (PT..), id (a decimal id as a
// string, how scanhub spells scan and job ids); or an array of allowed string values (an enum);
// or a nested schema object (exact keys again).
import assert from 'node:assert/strict';

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const ISO_DURATION = /^P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const SCAN_STAGES = ['discovering', 'scanning', 'caching', 'enriching', 'completed', 'failed', 'cancelled'];

const CHECKS = {
  string: (v) => typeof v === 'string',
  integer: (v) => Number.isInteger(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  boolean: (v) => typeof v === 'boolean',
  null: (v) => v === null,
  object: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
  array: (v) => Array.isArray(v),
  'iso-time': (v) => typeof v === 'string' && ISO_TIME.test(v),
  'iso-duration': (v) => typeof v === 'string' && ISO_DURATION.test(v),
  id: (v) => typeof v === 'string' && /^\d+$/.test(v),
};

/**
 * Asserts that `value` has exactly the keys of `schema` and that each value has its type.
 * `label` names the payload in failure messages ("ScanProgress over LongPolling/json").
 */
export function assertShape(value, schema, label) {
  assert.ok(CHECKS.object(value), `${label}: an object, got ${JSON.stringify(value)}`);
  assert.deepEqual(Object.keys(value).sort(), Object.keys(schema).sort(), `${label}: field names`);
  for (const [key, type] of Object.entries(schema)) {
    const v = value[key];
    const where = `${label}.${key} = ${JSON.stringify(v)}`;
    if (Array.isArray(type)) {
      assert.ok(type.includes(v), `${where}: one of ${type.join(', ')}`);
    } else if (typeof type === 'object') {
      assertShape(v, type, `${label}.${key}`);
    } else {
      const alternatives = type.split('|');
      for (const t of alternatives) assert.ok(CHECKS[t], `unknown type ${t} in the schema of ${label}`);
      assert.ok(alternatives.some((t) => CHECKS[t](v)), `${where}: expected ${type}`);
    }
  }
}

// Seed 000 (/hubs/progress): ScanProgressDto and ScanSummaryDto, camelCase as SignalR sends them.
// libraryId is a Guid in the seed; scanhub's library ids are integers.
export const SCAN_PROGRESS_DTO = {
  scanId: 'id',
  phase: ['Indexing', 'Embeddings'],
  status: ['Started', 'InProgress', 'Completed', 'Failed'],
  timestamp: 'iso-time',
  libraryId: 'integer|null',
  libraryPath: 'string|null',
  totalDirectories: 'integer|null',
  scannedDirectories: 'integer|null',
  indexedTracks: 'integer|null',
  currentDirectory: 'string|null',
  totalTracksForEmbedding: 'integer|null',
  embeddingsCompleted: 'integer|null',
  embeddingsInProgress: 'integer|null',
  embeddingsFailed: 'integer|null',
  estimatedTimeRemaining: 'iso-duration|null',
  // scanhub's additions
  stage: SCAN_STAGES,
  tracksNew: 'integer',
  tracksUpdated: 'integer',
  tracksRemoved: 'integer',
  errorsCount: 'integer',
  lastError: 'string|null',
  currentOperation: 'string',
  ratePerSecond: 'number',
  startedAt: 'iso-time',
  embeddingsSkipped: 'integer|null',  // the skipped among embeddingsFailed (Embeddings phase)
};

export const SCAN_SUMMARY_DTO = {
  totalTracksIndexed: 'integer',
  totalDirectoriesScanned: 'integer',
  totalEmbeddingsGenerated: 'integer',
  embeddingsFailed: 'integer',
  indexingDuration: 'iso-duration',
  embeddingDuration: 'iso-duration',
  // scanhub's additions
  status: SCAN_STAGES,
  tracksNew: 'integer',
  tracksUpdated: 'integer',
  tracksRemoved: 'integer',
  errorsCount: 'integer',
  lastError: 'string|null',
  embeddingsSkipped: 'integer',  // the skipped among embeddingsFailed
  discoveryDuration: 'iso-duration',
  scanningDuration: 'iso-duration',
  totalDuration: 'iso-duration',
  startedAt: 'iso-time',
  completedAt: 'iso-time|null',
};

// Seed 001 (/hubs/indexer): the anonymous ScanProgress object of EmitProgress and the
// ScanJobProgress class GetActiveScans returns. scanhub adds `status` to ScanProgress.
export const INDEXER_SCAN_PROGRESS = {
  requestId: 'id',
  tracksIndexed: 'integer',
  embeddingsCompleted: 'integer',
  totalTracks: 'integer',
  indexingProgress: 'integer',
  embeddingProgress: 'integer',
  status: SCAN_STAGES,
};

export const SCAN_JOB_PROGRESS = {
  requestId: 'id',
  libraryId: 'integer',
  libraryPath: 'string',
  expectedTracks: 'integer',
  tracksIndexed: 'integer',
  embeddingsCompleted: 'integer',
  startedAt: 'iso-time',
};

// Seed 004 (/hubs/job-progress), section 4 "SignalR Events". A scan is a job: jobType
// "LibraryScan", no video (videoId null), metadata holds the scan's counters.
export const JOB_METADATA = {
  libraries: 'array',
  trigger: ['manual', 'file-system-event', 'library-added'],
  directoriesTotal: 'integer',
  directoriesScanned: 'integer',
  tracksFound: 'integer',
  tracksNew: 'integer',
  tracksUpdated: 'integer',
  tracksRemoved: 'integer',
  errorsCount: 'integer',
  currentDirectory: 'string|null',
  startedAt: 'iso-time',
  estimatedTimeRemaining: 'iso-duration|null',
};

export const JOB_PROGRESS_UPDATE = {
  jobId: 'id',
  videoId: 'string|null',
  jobType: 'string',
  status: ['Pending', 'Running', 'Completed', 'Failed', 'Cancelled'],
  progress: 'integer',
  currentStage: 'string',
  statusMessage: 'string',
  errorMessage: 'string|null',
  updatedAt: 'iso-time',
  metadata: JOB_METADATA,
};

export const JOB_COMPLETED = {
  jobId: 'id',
  videoId: 'string|null',
  status: ['Completed'],
  message: 'string',
  completedAt: 'iso-time',
};

export const JOB_FAILED = {
  jobId: 'id',
  videoId: 'string|null',
  error: 'string',
  message: 'string',
  failedAt: 'iso-time',
};

export const NOTIFICATION = {
  type: 'string',
  message: 'string',
  data: 'object',
  timestamp: 'iso-time',
};

export const HUB_ERROR = {
  code: ['NOT_FOUND', 'INTERNAL_ERROR'],
  message: 'string',
};
