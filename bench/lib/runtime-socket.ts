import WebSocket from 'ws';
import { waitFor } from './proc';

/** A client of the runtime WebSocket (the editor's protocol): load, start, live edits. */
export interface RuntimeSocket {
  sessionId: string;
  /** Sends a message with a fresh requestId and resolves to its ack. */
  request(msg: Record<string, unknown>): Promise<{ ok: boolean; error?: string }>;
  messages: Record<string, unknown>[];
  close(): void;
}

/** Reads the launch token from the served page and opens /api/v1/runtime with it. */
export async function openRuntimeSocket(serverUrl: string): Promise<RuntimeSocket> {
  const html = await (await fetch(`${serverUrl}/`)).text();
  const token = /<meta name="patchbay-token" content="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`no patchbay-token meta tag in ${serverUrl}/`);
  const ws = new WebSocket(
    `${serverUrl.replace(/^http/, 'ws')}/api/v1/runtime?token=${encodeURIComponent(token)}`,
  );
  const messages: Record<string, unknown>[] = [];
  const waiting = new Map<string, (ack: { ok: boolean; error?: string }) => void>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    if (m.type !== 'stats') messages.push(m);
    if (m.type === 'ack' && typeof m.requestId === 'string') waiting.get(m.requestId)?.(m as never);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const hello = await waitFor(
    'the runtime socket hello',
    async () => messages.find((m) => m.type === 'hello'),
    10_000,
  );
  let n = 0;
  return {
    sessionId: String(hello.sessionId),
    messages,
    request(msg) {
      const requestId = `bench-${++n}`;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ack for ${String(msg.type)} in 30 s`)), 30_000);
        waiting.set(requestId, (ack) => {
          clearTimeout(timer);
          waiting.delete(requestId);
          resolve(ack);
        });
        ws.send(JSON.stringify({ ...msg, requestId }));
      });
    },
    close: () => ws.close(),
  };
}
