/**
 * Negotiation: the werift configuration, which transceivers carry what (Scope's layout), ICE
 * gathering and trickled candidates. Everything here runs before or beside media, never per frame.
 */
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  useAbsSendTime,
  useNACK,
  usePLI,
  useREMB,
  useSdesMid,
  type RTCRtpTransceiver,
} from 'werift';
import { answerDirection, type BitrateHints, type SdpDirection, type VideoMLine } from '../sdp';
import { MediaError, type MediaPeerOptions, type OfferPeerConfig } from './types';

export const DATA_CHANNEL_LABEL = 'parameters';
export const DEFAULT_HINTS: BitrateHints = { minKbps: 1500, startKbps: 1500, maxKbps: 3000 };

function vp8Codec(): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({
    mimeType: 'video/VP8',
    clockRate: 90000,
    rtcpFeedback: [useNACK(), usePLI(), useREMB()],
  });
}

/** The werift connection for these options: VP8 only, max-bundle, loopback candidates. */
export function createConnection(o: MediaPeerOptions): RTCPeerConnection {
  const loopback = o.loopbackOnly ?? true;
  const extra = [...(loopback ? ['127.0.0.1'] : []), ...(o.additionalHostAddresses ?? [])];
  return new RTCPeerConnection({
    codecs: { video: [vp8Codec()], audio: [] },
    headerExtensions: { video: [useSdesMid(), useAbsSendTime()], audio: [] },
    iceServers: o.iceServers ?? [],
    // Under the default bundle policy werift leaks a UDP socket per peer that has media and a
    // data channel (202 sockets after 100 cycles); max-bundle leaks nothing (FIELD-NOTES.md).
    bundlePolicy: 'max-bundle',
    iceUseIpv6: false,
    ...(loopback ? { iceInterfaceAddresses: { udp4: '127.0.0.1' } } : {}),
    ...(extra.length ? { iceAdditionalHostAddresses: extra } : {}),
  } as ConstructorParameters<typeof RTCPeerConnection>[0]);
}

/**
 * Answering side, after setRemoteDescription: gives each offered video m-line its answer
 * direction (inactive when rejected or without VP8) and returns the transceivers in m-line order.
 */
export function answerTransceivers(
  pc: RTCPeerConnection,
  mlines: readonly VideoMLine[],
): Map<RTCRtpTransceiver, SdpDirection> {
  const all = pc.getTransceivers();
  const directions = new Map<RTCRtpTransceiver, SdpDirection>();
  for (const line of mlines) {
    const t =
      (line.mid !== null ? all.find((x) => x.mid === line.mid) : undefined) ??
      all.find((x) => x.mLineIndex === line.mLineIndex);
    if (!t) continue;
    const dir =
      line.rejected || line.vp8PayloadTypes.length === 0 ? 'inactive' : answerDirection(line.direction);
    t.setDirection(dir);
    directions.set(t, dir);
  }
  return directions;
}

/** Offering side: Scope's layout, the camera transceiver then `extraSinks` recvonly ones. */
export function offerTransceivers(
  pc: RTCPeerConnection,
  cfg: OfferPeerConfig,
): Map<RTCRtpTransceiver, SdpDirection> {
  const directions = new Map<RTCRtpTransceiver, SdpDirection>();
  const dirs: SdpDirection[] = [
    cfg.camera ?? 'sendrecv',
    ...Array.from({ length: cfg.extraSinks ?? 0 }, () => 'recvonly' as const),
  ];
  for (const dir of dirs) directions.set(pc.addTransceiver('video', { direction: dir }), dir);
  return directions;
}

/**
 * werift 0.25's ICE falls back to stun.l.google.com:19302 when no STUN server is configured
 * (`iceServers: []` included): every peer resolved that name and, with Internet access, sent it
 * a binding request and put the public address in its SDP. Without a configured STUN server
 * the transports get none, so nothing leaves the machine (and gathering no longer waits for a
 * DNS answer: ≈ 250 ms per offer here).
 */
export function noDefaultStun(pc: RTCPeerConnection, opts: MediaPeerOptions): void {
  const stunConfigured = (opts.iceServers ?? []).some((s) =>
    (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => /^stuns?:/i.test(u)),
  );
  if (stunConfigured) return;
  const transports = [...pc.dtlsTransports, ...(pc.sctpTransport ? [pc.sctpTransport.dtlsTransport] : [])];
  for (const dtls of transports) {
    const conn = (dtls?.iceTransport as { connection?: { stunServer?: unknown } } | undefined)?.connection;
    if (conn) conn.stunServer = undefined;
  }
}

/** Resolves when ICE gathering is complete, or after `timeoutMs` (candidates so far are in the SDP). */
export function waitForGathering(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const s = pc.iceGatheringStateChange.subscribe((st) => {
      if (st === 'complete') done();
    });
    function done(): void {
      clearTimeout(timer);
      s.unSubscribe();
      resolve();
    }
  });
}

/**
 * Checks a trickled remote ICE candidate (Scope's PATCH body item) and returns it in werift's
 * shape. An empty candidate string means end of candidates. Throws MediaError('bad-candidate')
 * naming what is wrong.
 */
export function checkIceCandidate(c: { candidate?: unknown; sdpMid?: unknown; sdpMLineIndex?: unknown }): {
  candidate: string;
  sdpMid: string | undefined;
  sdpMLineIndex: number | undefined;
} {
  if (c === null || typeof c !== 'object')
    throw new MediaError('bad-candidate', 'candidate must be an object');
  const { candidate, sdpMid, sdpMLineIndex } = c;
  if (typeof candidate !== 'string')
    throw new MediaError('bad-candidate', 'candidate.candidate must be a string');
  if (candidate.length > 1024)
    throw new MediaError('bad-candidate', 'candidate.candidate is longer than 1024');
  if (sdpMid !== undefined && sdpMid !== null && typeof sdpMid !== 'string') {
    throw new MediaError('bad-candidate', 'candidate.sdpMid must be a string or null');
  }
  if (
    sdpMLineIndex !== undefined &&
    sdpMLineIndex !== null &&
    !(Number.isInteger(sdpMLineIndex) && (sdpMLineIndex as number) >= 0)
  ) {
    throw new MediaError('bad-candidate', 'candidate.sdpMLineIndex must be a non-negative integer or null');
  }
  const text = candidate.replace(/^a=/, '');
  if (text !== '') {
    // foundation component transport priority address port "typ" type
    const m = /^candidate:\S+ \d+ (udp|tcp) \d+ (\S+) (\d+) typ (host|srflx|prflx|relay)(?: |$)/i.exec(text);
    if (!m) throw new MediaError('bad-candidate', `not an ICE candidate line: "${text.slice(0, 80)}"`);
    const port = Number(m[3]);
    if (port < 1 || port > 65535)
      throw new MediaError('bad-candidate', `candidate port ${port} is out of range`);
  }
  return {
    candidate: text,
    sdpMid: (sdpMid as string | null | undefined) ?? undefined,
    sdpMLineIndex: (sdpMLineIndex as number | null | undefined) ?? undefined,
  };
}
