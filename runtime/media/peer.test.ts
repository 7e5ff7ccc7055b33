import { Socket } from 'node:dgram';
import dns from 'node:dns';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaError, MediaPeer, createOfferPeer, type OfferPeerConfig } from './peer';
import { patternFrame, psnrY, readPatternNumber } from './testing/pattern';
import type { VideoFrame } from '../../nodes';

const quiet = (): void => undefined;
const open: MediaPeer[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - t0 > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

async function connect(cfg: OfferPeerConfig = {}): Promise<{ client: MediaPeer; server: MediaPeer }> {
  const { peer: client, offerSdp } = await createOfferPeer(cfg, { log: quiet });
  open.push(client);
  const { peer: server, answerSdp } = await MediaPeer.answer(offerSdp, { log: quiet });
  open.push(server);
  expect(answerSdp).toContain(
    'x-google-min-bitrate=1500;x-google-start-bitrate=1500;x-google-max-bitrate=3000',
  );
  await client.acceptAnswer(answerSdp);
  await waitFor(
    () => client.connectionState === 'connected' && server.connectionState === 'connected',
    5000,
    'both peers connected',
  );
  return { client, server };
}

function udpSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
}

describe('MediaPeer loopback (werift ↔ werift)', () => {
  it('echoes 60 frames of a moving pattern back to the offerer with the right content', async () => {
    const { client, server } = await connect({ camera: 'sendrecv' });
    expect(server.trackCounts).toEqual({ inputs: 1, outputs: 1 });
    server.onInputFrame((track, frame) => {
      expect(track).toBe(0);
      server.sendFrame(0, frame);
    });
    const received: VideoFrame[] = [];
    client.onInputFrame((_, frame) => received.push(frame));
    const stop = client.sendFrom(0, 30, (n) => (n < 60 ? patternFrame(512, 512, n) : null));
    await waitFor(() => received.length >= 60, 8000, '60 echoed frames').catch(() => undefined);
    stop();
    expect(received.length).toBeGreaterThanOrEqual(50);
    let last = -1;
    for (const f of received) {
      expect([f.width, f.height]).toEqual([512, 512]);
      const n = readPatternNumber(f);
      expect(n).toBeGreaterThan(last); // in order, no repeats
      expect(n).toBeLessThan(60);
      last = n;
      // Encoded twice (client → server → client) at 2 Mbit/s: still close to the original.
      expect(psnrY(patternFrame(512, 512, n), f)).toBeGreaterThan(28);
    }
    const s = server.stats();
    expect(s.framesIn).toBeGreaterThanOrEqual(50);
    expect(s.framesOut).toBe(s.framesIn);
    expect(s.keyframesIn).toBeGreaterThanOrEqual(1);
    expect(s.decodeErrors).toBe(0);
    expect(client.stats().plisSent).toBeGreaterThanOrEqual(1); // PLI on start
    expect(s.plisReceived).toBeGreaterThanOrEqual(1);
  });

  it('puts each output in its own MediaStream (a distinct a=msid per sending transceiver)', async () => {
    const { peer: client, offerSdp } = await createOfferPeer(
      { camera: 'recvonly', extraSinks: 2 },
      { log: quiet },
    );
    open.push(client);
    const { peer: server, answerSdp } = await MediaPeer.answer(offerSdp, { log: quiet });
    open.push(server);
    const streams = [...answerSdp.matchAll(/^a=msid:(\S+)/gm)].map((m) => m[1]);
    expect(streams).toHaveLength(3);
    expect(new Set(streams).size).toBe(3);
  });

  it('maps text mode and extra sinks to outputs, drops frames for outputs the client did not offer', async () => {
    const { client, server } = await connect({ camera: 'recvonly', extraSinks: 1 });
    expect(server.trackCounts).toEqual({ inputs: 0, outputs: 2 });
    expect(client.trackCounts).toEqual({ inputs: 2, outputs: 0 });
    const byTrack = new Map<number, number[]>();
    client.onInputFrame((i, f) => byTrack.set(i, [...(byTrack.get(i) ?? []), readPatternNumber(f)]));
    expect(server.sendFrame(2, patternFrame(64, 48, 0))).toBe(false);
    expect(server.stats().outputFramesDropped).toBe(1);
    for (let n = 0; n < 10; n++) {
      server.sendFrame(0, patternFrame(320, 240, 100 + n));
      server.sendFrame(1, patternFrame(320, 240, 200 + n));
      await new Promise((r) => setTimeout(r, 15));
    }
    await waitFor(
      () => (byTrack.get(0)?.length ?? 0) >= 8 && (byTrack.get(1)?.length ?? 0) >= 8,
      3000,
      'both sinks',
    );
    expect(byTrack.get(0)!.every((n) => n >= 100 && n < 110)).toBe(true);
    expect(byTrack.get(1)!.every((n) => n >= 200 && n < 210)).toBe(true);
  });

  it('carries JSON both ways on "parameters" and ignores hostile messages', async () => {
    const { client, server } = await connect();
    const atServer: Record<string, unknown>[] = [];
    const atClient: Record<string, unknown>[] = [];
    server.onData((o) => {
      atServer.push(o);
      server.sendData({ type: 'parameters_updated', parameters: o });
    });
    client.onData((o) => atClient.push(o));
    client.sendData({ a: '['.repeat(50) }); // brackets inside a string are fine; queued until open
    await waitFor(() => atServer.length === 1, 3000, 'the first message');
    // Raw hostile payloads go through the client's channel as text.
    const raw = (client as unknown as { channel: { send(s: string): void } }).channel;
    raw.send('[' + '['.repeat(5000) + ']'.repeat(5001));
    raw.send('{"__proto__":{"polluted":1},"prompts":[{"text":"x","weight":1}]}');
    raw.send('not json');
    await waitFor(() => atClient.length >= 2, 3000, 'replies');
    expect(atServer).toEqual([{ a: '['.repeat(50) }, { prompts: [{ text: 'x', weight: 1 }] }]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(server.stats().dataRejected).toBe(2);
    expect(atClient[0]).toEqual({ type: 'parameters_updated', parameters: { a: '['.repeat(50) } });
  });

  it('rejects bad offers, answers and candidates with MediaError, not a crash', async () => {
    await expect(MediaPeer.answer('nonsense')).rejects.toMatchObject({
      name: 'MediaError',
      code: 'bad-offer',
    });
    await expect(
      MediaPeer.answer('v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n'),
    ).rejects.toThrow(/no video m-line/);
    const { client, server } = await connect();
    for (const bad of [
      null,
      { candidate: 42 },
      { candidate: 'candidate:garbage', sdpMid: '0' },
      { candidate: 'candidate:1 1 udp 1 127.0.0.1 99999 typ host', sdpMid: '0' },
      { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMLineIndex: -1 },
    ]) {
      await expect(server.addIceCandidate(bad as never)).rejects.toBeInstanceOf(MediaError);
    }
    await server.addIceCandidate({
      candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0,
    });
    await server.addIceCandidate({ candidate: '', sdpMid: '0', sdpMLineIndex: 0 });
    await expect(client.acceptAnswer('v=1')).rejects.toMatchObject({ code: 'bad-answer' });
    await server.close();
    await server.close(); // idempotent
    expect(server.connectionState).toBe('closed');
    expect(server.sendFrame(0, patternFrame(64, 48, 0))).toBe(false);
    await expect(server.addIceCandidate({ candidate: '' })).rejects.toMatchObject({ code: 'closed' });
  });

  it("contacts nothing outside this machine: no default STUN server (werift falls back to Google's)", async () => {
    const destinations = new Set<string>();
    const lookups: string[] = [];
    const send = Socket.prototype.send;
    const lookup = dns.promises.lookup;
    Socket.prototype.send = function (this: Socket, ...args: unknown[]) {
      const host = args.find((a, i) => i > 0 && typeof a === 'string');
      if (typeof host === 'string') destinations.add(host);
      return (send as (...a: unknown[]) => void).apply(this, args);
    } as typeof send;
    // werift's STUN transactions resolve server names with dns.promises.lookup.
    (dns.promises as { lookup: unknown }).lookup = (host: string, ...rest: unknown[]) => {
      lookups.push(host);
      return (lookup as (...a: unknown[]) => Promise<unknown>)(host, ...rest);
    };
    try {
      const t0 = performance.now();
      const { client, server } = await connect();
      const stop = client.sendFrom(0, 30, (n) => patternFrame(64, 48, n));
      await waitFor(() => server.stats().framesIn >= 3, 5000, 'frames');
      stop();
      expect(performance.now() - t0).toBeLessThan(3000);
    } finally {
      Socket.prototype.send = send;
      (dns.promises as { lookup: unknown }).lookup = lookup;
    }
    expect(lookups.filter((h) => isIP(h) === 0)).toEqual([]); // e.g. stun.l.google.com
    // Packets go only to this machine's own addresses.
    const own = new Set(
      Object.values(networkInterfaces())
        .flat()
        .map((i) => i?.address),
    );
    expect([...destinations].filter((h) => !own.has(h))).toEqual([]);
  });

  it('reports the remote closing at once, and never its own close', async () => {
    const { client, server } = await connect();
    const serverSaw: string[] = [];
    const clientSaw: string[] = [];
    server.onRemoteClose((r) => serverSaw.push(r));
    client.onRemoteClose((r) => clientSaw.push(r));
    client.sendData({ hello: 1 });
    await waitFor(() => server.stats().dataIn >= 1, 3000, 'the parameters channel open');
    const t0 = performance.now();
    await client.close();
    await waitFor(() => serverSaw.length > 0, 2000, 'the answerer noticed the offerer closing');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(serverSaw).toHaveLength(1);
    expect(serverSaw[0]).toMatch(/data channel closed|DTLS/);
    expect(clientSaw).toEqual([]); // its own close is not a remote close
    // A late subscriber still hears it.
    const late = await new Promise<string>((resolve) => server.onRemoteClose(resolve));
    expect(late).toBe(serverSaw[0]);
    await server.close();
  });

  it('leaves no UDP socket open after 30 connect/close cycles', async () => {
    await new Promise((r) => setTimeout(r, 100));
    const before = udpSockets();
    for (let i = 0; i < 30; i++) {
      const { client, server } = await connect();
      server.onInputFrame((_, f) => server.sendFrame(0, f));
      client.sendFrame(0, patternFrame(64, 48, i));
      await Promise.all([client.close(), server.close()]);
      open.length = 0;
    }
    await waitFor(() => udpSockets() <= before, 2000, 'sockets to close').catch(() => undefined);
    expect(udpSockets()).toBe(before);
  }, 30_000);
});
