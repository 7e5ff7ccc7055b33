/**
 * Small shared pieces for talking to FFmpeg through node-av's low-level API (`node-av/lib`):
 * error text, the process-wide log level, and the error class media files fail with.
 *
 * Only node-av's synchronous, low-level calls are used here (`openInputSync`, `readFrameSync`,
 * `sendPacketSync` …): they work on Node 20 as on 22+, unlike the high-level `packets()`
 * iterator, which needs `Promise.withResolvers` and yields `null` on Node 20.
 */
import { FFmpegError, Log } from 'node-av/lib';
import { AV_LOG_FATAL } from 'node-av/constants';

let quiet = false;
/** FFmpeg logs to stderr process-wide; errors are reported as return codes and node status instead. */
export function quietFfmpeg(): void {
  if (quiet) return;
  quiet = true;
  Log.setLevel(AV_LOG_FATAL);
}

/** FFmpeg's own words for an error code ("Invalid data found when processing input"). */
export function ffmpegMessage(code: number): string {
  try {
    return FFmpegError.strerror(code);
  } catch {
    return `FFmpeg error ${code}`;
  }
}

/**
 * A media file that cannot be opened, read or written: the message names the file and what
 * FFmpeg said, so it can go on the node as it is.
 */
export class MediaFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'MediaFileError';
  }
}

/** Throws a MediaFileError for a negative FFmpeg return code. */
export function check(code: number, file: string, what: string): number {
  if (code < 0) throw new MediaFileError(file, `${file}: ${what}: ${ffmpegMessage(code)}`);
  return code;
}
