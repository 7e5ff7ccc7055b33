import { CHROMIUM_ARGS as BASE_CHROMIUM_ARGS } from '../../runtime/playwright/chromium';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { SkipScenario } from '../types';

export const CHROMIUM = process.env.PATCHBAY_CHROMIUM || '/usr/bin/chromium';

/** The flags every Chromium in this project runs with (loopback WebRTC, fake media, no network). */
export const CHROMIUM_ARGS = [
  ...BASE_CHROMIUM_ARGS,
  // A background tab's timers are throttled; the bench page's 30 fps clock must not be.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** A headless Chromium in a fresh profile; `close()` removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM))
    throw new SkipScenario(
      `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set PATCHBAY_CHROMIUM)`,
    );
  const dir = mkdtempSync(join(tmpdir(), 'patchbay-bench-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Serves the files of one folder on a loopback port (the client page is "another local site",
 * as a Scope client would be). Only the names given are served.
 */
export async function servePages(
  dir: string,
  names: readonly string[],
): Promise<{ origin: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0]!.slice(1);
    if (!names.includes(name)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': name.endsWith('.html') ? 'text/html' : 'application/octet-stream' });
    res.end(readFileSync(join(dir, name)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
