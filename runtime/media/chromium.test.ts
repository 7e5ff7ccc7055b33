/**
 * Interop with the real client: Chromium's fake camera → MediaPeer (echo) → Chromium, plus the
 * "parameters" channel. Skipped where /usr/bin/chromium is missing. Loopback only.
 */
import { CHROMIUM_ARGS } from '../playwright/chromium';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { MediaPeer } from './peer';

const CHROMIUM = '/usr/bin/chromium';

interface BrowserStats {
  framesDecoded: number;
  frameWidth: number;
  sentWidth: number;
  limitation: string;
  pliReceived: number;
  msgs: string[];
}

describe.skipIf(!existsSync(CHROMIUM))('MediaPeer ↔ Chromium', () => {
  it('receives the camera at 640×480, echoes it back, and carries parameters', async () => {
    // A page on 127.0.0.1 is a secure context, so getUserMedia exists.
    const srv = createServer((_, res) => res.end('<!doctype html><body></body>'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const dir = mkdtempSync(join(tmpdir(), 'patchbay-media-'));
    const ctx = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    let peer: MediaPeer | null = null;
    try {
      const page = await ctx.newPage();
      await page.goto(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/`);
      const offer = await page.evaluate(async () => {
        const w = window as unknown as Record<string, unknown>;
        const cam = await navigator.mediaDevices.getUserMedia({
          video: { width: 640, height: 480, frameRate: 30 },
        });
        const pc = new RTCPeerConnection();
        w['pc'] = pc;
        pc.addTransceiver(cam.getVideoTracks()[0]!, { direction: 'sendrecv' });
        const dc = pc.createDataChannel('parameters', { ordered: true });
        const msgs: string[] = [];
        w['msgs'] = msgs;
        dc.onmessage = (e) => msgs.push(String(e.data));
        dc.onopen = () => dc.send(JSON.stringify({ prompts: [{ text: 'fog', weight: 1 }] }));
        pc.ontrack = (e) => {
          const v = document.createElement('video');
          v.muted = true;
          v.autoplay = true;
          v.srcObject = new MediaStream([e.track]);
          document.body.appendChild(v);
        };
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise<void>((r) => {
          pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
          setTimeout(r, 2000);
        });
        return pc.localDescription!.sdp;
      });
      const answered = await MediaPeer.answer(offer, { log: () => undefined });
      peer = answered.peer;
      const p = peer;
      const sizes: string[] = [];
      const data: Record<string, unknown>[] = [];
      p.onInputFrame((_, f) => {
        sizes.push(`${f.width}x${f.height}`);
        p.sendFrame(0, f);
      });
      p.onData((o) => {
        data.push(o);
        p.sendData({ type: 'parameters_updated', parameters: o });
      });
      await page.evaluate(async (sdp) => {
        const pc = (window as unknown as Record<string, RTCPeerConnection>)['pc']!;
        await pc.setRemoteDescription({ type: 'answer', sdp });
      }, answered.answerSdp);
      await new Promise((r) => setTimeout(r, 4000));
      const b: BrowserStats = await page.evaluate(async () => {
        const w = window as unknown as Record<string, unknown>;
        const report = await (w['pc'] as RTCPeerConnection).getStats();
        const out = {
          framesDecoded: 0,
          frameWidth: 0,
          sentWidth: 0,
          limitation: '',
          pliReceived: 0,
          msgs: w['msgs'] as string[],
        };
        report.forEach((s: Record<string, unknown>) => {
          if (s['type'] === 'inbound-rtp') {
            out.framesDecoded = Number(s['framesDecoded'] ?? 0);
            out.frameWidth = Number(s['frameWidth'] ?? 0);
          }
          if (s['type'] === 'outbound-rtp') {
            out.sentWidth = Number(s['frameWidth'] ?? 0);
            out.limitation = String(s['qualityLimitationReason'] ?? '');
            out.pliReceived = Number(s['pliCount'] ?? 0);
          }
        });
        return out;
      });
      expect(sizes.length).toBeGreaterThanOrEqual(30);
      expect(b.framesDecoded).toBeGreaterThanOrEqual(30);
      expect(b.pliReceived).toBeGreaterThanOrEqual(1); // our PLI on start reached Chromium
      // The fmtp floor + REMB keep Chromium at 640×480 unless it is short of CPU.
      if (b.limitation !== 'cpu') {
        expect(sizes.at(-1)).toBe('640x480');
        expect(b.frameWidth).toBe(640);
      }
      expect(data).toEqual([{ prompts: [{ text: 'fog', weight: 1 }] }]);
      expect(b.msgs.map((m) => JSON.parse(m))).toEqual([
        { type: 'parameters_updated', parameters: { prompts: [{ text: 'fog', weight: 1 }] } },
      ]);
      expect(p.stats().decodeErrors).toBe(0);
    } finally {
      await peer?.close();
      await ctx.close();
      srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
