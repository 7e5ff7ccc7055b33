import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { JsonLinesFileSink, kafkaSinkFromEnv, type EventSink } from '../events';
import { JsonInputError, parseUntrustedJson } from '../json';
import { RelayClient } from './client';
import { installRemoteHub } from './hub';

/**
 * The local runtime's cloud endpoints (SCOPE-COMPAT.md): `POST /api/v1/cloud/connect`,
 * `/disconnect`, `GET /api/v1/cloud/status`, plus `POST /api/v1/cloud/api` which proxies a
 * REST call about remote pipelines to the cloud runtime through an `api` message. Registered by
 * the server; one RelayClient per server, whose hub serves the remote Pipeline nodes.
 */

/** What the routes need of the server. */
export interface RelayRouteContext {
  opts: { dataDir: string; maxJsonBytes: number };
  log: (line: string) => void;
}

/** An error the server's handler turns into `{error, detail}` with this status. */
function httpError(statusCode: number, message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode });
}

function bodyOf(raw: unknown, maxBytes: number, optional: boolean): Record<string, unknown> {
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
  if (!text) {
    if (optional) return {};
    throw httpError(400, 'a JSON object body is required');
  }
  let value: unknown;
  try {
    value = parseUntrustedJson(text, { maxBytes });
  } catch (error) {
    throw httpError(400, error instanceof JsonInputError ? error.message : 'the body is not JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw httpError(400, 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export interface RelayRoutesOptions {
  env?: NodeJS.ProcessEnv;
}

/** Registers the cloud routes on a server scope. */
export function relayRoutes(
  app: FastifyInstance,
  ctx: RelayRouteContext,
  options: RelayRoutesOptions = {},
): RelayClient {
  const env = options.env ?? process.env;
  const sinks: EventSink[] = [new JsonLinesFileSink(join(ctx.opts.dataDir, 'events'), ctx.log)];
  void kafkaSinkFromEnv(env, ctx.log).then(
    (kafka) => kafka && sinks.push(kafka),
    (error: Error) => ctx.log(`events: Kafka sink not started: ${error.message}`),
  );
  const client = new RelayClient({ sinks, log: ctx.log });
  const hub = installRemoteHub(client, ctx.log);

  app.post('/api/v1/cloud/connect', async (req) => {
    const body = bodyOf(req.body, ctx.opts.maxJsonBytes, true);
    const appId = str(body.app_id);
    const url =
      str(body.url) ??
      (appId && /^(https?|wss?):\/\//.test(appId) ? appId : undefined) ??
      str(env.PATCHBAY_CLOUD_URL);
    const token = str(body.api_key) ?? str(body.token) ?? str(env.PATCHBAY_CLOUD_TOKEN);
    if (!url)
      throw httpError(
        400,
        'name the cloud runtime: {"url": "http://gpu-host:8000"} (or set PATCHBAY_CLOUD_URL)',
      );
    if (!token) throw httpError(400, 'a token is required: {"api_key": "…"} (or set PATCHBAY_CLOUD_TOKEN)');
    try {
      client.connect(url, token);
    } catch (error) {
      throw httpError(400, (error as Error).message);
    }
    return { message: `connecting to ${url}`, ...client.status() };
  });

  app.post('/api/v1/cloud/disconnect', async () => {
    await client.disconnect();
    return { message: 'disconnected', ...client.status() };
  });

  app.get('/api/v1/cloud/status', async () => client.status());

  app.post('/api/v1/cloud/api', async (req, reply) => {
    const body = bodyOf(req.body, ctx.opts.maxJsonBytes, false);
    if (typeof body.method !== 'string' || typeof body.path !== 'string')
      throw httpError(400, 'body must be {method, path, body?} for a call on the cloud runtime');
    if (!client.status().connected) throw httpError(503, 'the cloud relay is not connected');
    const res = await client.api(body.method.toUpperCase(), body.path, body.body);
    return reply
      .code(res.status >= 100 && res.status < 600 ? res.status : 502)
      .send(res.error !== undefined ? { error: res.error, detail: res.error } : (res.data ?? {}));
  });

  app.addHook('onClose', async () => {
    await client.close();
    await hub?.close();
    await Promise.all(sinks.map((s) => s.close()));
  });
  return client;
}
