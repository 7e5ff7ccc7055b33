/**
 * Lifecycle events (Scope's `stream_trace`): an emitter that stamps one session's context,
 * heartbeats on the injected clock, and sinks — JSON lines in the events folder, Kafka when
 * KAFKA_BOOTSTRAP_SERVERS is set. See README.md.
 */
import { join } from 'node:path';
import type { EventSink } from './events';
import { JsonLinesFileSink } from './file-sink';
import { kafkaSinkFromEnv } from './kafka-sink';

export { EventEmitterLog, startHeartbeat, EVENT_TYPES, ERROR_TYPES, HEARTBEAT_MS } from './events';
export type {
  EventContext,
  EventSink,
  HeartbeatCounters,
  StreamErrorType,
  StreamEventType,
  StreamTraceData,
  StreamTraceEvent,
} from './events';
export { JsonLinesFileSink, MemorySink } from './file-sink';
export { KafkaSink, kafkaSinkFromEnv, DEFAULT_KAFKA_TOPIC } from './kafka-sink';
export type { KafkaProducerLike } from './kafka-sink';

/**
 * The default sinks: JSON lines in `<dataDir>/events`, plus Kafka when the environment names
 * brokers.
 */
export async function defaultEventSinks(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = () => {},
): Promise<EventSink[]> {
  const sinks: EventSink[] = [new JsonLinesFileSink(join(dataDir, 'events'), log)];
  const kafka = await kafkaSinkFromEnv(env, log);
  if (kafka) sinks.push(kafka);
  return sinks;
}
