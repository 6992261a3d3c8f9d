// The whole show's HLS VOD (vod.m3u8) as a timeline, and where a recording's moments
// fall on it. A player plays the vod's segments end to end (a discontinuity between
// host sessions leaves no gap), so vod time = the EXTINF durations of the segments
// before + the offset in the segment. Each segment carries its wall clock
// (#EXT-X-PROGRAM-DATE-TIME), and a sidecar event happened at the wall clock
// recording.started_at + t: the segment on air then, and the offset in it, give the
// vod time. The gap between two host sessions is not in the vod: an event in it lands
// at the start of the next session.

// an ISO time in ms; the API's started_at has microseconds, which the ISO format that
// every engine must read (ECMA-262 Date Time String Format) does not: cut to ms
export function isoMs(text) {
  return Date.parse(String(text).replace(/(\.\d{3})\d+/, "$1"));
}

/** Segments of a VOD playlist: [{start, duration, at (ms or null), session}]. */
export function parseVod(text) {
  const segments = [];
  let start = 0;
  let session = 0;
  let at = null;
  let duration = null;
  let seen = false;
  for (const raw of String(text).split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) {
      const ms = isoMs(line.slice(25));
      at = Number.isFinite(ms) ? ms : null;
    } else if (line === "#EXT-X-DISCONTINUITY") {
      if (seen) session += 1;
    } else if (line.startsWith("#EXTINF:")) {
      duration = Number.parseFloat(line.slice(8));
    } else if (line && !line.startsWith("#") && duration !== null) {
      segments.push({ start, duration, at, session });
      start += duration;
      seen = true;
      duration = null;
      at = null;
    }
  }
  return segments;
}

export function vodDuration(segments) {
  const last = segments[segments.length - 1];
  return last ? last.start + last.duration : 0;
}

/** The vod time (s) of the wall clock `ms`, by the segments' program date-times. */
export function vodTimeOfWall(segments, ms) {
  let on = null;
  for (const segment of segments) {
    if (segment.at === null || segment.at > ms) break;
    on = segment;
  }
  if (!on) return 0;
  return on.start + Math.min((ms - on.at) / 1000, on.duration);
}

/**
 * A function (recording index, t) -> vod time for the show's recordings (oldest first).
 * With program date-times: by wall clock, exact to the server's clock. Without (a vod
 * written by an older version): recording k of the H.264 ones starts session k when
 * the counts agree, else the show-level rule t + (started_at - first started_at).
 */
export function vodMapper(segments, recordings) {
  const started = recordings.map((rec) => isoMs(rec.started_at));
  if (segments.length && segments.every((s) => s.at !== null)) {
    return (index, t) => vodTimeOfWall(segments, started[index] + t * 1000);
  }
  const sessionStart = [];
  for (const segment of segments) sessionStart[segment.session] ??= segment.start;
  const h264 = recordings.map((rec, i) => [rec, i]).filter(([rec]) => /\.mkv$/i.test(rec.file || rec.url || ""));
  if (h264.length && h264.length === sessionStart.length) {
    const session = new Map(h264.map(([, i], k) => [i, k]));
    return (index, t) => (session.has(index) ? sessionStart[session.get(index)] + t : 0);
  }
  const first = started[0] || 0;
  return (index, t) => Math.max(0, t + (started[index] - first) / 1000);
}
