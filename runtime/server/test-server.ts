/**
 * For tests beside this file (not part of the folder's public surface): a real server on a free
 * loopback port with the real session engine and media peers, in a temporary data folder. The
 * engine tests (cycles, latency, lifecycle, runtime-ws) each repeated this setup.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession } from '../session';
import { mediaPeerFactory } from './media';
import { createServer, type PatchbayServer, type ServerOptions } from './server';

/** A started test server: its URL, its data folder, and `close()` that also removes the folder. */
export interface TestServer {
  server: PatchbayServer;
  url: string;
  dir: string;
  close(): Promise<void>;
}

/**
 * Starts `createServer` with the real engine (`createSession`, `mediaPeerFactory`), quiet, on
 * port 0; `options` adds to or overrides that. With `pipelines`, loads them and waits (up to
 * 2 s) for /api/v1/pipeline/status to say "loaded", so the first session does not wait for it.
 */
export async function startTestServer(
  prefix: string,
  options: Partial<ServerOptions> = {},
  pipelines: string[] = [],
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const server = createServer({
    port: 0,
    dataDir: dir,
    log: () => {},
    createSession: (o) => createSession(o),
    createPeer: mediaPeerFactory(),
    ...options,
  });
  const url = await server.listen();
  if (pipelines.length) {
    await fetch(`${url}/api/v1/pipeline/load`, {
      method: 'POST',
      body: JSON.stringify({ pipeline_ids: pipelines }),
    });
    for (
      let i = 0;
      i < 200 &&
      ((await (await fetch(`${url}/api/v1/pipeline/status`)).json()) as { status: string }).status !==
        'loaded';
      i++
    )
      await new Promise((r) => setTimeout(r, 10));
  }
  return {
    server,
    url,
    dir,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
