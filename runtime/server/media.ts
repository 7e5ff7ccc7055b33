/**
 * The server's PeerFactory on the media layer's MediaPeer (werift answerer). Adds what the
 * server needs on top: one "ended" signal for a remote close (a closed tab: DTLS close_notify,
 * SCTP abort or the "parameters" channel closing, noticed at once), ICE failure or a connection
 * that stays disconnected, and frame sends that can never throw into the engine.
 */
import { MediaPeer, type MediaPeerOptions } from '../media';
import type { PeerFactory, ServerPeer } from './deps';

/**
 * How long a peer may stay "disconnected" before it counts as gone (a client that vanished
 * without closing: a crashed browser, a pulled cable; a closed tab is noticed at once).
 */
export const DISCONNECTED_GRACE_MS = 8000;

/** Wraps a MediaPeer as a ServerPeer. */
export function serverPeerOf(peer: MediaPeer, log: (line: string) => void): ServerPeer {
  let closedCbs: ((reason: string) => void)[] = [];
  let ended = false;
  let graceTimer: ReturnType<typeof setTimeout> | null = null;
  let sendErrors = 0;
  const end = (reason: string) => {
    if (ended) return;
    ended = true;
    if (graceTimer) clearTimeout(graceTimer);
    const cbs = closedCbs;
    closedCbs = [];
    for (const cb of cbs) cb(reason);
  };
  peer.onStateChange((state) => {
    if (graceTimer && state !== 'disconnected') {
      clearTimeout(graceTimer);
      graceTimer = null;
    }
    if (state === 'failed') end('ICE failed');
    else if (state === 'closed') end('connection closed');
    else if (state === 'disconnected' && !graceTimer)
      graceTimer = setTimeout(
        () => end(`disconnected for ${DISCONNECTED_GRACE_MS} ms`),
        DISCONNECTED_GRACE_MS,
      );
  });
  peer.onRemoteClose((reason) => end(`closed by the client (${reason})`));
  return {
    onInputFrame: (cb) => void peer.onInputFrame(cb),
    sendFrame: (index, frame) => {
      try {
        peer.sendFrame(index, frame);
      } catch (error) {
        // A frame the encoder refuses is dropped; the stream goes on. Log the first few only.
        if (sendErrors++ < 5) log(`output ${index}: frame dropped: ${(error as Error).message}`);
      }
    },
    addIceCandidate: (c) => peer.addIceCandidate(c),
    onData: (cb) => void peer.onData(cb),
    sendData: (message) => void peer.sendData(message),
    onConnected: (cb) => {
      if (peer.connectionState === 'connected') return void cb();
      const off = peer.onStateChange((state) => {
        if (state !== 'connected') return;
        off();
        cb();
      });
    },
    onClosed: (cb) => {
      if (ended) cb('already closed');
      else closedCbs.push(cb);
    },
    close: async () => {
      end('closed by the server');
      await peer.close();
    },
    stats: () => ({ ...peer.stats(), state: peer.connectionState }),
  };
}

/** The real PeerFactory: answers with werift on loopback (or on `additionalHostAddresses`). */
export function mediaPeerFactory(options: MediaPeerOptions = {}): PeerFactory {
  return async (offerSdp, opts) => {
    const { peer, answerSdp } = await MediaPeer.answer(offerSdp, {
      ...options,
      log: (level, message) => {
        if (level !== 'debug') opts.log(`[media] ${message}`);
      },
    });
    return { peer: serverPeerOf(peer, opts.log), answerSdp };
  };
}
