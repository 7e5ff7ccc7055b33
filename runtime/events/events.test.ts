import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock';
import {
  EventEmitterLog,
  JsonLinesFileSink,
  KafkaSink,
  MemorySink,
  kafkaSinkFromEnv,
  startHeartbeat,
  type KafkaProducerLike,
} from './index';

describe('EventEmitterLog', () => {
  it('emits the stream_trace shape with the session context on every event', () => {
    const sink = new MemorySink();
    const log = new EventEmitterLog(
      [sink],
      { client_source: 'cloud', connection_id: 'c1' },
      () => new Date('2025-01-02T03:04:05.000Z'),
    );
    log.emit('websocket_connected');
    log.set({ user_id: 'u', session_id: 's', pipeline_ids: ['gray'] });
    log.emit('session_created', { mode: 'relay' });
    log.error('webrtc_offer_failed', 'bad sdp', true);
    expect(sink.events.map((e) => e.data.type)).toEqual(['websocket_connected', 'session_created', 'error']);
    const [first, second, third] = sink.events;
    expect(first).toMatchObject({
      type: 'stream_trace',
      timestamp: '2025-01-02T03:04:05.000Z',
      data: {
        client_source: 'cloud',
        connection_id: 'c1',
        session_id: null,
        user_id: null,
        pipeline_ids: [],
      },
    });
    expect(typeof first!.id).toBe('string');
    expect(first!.id).not.toBe(second!.id);
    expect(second!.data).toMatchObject({
      mode: 'relay',
      user_id: 'u',
      session_id: 's',
      pipeline_ids: ['gray'],
    });
    expect(third!.data.error).toEqual({
      error_type: 'webrtc_offer_failed',
      message: 'bad sdp',
      recoverable: true,
    });
  });

  it('does not let extra fields override the type or the context', () => {
    const sink = new MemorySink();
    const log = new EventEmitterLog([sink], { client_source: 'local', connection_id: 'c' });
    log.emit('stream_started', { type: 'forged', connection_id: 'other' });
    expect(sink.events[0]!.data.type).toBe('stream_started');
    expect(sink.events[0]!.data.connection_id).toBe('c');
  });
});

describe('heartbeat', () => {
  it('fires every 10 s on the injected clock with counts, rates and elapsed time', () => {
    const clock = new ManualClock(1000);
    const sink = new MemorySink();
    const log = new EventEmitterLog([sink], { client_source: 'local', connection_id: 'c' });
    let n = 0;
    const stop = startHeartbeat(log, clock, () => ({ frames_in: n, frames_out: Math.floor(n / 2) }));
    clock.advance(9_999);
    expect(sink.events).toHaveLength(0);
    n = 300;
    clock.advance(1);
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]!.data).toMatchObject({
      type: 'stream_heartbeat',
      frames_in: 300,
      frames_out: 150,
      fps_in: 30,
      fps_out: 15,
      elapsed_ms: 10_000,
    });
    n = 400;
    clock.advance(10_000);
    expect(sink.events[1]!.data).toMatchObject({ frames_in: 400, fps_in: 10, elapsed_ms: 20_000 });
    stop();
    clock.advance(60_000);
    expect(sink.events).toHaveLength(2);
  });
});

describe('JsonLinesFileSink', () => {
  it('appends one JSON line per event to the daily file, in order', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pb-events-')), 'events');
    const sink = new JsonLinesFileSink(dir);
    let day = '2025-03-04';
    const log = new EventEmitterLog(
      [sink],
      { client_source: 'local', connection_id: 'c' },
      () => new Date(`${day}T23:59:59.000Z`),
    );
    log.emit('websocket_connected');
    log.emit('stream_started');
    day = '2025-03-05';
    log.emit('stream_stopped');
    expect(readdirSync(dir).sort()).toEqual(['events-2025-03-04.jsonl', 'events-2025-03-05.jsonl']);
    const lines = readFileSync(join(dir, 'events-2025-03-04.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).data.type)).toEqual(['websocket_connected', 'stream_started']);
  });

  it('reports a write failure once and does not throw', () => {
    const lines: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'pb-events-'));
    const sink = new JsonLinesFileSink(dir, (l) => lines.push(l));
    // A directory where the day's file should be makes appendFileSync fail.
    const log = new EventEmitterLog(
      [sink],
      { client_source: 'x', connection_id: null },
      () => new Date('2025-01-01T00:00:00Z'),
    );
    mkdirSync(sink.fileFor('2025-01-01T00:00:00Z'));
    expect(() => {
      log.emit('stream_started');
      log.emit('stream_stopped');
    }).not.toThrow();
    expect(lines).toHaveLength(1);
  });
});

class FakeProducer implements KafkaProducerLike {
  sent: { topic: string; messages: { key: string | null; value: string }[] }[] = [];
  connects = 0;
  disconnects = 0;
  failNext = 0;
  async connect(): Promise<void> {
    this.connects++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('broker unreachable');
    }
  }
  async send(record: { topic: string; messages: { key: string | null; value: string }[] }): Promise<unknown> {
    this.sent.push(record);
    return [];
  }
  async disconnect(): Promise<void> {
    this.disconnects++;
  }
}

describe('KafkaSink', () => {
  it('sends every event once, in order, keyed by connection_id', async () => {
    const producer = new FakeProducer();
    const sink = new KafkaSink(producer, 'trace');
    const log = new EventEmitterLog([sink], { client_source: 'cloud', connection_id: 'conn-9' });
    log.emit('websocket_connected');
    log.emit('session_created');
    log.emit('stream_started');
    await sink.close();
    const messages = producer.sent.flatMap((r) => r.messages);
    expect(producer.sent.every((r) => r.topic === 'trace')).toBe(true);
    expect(messages.map((m) => m.key)).toEqual(['conn-9', 'conn-9', 'conn-9']);
    expect(messages.map((m) => JSON.parse(m.value).data.type)).toEqual([
      'websocket_connected',
      'session_created',
      'stream_started',
    ]);
    expect(producer.connects).toBe(1);
    expect(producer.disconnects).toBe(1);
  });

  it('keeps events while the broker is down and sends them on the next write', async () => {
    const producer = new FakeProducer();
    producer.failNext = 1;
    const logged: string[] = [];
    const sink = new KafkaSink(producer, 'trace', (l) => logged.push(l));
    const log = new EventEmitterLog([sink], { client_source: 'cloud', connection_id: 'c' });
    log.emit('websocket_connected');
    await sink.flush();
    expect(producer.sent).toHaveLength(0);
    expect(logged[0]).toMatch(/broker unreachable/);
    log.emit('stream_started');
    await sink.flush();
    expect(producer.sent.flatMap((r) => r.messages).map((m) => JSON.parse(m.value).data.type)).toEqual([
      'websocket_connected',
      'stream_started',
    ]);
  });

  it('is created from the environment only when KAFKA_BOOTSTRAP_SERVERS is set', async () => {
    expect(await kafkaSinkFromEnv({})).toBeNull();
    const sink = await kafkaSinkFromEnv({ KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1', KAFKA_TOPIC: 't2' });
    expect(sink).toBeInstanceOf(KafkaSink);
    expect(sink!.topic).toBe('t2');
  });
});
