/**
 * Generates test media with Patchbay's own encoder (nothing downloaded): the test pattern as
 * WebM and IVF (VP8), each frame stamped with its number and time.
 *
 *   npx tsx scripts/make-test-media.ts [--out DIR] [--seconds 3] [--size 512x512] [--fps 30]
 *
 * Prints the written files as JSON. Tests call it (or runtime/io's makeTestMedia) for fixtures.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { makeTestMedia } from '../runtime/io';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'test-media' },
    seconds: { type: 'string', default: '3' },
    size: { type: 'string', default: '512x512' },
    fps: { type: 'string', default: '30' },
    name: { type: 'string', default: 'test-pattern' },
  },
});
const size = /^(\d+)x(\d+)$/.exec(values.size);
if (!size) {
  process.stderr.write(`--size "${values.size}" must look like 640x480\n`);
  process.exit(2);
}
try {
  const media = makeTestMedia({
    dir: resolve(values.out),
    seconds: Number(values.seconds),
    width: Number(size[1]),
    height: Number(size[2]),
    fps: Number(values.fps),
    name: values.name,
  });
  process.stdout.write(`${JSON.stringify(media)}\n`);
} catch (error) {
  process.stderr.write(`make-test-media: ${(error as Error).message}\n`);
  process.exit(1);
}
