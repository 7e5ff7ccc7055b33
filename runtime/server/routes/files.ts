/**
 * Files the server hands out or takes in: assets (confined to the assets folder, size-capped,
 * media types only), patches (examples + the user's folder) and the built editor.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, realpath, stat, writeFile, rename } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { serializePatch } from '../../../patches';
import { HttpError, type ServerContext } from '../context';
import { parseUntrustedJson, JsonInputError } from '../../json';
import { tokenPageAllowed } from '../security';
import { validatedPatch } from './patch-input';

const MEDIA_TYPES: Record<string, { mime: string; kind: 'image' | 'video' | 'audio' }> = {
  '.png': { mime: 'image/png', kind: 'image' },
  '.jpg': { mime: 'image/jpeg', kind: 'image' },
  '.jpeg': { mime: 'image/jpeg', kind: 'image' },
  '.webp': { mime: 'image/webp', kind: 'image' },
  '.gif': { mime: 'image/gif', kind: 'image' },
  '.bmp': { mime: 'image/bmp', kind: 'image' },
  '.mp4': { mime: 'video/mp4', kind: 'video' },
  '.webm': { mime: 'video/webm', kind: 'video' },
  '.mov': { mime: 'video/quicktime', kind: 'video' },
  '.mkv': { mime: 'video/x-matroska', kind: 'video' },
  '.ivf': { mime: 'video/x-ivf', kind: 'video' },
  '.wav': { mime: 'audio/wav', kind: 'audio' },
  '.mp3': { mime: 'audio/mpeg', kind: 'audio' },
  '.ogg': { mime: 'audio/ogg', kind: 'audio' },
};

/**
 * A Vite build's content-hashed file (`assets/index-B3x9_kLq.js`): its name changes whenever its
 * bytes do, so browsers may keep it for a year without asking again.
 */
