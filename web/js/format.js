// Numbers, durations and times as people read them. Pure functions, no DOM.
// Counts use the browser's locale (Intl.NumberFormat: "1,247" in English, "1 247" in French).

const count = new Intl.NumberFormat();
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** 1247 -> "1,247"; null/undefined -> "0". */
export function formatCount(n) {
  return count.format(Number(n) || 0);
}

/** "453 / 1,247 (36%)" for done of total; "453" when the total is unknown. */
export function formatProgress(done, total) {
  if (!total) return formatCount(done);
  return `${formatCount(done)} / ${formatCount(total)} (${percent(done, total)}%)`;
}

/** Whole percent, never 100 before done reaches total, never above 100. */
export function percent(done, total) {
  if (!total || total <= 0) return 0;
  if (done >= total) return 100;
  return Math.min(99, Math.floor((done * 100) / total));
}

/** ISO 8601 duration ("PT1H2M3.5S") -> seconds; null when it is not one. */
export function parseIsoDuration(text) {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$/.exec(text || '');
  if (!m) return null;
  return Number(m[1] || 0) * 86400 + Number(m[2] || 0) * 3600 + Number(m[3] || 0) * 60 + Number(m[4] || 0);
}

/** Seconds -> "1 h 5 min", "3 min 20 s", "12 s", "0.4 s", "under 0.1 s". */
export function formatSeconds(seconds) {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds >= 3600) {
    const h = Math.floor(seconds / 3600);
    return `${h} h ${Math.floor((seconds % 3600) / 60)} min`;
  }
  if (seconds >= 60) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  if (seconds >= 10) return `${Math.round(seconds)} s`;
  if (seconds < 0.1) return 'under 0.1 s';
  return `${oneDecimal.format(seconds)} s`;
}

/** Seconds between two ISO times (end defaults to now); null when start is missing. */
export function secondsBetween(startIso, endIso) {
  if (!startIso) return null;
  const start = Date.parse(startIso);
  const end = endIso ? Date.parse(endIso) : Date.now();
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  return Math.max(0, (end - start) / 1000);
}

/** A rate per second -> "12.5/s" or "3/min" when slow; "" when unknown. */
export function formatRate(perSecond, unit) {
  if (!perSecond || !Number.isFinite(perSecond) || perSecond <= 0) return '';
  if (perSecond < 1) return `${oneDecimal.format(perSecond * 60)} ${unit}/min`;
  return `${oneDecimal.format(perSecond)} ${unit}/s`;
}

/** An ISO time -> the local date and time ("21/11/2026, 14:32:18" in the user's locale). */
export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}

/** An ISO time -> "5 min ago", "just now", or the date for anything older than a day. */
export function formatAgo(iso) {
  const seconds = secondsBetween(iso, null);
  if (seconds == null) return '';
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return formatTime(iso);
}

/** "1 track" / "2 tracks". */
export function plural(n, one, many = `${one}s`) {
  return `${formatCount(n)} ${Number(n) === 1 ? one : many}`;
}
