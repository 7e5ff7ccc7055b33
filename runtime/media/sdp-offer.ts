/** What the server reads from a Scope client's SDP offer: media sections, text mode, problems. */

/** The media sections of an SDP, in order, with their kind and direction. */
export function sdpMediaSections(sdp: string): { kind: string; direction: string }[] {
  const sections: { kind: string; direction: string }[] = [];
  let current: { kind: string; direction: string } | null = null;
  let sessionDirection = 'sendrecv';
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      current = { kind: line.slice(2).split(' ')[0] ?? '', direction: sessionDirection };
      sections.push(current);
    } else if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(line)) {
      const dir = line.slice(2);
      if (current) current.direction = dir;
      else sessionDirection = dir;
    }
  }
  return sections;
}

/** Scope's text mode: the client's first video transceiver only receives. */
export function offerIsTextMode(sdp: string): boolean {
  const firstVideo = sdpMediaSections(sdp).find((s) => s.kind === 'video');
  return !firstVideo || firstVideo.direction === 'recvonly' || firstVideo.direction === 'inactive';
}

/** A cheap shape check before handing SDP to the WebRTC stack. Returns the problem, or null. */
export function sdpProblem(sdp: unknown): string | null {
  if (typeof sdp !== 'string') return '"sdp" must be a string';
  if (sdp.length === 0) return '"sdp" is empty';
  if (sdp.length > 256 * 1024) return '"sdp" is larger than 256 KiB';
  if (!sdp.startsWith('v=0')) return '"sdp" does not start with "v=0" (not an SDP offer)';
  if (!/\r?\nm=/.test(sdp)) return '"sdp" has no media section';
  return null;
}
