/**
 * Refuses SDP offers that cannot become a secure WebRTC session before any peer, socket or
 * thread is made for them: every media section needs ICE credentials (`a=ice-ufrag`,
 * `a=ice-pwd`) and a DTLS fingerprint (`a=fingerprint`), given in the section or at session
 * level. Without them the werift answerer would still allocate sockets and wait forever.
 */

/** What an offer lacks, as `a=` attribute names; empty when it has everything. */
export function missingSecurityAttributes(sdp: string): string[] {
  const lines = sdp.split(/\r?\n/).map((l) => l.trim());
  const session = new Set<string>();
  const sections: { port: string; attrs: Set<string> }[] = [];
  let current: Set<string> = session;
  for (const line of lines) {
    if (line.startsWith('m=')) {
      current = new Set();
      sections.push({ port: line.split(' ')[1] ?? '', attrs: current });
      continue;
    }
    const m = /^a=(ice-ufrag|ice-pwd|fingerprint):(\S+)/.exec(line);
    if (m) current.add(m[1]!);
  }
  const missing = new Set<string>();
  for (const s of sections) {
    // Port 0 is a rejected section: nothing is set up for it.
    if (s.port === '0') continue;
    for (const attr of ['ice-ufrag', 'ice-pwd', 'fingerprint'])
      if (!s.attrs.has(attr) && !session.has(attr)) missing.add(attr);
  }
  return [...missing].map((a) => `a=${a}`);
}

/** The 400 message for an offer without ICE credentials or a fingerprint, or null when it has them. */
export function sdpSecurityProblem(sdp: string): string | null {
  const missing = missingSecurityAttributes(sdp);
  if (!missing.length) return null;
  return `the SDP offer is missing ${missing.join(', ')} (WebRTC needs ICE credentials and a DTLS fingerprint in every media section)`;
}
