/**
 * `/api/v1/session/output.ts`: a headless session's Output as live MPEG-TS, read back over real
 * HTTP and demuxed by FFmpeg (node-av): a transport stream with one video stream of the
 * session's size, and its frames decode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decoder, Demuxer } from 'node-av/api';
import { startTestServer, type TestServer } from './test-server';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer('pb-output-ts-');
});

afterAll(async () => {
  await t.close();
});

async function readStream(url: string, bytes: number, ms: number): Promise<Buffer> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('video/mp2t');
  const chunks: Buffer[] = [];
  let n = 0;
  const deadline = Date.now() + ms;
  const reader = res.body!.getReader();
  while (n < bytes && Date.now() < deadline) {
    const r = await Promise.race([
      reader.read(),
      new Promise<{ done: true; value: undefined }>((resolve) =>
        setTimeout(() => resolve({ done: true, value: undefined }), Math.max(1, deadline - Date.now())),
      ),
    ]);
    if (r.done) break;
    chunks.push(Buffer.from(r.value));
    n += r.value.length;
  }
  ac.abort();
  return Buffer.concat(chunks);
}

describe('GET /api/v1/session/output.ts', () => {
  it('404s without a session, then streams the headless Output as MPEG-TS that FFmpeg decodes', async () => {
    expect((await fetch(`${t.url}/api/v1/session/output.ts`)).status).toBe(404);
    const start = await fetch(`${t.url}/api/v1/session/start`, {
      method: 'POST',
      body: JSON.stringify({ pipeline_id: 'passthrough', input_mode: 'text' }),
    });
    expect(start.status).toBe(200);
    const ts = await readStream(`${t.url}/api/v1/session/output.ts`, 60_000, 15_000);
    expect(ts.length).toBeGreaterThan(188 * 20);
    // Transport-stream packets: 188 bytes, each starting with the sync byte 0x47.
    const whole = ts.subarray(0, ts.length - (ts.length % 188));
    for (let i = 0; i < whole.length; i += 188) expect(whole[i]).toBe(0x47);

    const demuxer = await Demuxer.open(whole, { format: 'mpegts' });
    const video = demuxer.video()!;
    expect(video).toBeTruthy();
    expect([video.codecpar.width, video.codecpar.height]).toEqual([512, 512]);
    const decoder = await Decoder.create(video);
    let decoded = 0;
    // The sync generators: the async ones need Promise.withResolvers (Node 22).
    for (const frame of decoder.framesSync(demuxer.packetsSync(video.index))) {
      if (!frame) break;
      expect([frame.width, frame.height]).toEqual([512, 512]);
      decoded++;
      frame.free();
    }
    decoder.close();
    await demuxer.close();
    expect(decoded).toBeGreaterThan(3);
    // The viewer went away: the stream's encoder is freed, the session keeps running.
    expect(t.server.sessions.runtime('headless')?.session.state()).toBe('running');
    await fetch(`${t.url}/api/v1/session/stop`, { method: 'POST' });
  });
});
