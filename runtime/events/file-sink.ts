import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EventSink, StreamTraceEvent } from './events';

/**
 * Writes events as JSON lines to `<dir>/events-YYYY-MM-DD.jsonl` (UTC day of the event), one
 * synchronous append per event: events are few (a heartbeat every 10 s), and appending at once
 * keeps the order and loses nothing when the process is killed.
 */
export class JsonLinesFileSink implements EventSink {
  private failed = false;

  constructor(
    readonly dir: string,
    private readonly log: (line: string) => void = () => {},
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** The file for an ISO timestamp's day. */
  fileFor(timestamp: string): string {
    return join(this.dir, `events-${timestamp.slice(0, 10)}.jsonl`);
  }

  write(event: StreamTraceEvent): void {
    try {
      appendFileSync(this.fileFor(event.timestamp), JSON.stringify(event) + '\n');
      this.failed = false;
    } catch (error) {
      // A full disk must not stop the show; say so once per failure streak.
      if (!this.failed) this.log(`events: could not write to ${this.dir}: ${(error as Error).message}`);
      this.failed = true;
    }
  }

  async close(): Promise<void> {}
}

/** Keeps events in memory (tests, the status endpoint). */
export class MemorySink implements EventSink {
  readonly events: StreamTraceEvent[] = [];
  write(event: StreamTraceEvent): void {
    this.events.push(event);
  }
  async close(): Promise<void> {}
}
