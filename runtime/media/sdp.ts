/**
 * The little SDP handling the peer needs: reading the video m-lines' mids and directions from an
 * offer (Scope's transceiver convention is positional), and adding Chromium's bitrate hints to
 * the VP8 fmtp of an answer.
 */

/** A direction as SDP writes it. */
export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** One video m-line of an offer, in order. */
export interface VideoMLine {
  /** Position among all m-lines (sdpMLineIndex). */
  mLineIndex: number;
  mid: string | null;
  /** The direction as the offerer wrote it (its point of view). */
  direction: SdpDirection;
  /** Port 0 means the m-line is rejected or stopped. */
  rejected: boolean;
  /** Payload types of VP8 in this m-line. */
  vp8PayloadTypes: number[];
}

/** Largest SDP accepted (a browser offer is 3–10 KB). */
export const MAX_SDP_BYTES = 128 * 1024;

/** Checks that `sdp` looks like a session description; throws a TypeError naming what is wrong. */
export function assertSdp(sdp: unknown, what: string): asserts sdp is string {
  if (typeof sdp !== 'string') throw new TypeError(`${what}: SDP must be a string, got ${typeof sdp}`);
  if (sdp.length > MAX_SDP_BYTES)
    throw new TypeError(`${what}: SDP is ${sdp.length} bytes, limit ${MAX_SDP_BYTES}`);
  if (!/^v=0\r?\n/.test(sdp)) throw new TypeError(`${what}: SDP does not start with "v=0"`);
  if (!/\r?\nm=/.test(sdp)) throw new TypeError(`${what}: SDP has no media section (m=)`);
}

/** Lists the video m-lines of an SDP in order. */
export function parseVideoMLines(sdp: string): VideoMLine[] {
  const sections = sdp.split(/\r?\n(?=m=)/).slice(1);
  const out: VideoMLine[] = [];
  sections.forEach((section, mLineIndex) => {
    const m = /^m=(\w+) (\d+)/.exec(section);
    if (!m || m[1] !== 'video') return;
    const mid = /(?:^|\n)a=mid:(\S+)/.exec(section)?.[1] ?? null;
    const dir = /(?:^|\n)a=(sendrecv|sendonly|recvonly|inactive)\s*(?:\r?$|\r?\n)/m.exec(section)?.[1];
    const vp8PayloadTypes = [...section.matchAll(/(?:^|\n)a=rtpmap:(\d+) VP8\/90000/gi)].map((x) =>
      Number(x[1]),
    );
    out.push({
      mLineIndex,
      mid,
      direction: (dir as SdpDirection | undefined) ?? 'sendrecv',
      rejected: m[2] === '0',
      vp8PayloadTypes,
    });
  });
  return out;
}

/** The direction an answerer takes for an offered direction. */
export function answerDirection(offered: SdpDirection): SdpDirection {
  switch (offered) {
    case 'sendrecv':
      return 'sendrecv';
    case 'sendonly':
      return 'recvonly';
    case 'recvonly':
      return 'sendonly';
    case 'inactive':
      return 'inactive';
  }
}

/** Chromium's bitrate hints, in kbit/s. */
export interface BitrateHints {
  minKbps: number;
  startKbps: number;
  maxKbps: number;
}

/**
 * Adds `x-google-min/start/max-bitrate` to every VP8 fmtp line (creating the line when absent).
 * werift sends no bandwidth estimate, so without a floor Chromium scales its camera down to
 * 480×360; a 1500 kbit/s floor kept 640×480 at 30 fps (FIELD-NOTES.md).
 */
export function mungeVp8Bitrate(sdp: string, hints: BitrateHints): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const params = `x-google-min-bitrate=${hints.minKbps};x-google-start-bitrate=${hints.startKbps};x-google-max-bitrate=${hints.maxKbps}`;
  const lines = sdp.split(/\r?\n/);
  const vp8 = new Set<string>();
  for (const line of lines) {
    const m = /^a=rtpmap:(\d+) VP8\/90000/i.exec(line);
    if (m) vp8.add(m[1]!);
  }
  const out: string[] = [];
  const hasFmtp = new Set<string>();
  for (const line of lines) {
    const m = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (m && vp8.has(m[1]!)) {
      hasFmtp.add(m[1]!);
      const kept = m[2]!
        .split(';')
        .map((p) => p.trim())
        .filter((p) => p && !p.startsWith('x-google-'));
      out.push(`a=fmtp:${m[1]} ${[...kept, params].join(';')}`);
    } else {
      out.push(line);
    }
  }
  // VP8 without an fmtp line: add one right after its rtpmap (per m-line, since PTs repeat).
  const result: string[] = [];
  for (let i = 0; i < out.length; i++) {
    const line = out[i]!;
    result.push(line);
    const m = /^a=rtpmap:(\d+) VP8\/90000/i.exec(line);
    if (m && !hasFmtp.has(m[1]!)) result.push(`a=fmtp:${m[1]} ${params}`);
  }
  return result.join(eol);
}
