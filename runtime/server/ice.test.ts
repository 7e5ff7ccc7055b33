import { describe, expect, it } from 'vitest';
import { iceServersFromEnv } from './ice';
import { createServer } from './server';

describe('ICE servers from the environment', () => {
  it('reads STUN and TURN URLs with the TURN credentials; nothing by default', () => {
    expect(iceServersFromEnv({})).toEqual([]);
    expect(
      iceServersFromEnv({
        PATCHBAY_STUN_URLS: 'stun:stun.example.org:3478',
        PATCHBAY_TURN_URLS: 'turn:turn.example.org:3478?transport=udp, turns:turn.example.org:5349',
        PATCHBAY_TURN_USERNAME: 'user',
        PATCHBAY_TURN_CREDENTIAL: 'secret',
      }),
    ).toEqual([
      { urls: ['stun:stun.example.org:3478'] },
      {
        urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'],
        username: 'user',
        credential: 'secret',
      },
    ]);
  });

  it('names the variable that is wrong', () => {
    expect(() => iceServersFromEnv({ PATCHBAY_TURN_URLS: 'turn:x' })).toThrow(/PATCHBAY_TURN_USERNAME/);
    expect(() => iceServersFromEnv({ PATCHBAY_STUN_URLS: 'http://x' })).toThrow(
      /PATCHBAY_STUN_URLS: "http:\/\/x"/,
    );
  });

  it('/api/v1/webrtc/ice-servers answers them', async () => {
    const before = { ...process.env };
    process.env.PATCHBAY_TURN_URLS = 'turn:127.0.0.1:3478';
    process.env.PATCHBAY_TURN_USERNAME = 'u';
    process.env.PATCHBAY_TURN_CREDENTIAL = 'c';
    try {
      const server = createServer({
        port: 8137,
        dataDir: `/tmp/pb-ice-${process.pid}`,
        createSession: () => Promise.reject(new Error('none')),
        log: () => {},
      });
      const r = await server.app.inject({
        url: '/api/v1/webrtc/ice-servers',
        headers: { host: '127.0.0.1:8137' },
      });
      expect(r.json()).toEqual({
        iceServers: [{ urls: ['turn:127.0.0.1:3478'], username: 'u', credential: 'c' }],
      });
      await server.close();
    } finally {
      for (const k of ['PATCHBAY_TURN_URLS', 'PATCHBAY_TURN_USERNAME', 'PATCHBAY_TURN_CREDENTIAL'])
        if (before[k] === undefined) delete process.env[k];
        else process.env[k] = before[k];
    }
  });
});
