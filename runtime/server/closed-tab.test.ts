/**
 * A Scope client in a real browser tab that is closed (no DELETE, no goodbye from the page's
 * code): the server must notice from the media layer (DTLS close_notify / SCTP abort / the
 * "parameters" channel closing) and tear the session down within about 2 s, not after the ≈ 30 s
 * ICE consent timeout. Real engine, real Chromium; skipped where /usr/bin/chromium is missing.
 */
import { CHROMIUM_ARGS } from '../playwright/chromium';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createSession } from '../session';
import { mediaPeerFactory } from './media';
import { createServer } from './server';

const CHROMIUM = '/usr/bin/chromium';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!existsSync(CHROMIUM))('a closed browser tab', () => {
  it.each(['camera', 'text'] as const)(
    '%s mode: ends its WebRTC session within about 2 s',
    async (mode) => {
      const dir = mkdtempSync(join(tmpdir(), 'pb-closed-tab-'));
      mkdirSync(join(dir, 'editor'));
      writeFileSync(join(dir, 'editor/index.html'), '<!doctype html><html><body></body></html>');
      const logs: string[] = [];
      const server = createServer({
        port: 0,
        dataDir: join(dir, 'data'),
        editorDir: join(dir, 'editor'),
        log: (l) => logs.push(l),
        createSession: (o) => createSession(o),
        createPeer: mediaPeerFactory(),
      });
      const url = await server.listen();
      const ctx = await chromium.launchPersistentContext(join(dir, 'profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: [...CHROMIUM_ARGS],
      });
      try {
        await fetch(`${url}/api/v1/pipeline/load`, {
          method: 'POST',
          body: JSON.stringify({ pipeline_ids: ['gray'] }),
        });
        for (let i = 0; i < 300; i++) {
          const st = (await (await fetch(`${url}/api/v1/pipeline/status`)).json()) as { status: string };
          if (st.status === 'loaded') break;
          await sleep(20);
        }
        const page = await ctx.newPage();
        await page.goto(`${url}/`);
        // Scope's client flow: camera on a sendrecv transceiver, the "parameters" channel, POST offer.
        // Text mode: a recvonly transceiver, so only RTCP comes back while the tab lives.
        const sessionId = await page.evaluate(async (text) => {
          const w = window as unknown as Record<string, unknown>;
          const pc = new RTCPeerConnection();
          w['pc'] = pc;
          if (text) pc.addTransceiver('video', { direction: 'recvonly' });
          else {
            const cam = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
            pc.addTransceiver(cam.getVideoTracks()[0]!, { direction: 'sendrecv' });
          }
          const dc = pc.createDataChannel('parameters', { ordered: true });
          w['dcOpen'] = false;
          dc.onopen = () => (w['dcOpen'] = true);
          await pc.setLocalDescription(await pc.createOffer());
          await new Promise<void>((r) => {
            pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
            setTimeout(r, 2000);
          });
          const res = await fetch('/api/v1/webrtc/offer', {
            method: 'POST',
            body: JSON.stringify({ sdp: pc.localDescription!.sdp, type: 'offer' }),
          });
          const answer = (await res.json()) as { sdp: string; sessionId: string; error?: string };
          if (!res.ok) throw new Error(answer.error);
          await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
          return answer.sessionId;
        }, mode === 'text');
        // Wait until the tab decodes processed frames and the channel is open: a live session.
        const live = async () =>
          page.evaluate(async () => {
            const w = window as unknown as { pc: RTCPeerConnection; dcOpen: boolean };
            let decoded = 0;
            (await w.pc.getStats()).forEach((r: { type: string; framesDecoded?: number }) => {
              if (r.type === 'inbound-rtp') decoded += r.framesDecoded ?? 0;
            });
            return w.dcOpen && decoded > 5;
          });
        const until = Date.now() + 15_000;
        while (!(await live())) {
          if (Date.now() > until) throw new Error('the tab never decoded frames');
          await sleep(100);
        }
        expect(server.sessions.metrics()).toMatchObject({ sessions: 1, peers: 1 });
        // Live for a few seconds: the remote's packets never pause as long as the silence limit
        // (2 s; in text mode only Chromium's RTCP comes back, about every second).
        await sleep(3000);
        const live1 = server.sessions.sessionStats();
        const webrtc = (Object.values(live1)[0] as { webrtc: { longestRemoteGapMs: number }[] }).webrtc[0]!;
        console.log(
          `[closed-tab] ${mode}: longest gap between packets from Chromium while live: ${webrtc.longestRemoteGapMs.toFixed(0)} ms`,
        );
        expect(webrtc.longestRemoteGapMs).toBeLessThan(2000);
        expect(server.sessions.metrics()).toMatchObject({ sessions: 1, peers: 1 });

        const t0 = Date.now();
        await page.close();
        while (server.sessions.metrics().sessions > 0 && Date.now() - t0 < 10_000) await sleep(20);
        const ms = Date.now() - t0;
        console.log(`[closed-tab] ${mode}: session torn down ${ms} ms after the tab closed`);
        expect(server.sessions.metrics()).toMatchObject({ sessions: 0, peers: 0 });
        expect(ms).toBeLessThan(3000);
        expect(
          logs.some((l) => l.includes(sessionId.slice(0, 8)) && l.includes('closed by the client (')),
        ).toBe(true);
      } finally {
        await ctx.close();
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
