import type { EventSink, StreamTraceEvent } from './events';

/** The part of a kafkajs Producer the sink uses (tests inject a fake). */
export interface KafkaProducerLike {
  connect(): Promise<void>;
  send(record: { topic: string; messages: { key: string | null; value: string }[] }): Promise<unknown>;
  disconnect(): Promise<void>;
}

export const DEFAULT_KAFKA_TOPIC = 'patchbay-stream-trace';
/** Events kept while Kafka is unreachable; the oldest go first beyond this. */
const MAX_BUFFERED = 10_000;

/**
 * Sends events to a Kafka topic, keyed by connection_id so one session's events stay in order
 * on one partition. Sends are serialised and batched; while the broker is unreachable events
 * wait in a bounded buffer and the sink retries on the next write.
 */
export class KafkaSink implements EventSink {
  private buffer: StreamTraceEvent[] = [];
  private connected: Promise<void> | null = null;
  private flushing: Promise<void> | null = null;
  private dropped = 0;
  private lastError = '';

  constructor(
    private readonly producer: KafkaProducerLike,
    readonly topic: string = DEFAULT_KAFKA_TOPIC,
    private readonly log: (line: string) => void = () => {},
  ) {}

  write(event: StreamTraceEvent): void {
    this.buffer.push(event);
    if (this.buffer.length > MAX_BUFFERED) {
      this.buffer.shift();
      this.dropped++;
    }
    void this.flush();
  }

  /** Sends everything buffered; resolves when the buffer is empty or a send failed. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /** Events given up because the buffer was full. */
  get droppedCount(): number {
    return this.dropped;
  }

  private async drain(): Promise<void> {
    while (this.buffer.length) {
      const batch = this.buffer.slice(0, 100);
      try {
        this.connected ??= this.producer.connect();
        await this.connected;
        await this.producer.send({
          topic: this.topic,
          messages: batch.map((e) => ({ key: e.data.connection_id, value: JSON.stringify(e) })),
        });
        this.buffer.splice(0, batch.length);
        this.lastError = '';
      } catch (error) {
        this.connected = null;
        const message = (error as Error).message;
        if (message !== this.lastError) this.log(`events: Kafka send failed (will retry): ${message}`);
        this.lastError = message;
        return;
      }
    }
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.connected) await this.producer.disconnect().catch(() => {});
    this.connected = null;
  }
}

/**
 * A KafkaSink on kafkajs when `KAFKA_BOOTSTRAP_SERVERS` is set (comma-separated brokers;
 * `KAFKA_TOPIC` overrides the topic), else null.
 */
export async function kafkaSinkFromEnv(
  env: NodeJS.ProcessEnv,
  log: (line: string) => void = () => {},
): Promise<KafkaSink | null> {
  const servers = env.KAFKA_BOOTSTRAP_SERVERS?.trim();
  if (!servers) return null;
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({
    clientId: 'patchbay',
    brokers: servers
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    logLevel: logLevel.ERROR,
  });
  return new KafkaSink(kafka.producer(), env.KAFKA_TOPIC?.trim() || DEFAULT_KAFKA_TOPIC, log);
}