export const HASHED_ASSET = /(^|\/)assets\/.+[-.][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/** Headers every static file gets. */
const setStaticHeaders = (res: { setHeader(name: string, value: string): void }) =>
  res.setHeader('x-content-type-options', 'nosniff');

/** An asset file name: one path segment, no dot-files, a known media extension. */
export function assetNameProblem(name: string): string | null {
  if (!name || name.length > 200) return 'the file name must be 1 to 200 characters';
  if (/[/\\\0]/.test(name) || name.includes('..')) return 'the file name must not contain "/", "\\" or ".."';
  if (name.startsWith('.')) return 'the file name must not start with "."';
  if (!MEDIA_TYPES[extname(name).toLowerCase()])
    return `only images, video and audio are accepted (${Object.keys(MEDIA_TYPES).join(', ')})`;
  return null;
}

/**
 * Resolves `rel` inside `root`, following symlinks, and refuses anything that lands outside.
 * Returns null for a path that escapes or does not exist.
 */
export async function confinedPath(root: string, rel: string): Promise<string | null> {
  if (rel.includes('\0')) return null;
  const rootReal = await realpath(root).catch(() => null);
  if (!rootReal) return null;
  const candidate = resolve(rootReal, rel);
  if (candidate !== rootReal && !candidate.startsWith(rootReal + sep)) return null;
  const real = await realpath(candidate).catch(() => null);
  if (!real || (real !== rootReal && !real.startsWith(rootReal + sep))) return null;
  return real;
}

async function assetInfo(root: string, file: string) {
  const s = await stat(file);
  const rel = relative(root, file).split(sep).join('/');
  const folder = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
  return {
    name: rel.slice(rel.lastIndexOf('/') + 1),
    path: rel,
    size_mb: Math.round((s.size / (1024 * 1024)) * 1000) / 1000,
    folder,
    type: MEDIA_TYPES[extname(file).toLowerCase()]?.kind ?? 'other',
    created_at: s.birthtime.toISOString(),
  };
}

async function listAssets(root: string) {
  const out: Awaited<ReturnType<typeof assetInfo>>[] = [];
  const stack = [root];
  while (stack.length && out.length < 5000) {
    const dir = stack.pop()!;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) stack.push(full);
      else if (e.isFile() && MEDIA_TYPES[extname(e.name).toLowerCase()])
        out.push(await assetInfo(root, full));
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** A patch name: letters, digits, space, `_`, `-`, `.`; no slashes or `..`. */
export function patchNameProblem(name: string): string | null {
  const base = name.endsWith('.patch') ? name.slice(0, -'.patch'.length) : name;
  if (!/^[A-Za-z0-9 _.-]{1,100}$/.test(base) || base.includes('..') || base.startsWith('.'))
    return 'a patch name is 1 to 100 letters, digits, spaces, "_", "-" or "." (no "/" or "..")';
  return null;
}

const patchFile = (name: string) => (name.endsWith('.patch') ? name : `${name}.patch`);

async function listPatches(dir: string, source: 'example' | 'user') {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: { name: string; source: string; size: number; modified_at: string }[] = [];
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith('.patch')) continue;
    const s = await stat(join(dir, e.name));
    out.push({
      name: e.name.slice(0, -'.patch'.length),
      source,
      size: s.size,
      modified_at: s.mtime.toISOString(),
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function injectToken(html: string, token: string): string {
  const meta = `<meta name="patchbay-token" content="${token}">`;
  return /<head[^>]*>/i.test(html)
    ? html.replace(/<head[^>]*>/i, (m) => `${m}\n    ${meta}`)
    : `${meta}\n${html}`;
}

function missingEditorPage(token: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta name="patchbay-token" content="${token}"><title>Patchbay</title>
<style>body{font:16px system-ui,sans-serif;background:#111;color:#ddd;max-width:40em;margin:4em auto}code{background:#222;padding:.2em .4em}</style>
</head><body><h1>Patchbay runtime is running</h1>
<p>The editor has not been built. Run <code>npm run build:editor</code> and reload, or start with <code>npm start</code>.</p>
<p>The Scope-compatible API is served under <code>/api/v1/</code> (try <a href="/health">/health</a>).</p>
</body></html>`;
}

function crossSitePage(): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Patchbay</title></head><body>
<h1>Open Patchbay directly</h1>
<p>This page was requested by another website, so the runtime does not hand it its launch token.
Type the runtime's address (for example <code>http://127.0.0.1:8000/</code>) into the address bar instead.</p>
</body></html>`;
}

/**
 * Sends a file that `confinedPath` resolved inside `root` through @fastify/static (its `send`):
 * the content type from the extension (mp4, webp, wasm, fonts, …), byte ranges (`Range` →
 * 206, so video elements can seek), `ETag` / `Last-Modified` with 304 answers, and HEAD.
 */
async function sendFile(
  reply: FastifyReply,
  root: string,
  file: string,
  cache: { maxAge: number; immutable: boolean } | 'no-cache',
): Promise<FastifyReply> {
  const rootReal = await realpath(root);
  const rel = relative(rootReal, file).split(sep).join('/');
  if (cache === 'no-cache') {
    reply.header('cache-control', 'no-cache');
    return reply.sendFile(rel, rootReal, { cacheControl: false });
  }
  return reply.sendFile(rel, rootReal, { maxAge: cache.maxAge, immutable: cache.immutable });
}

export function fileRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { opts } = ctx;
  // The reply.sendFile decorator only: routes below decide what may be served (confinedPath).
  void app.register(fastifyStatic, {
    root: resolve(opts.editorDir),
    serve: false,
    dotfiles: 'deny',
    setHeaders: setStaticHeaders,
  });

  app.get('/api/v1/assets', async (req) => {
    const type = (req.query as Record<string, unknown>).type;
    if (type !== undefined && type !== 'image' && type !== 'video' && type !== 'audio')
      throw new HttpError(400, 'type must be "image", "video" or "audio"');
    const assets = await listAssets(opts.assetsDir);
    return { assets: type ? assets.filter((a) => a.type === type) : assets };
  });

  app.post('/api/v1/assets', { bodyLimit: opts.maxUploadBytes }, async (req) => {
    const filename = (req.query as Record<string, unknown>).filename;
    if (typeof filename !== 'string') throw new HttpError(400, 'the filename query parameter is required');
    const problem = assetNameProblem(filename);
    if (problem) throw new HttpError(400, `bad filename "${filename.slice(0, 100)}": ${problem}`);
    const body = req.body;
    const bytes = Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body) : null;
    if (!bytes || bytes.length === 0) throw new HttpError(400, 'the body must be the file bytes');
    await mkdir(opts.assetsDir, { recursive: true });
    const target = join(opts.assetsDir, filename);
    // Write then rename, so a reader never sees half a file.
    const tmp = `${target}.${process.pid}.upload`;
    await writeFile(tmp, bytes);
    await rename(tmp, target);
    return assetInfo(await realpath(opts.assetsDir), await realpath(target));
  });

  app.get('/api/v1/assets/*', async (req, reply) => {
    // The router has decoded the path once already: decoding again would turn "100%.png" into an
    // error and "%2525" into "%".
    const rel = (req.params as Record<string, string>)['*'] ?? '';
    const file = await confinedPath(opts.assetsDir, rel);
    const media = MEDIA_TYPES[extname(rel).toLowerCase()];
    if (!file || !media || !(await stat(file)).isFile())
      throw new HttpError(404, `no asset "${rel.slice(0, 200)}"`);
    // Assets can be replaced under the same name: revalidate (ETag) rather than cache blindly.
    return sendFile(reply, opts.assetsDir, file, 'no-cache');
  });

  app.get('/api/v1/patches', async () => ({
    default: opts.defaultPatch,
    patches: [
      ...(await listPatches(opts.examplesDir, 'example')),
      ...(await listPatches(opts.patchesDir, 'user')),
    ],
  }));

  app.get('/api/v1/patches/:name', async (req, reply) => {
    const { name } = req.params as { name: string };
    const problem = patchNameProblem(name);
    if (problem) throw new HttpError(400, problem);
    // The user's copy wins over an example of the same name.
    for (const dir of [opts.patchesDir, opts.examplesDir]) {
      const file = await confinedPath(dir, patchFile(name));
      if (file) return reply.type('application/json').send(await readFile(file, 'utf8'));
    }
    throw new HttpError(404, `no patch "${name}"`);
  });

  app.put('/api/v1/patches/:name', async (req) => {
    const { name } = req.params as { name: string };
    const problem = patchNameProblem(name);
    if (problem) throw new HttpError(400, problem);
    const raw = req.body;
    const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
    let value: unknown;
    try {
      value = parseUntrustedJson(text, { maxBytes: opts.maxJsonBytes, what: 'patch' });
    } catch (error) {
      if (error instanceof JsonInputError) throw new HttpError(400, error.message);
      throw error;
    }
    const patch = validatedPatch(value, 'the patch');
    await mkdir(opts.patchesDir, { recursive: true });
    const target = join(opts.patchesDir, patchFile(name));
    const tmp = `${target}.${process.pid}.tmp`;
    await writeFile(tmp, serializePatch(patch));
    await rename(tmp, target);
    return { status: 'ok', name: patchFile(name).slice(0, -'.patch'.length) };
  });

  // The editor: its index.html gets the launch token; other files are served as they are. A page
  // another site loads or frames (Sec-Fetch-Site: cross-site) never gets the token.
  const refuseCrossSite = (req: FastifyRequest, reply: FastifyReply) => {
    if (tokenPageAllowed(req.headers)) return null;
    ctx.log(
      `refused the editor page to a cross-site request (${req.method} ${req.url.split('?')[0]!.slice(0, 100)})`,
    );
    return reply
      .code(403)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(crossSitePage());
  };
  const editorIndex = async (req: FastifyRequest, reply: FastifyReply) => {
    const refused = refuseCrossSite(req, reply);
    if (refused) return refused;
    const index = join(opts.editorDir, 'index.html');
    const html = existsSync(index)
      ? injectToken(await readFile(index, 'utf8'), ctx.token)
      : missingEditorPage(ctx.token);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
  };
  app.get('/', async (req, reply) => editorIndex(req, reply));
  // The headless player (runtime/playwright): play.html with the same token, no editor chrome.
  const playerPage = async (req: FastifyRequest, reply: FastifyReply) => {
    const refused = refuseCrossSite(req, reply);
    if (refused) return refused;
    const page = join(opts.editorDir, 'play.html');
    if (!existsSync(page))
      throw new HttpError(503, 'the player page has not been built: run "npm run build:editor" and reload');
    const html = injectToken(await readFile(page, 'utf8'), ctx.token);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
  };
  app.get('/play', async (req, reply) => playerPage(req, reply));
  app.get('/*', async (req, reply) => {
    const rel = (req.params as Record<string, string>)['*'] ?? '';
    if (rel.startsWith('api/'))
      throw new HttpError(404, `no such endpoint: ${req.method} /${rel.slice(0, 200)}`);
    // A path without an extension is a client-side route of the single-page app. The wildcard
    // param is already decoded once by the router: never decode it again (`100%.png`).
    if (!extname(rel)) return editorIndex(req, reply);
    const file = await confinedPath(opts.editorDir, rel);
    if (!file || !(await stat(file)).isFile()) throw new HttpError(404, `no file "${rel.slice(0, 200)}"`);
    if (file.endsWith('index.html')) return editorIndex(req, reply);
    if (file.endsWith('play.html')) return playerPage(req, reply);
    return sendFile(
      reply,
      opts.editorDir,
      file,
      HASHED_ASSET.test(rel) ? { maxAge: 365 * 24 * 3600 * 1000, immutable: true } : 'no-cache',
    );
  });
}
