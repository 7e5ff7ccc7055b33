/**
 * The rest of the endpoints Scope's frontend (v0.2.4) calls, in Scope's shapes (its `app.py`,
 * `tempo_router.py`, `schema.py`): onboarding state, plugins, API keys, restart, tempo, OSC and
 * DMX. Where Patchbay has no such feature the answer is Scope's own "not running" shape (the one
 * Scope gives when that server is not started), never a 404, so the frontend shows the feature
 * as off instead of logging errors.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { HttpError, jsonBody, type ServerContext } from '../context';

/** Scope's `OnboardingStatusResponse` fields besides `completed`. */
const ONBOARDING_FIELDS = ['inference_mode', 'onboarding_style', 'referral_source', 'use_case'] as const;

export interface OnboardingStatus {
  completed: boolean;
  inference_mode: string | null;
  onboarding_style: string | null;
  referral_source: string | null;
  use_case: string | null;
}

function readOnboarding(file: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function onboardingResponse(data: Record<string, unknown>): OnboardingStatus {
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    completed: data.completed === true,
    inference_mode: str(data.inference_mode),
    onboarding_style: str(data.onboarding_style),
    referral_source: str(data.referral_source),
    use_case: str(data.use_case),
  };
}

/** Tempo sync is off: Scope's `TempoStatusResponse` with `enabled: false`. */
const TEMPO_OFF = { enabled: false, source: null, beats_per_bar: 4, beat_state: null };
const TEMPO_MISSING = 'tempo sync (Ableton Link, MIDI clock) is not available in Patchbay: nothing to enable';

/** Scope's OSC status when its OSC server is not running. */
const OSC_OFF = { enabled: false, listening: false, port: null, host: null, log_all_messages: false };
const OSC_MISSING = 'OSC server not running: Patchbay has no OSC input';

/** Scope's DMX status when its Art-Net server is not running. */
const DMX_OFF = {
  enabled: false,
  listening: false,
  port: null,
  preferred_port: 6454,
  host: null,
  log_all_messages: false,
  mapping_count: 0,
};
const DMX_MISSING = 'DMX server not running: Patchbay has no Art-Net input';

export function scopeExtraRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const onboardingFile = join(ctx.opts.dataDir, 'onboarding.json');

  // --- onboarding: <dataDir>/onboarding.json, merged on PUT like Scope's -----------------
  app.get('/api/v1/onboarding/status', async () => onboardingResponse(readOnboarding(onboardingFile)));

  app.put('/api/v1/onboarding/status', async (req) => {
    const body = jsonBody(req, { maxBytes: ctx.opts.maxJsonBytes, optional: true });
    const update: Record<string, unknown> = {};
    if (body.completed !== undefined && body.completed !== null) {
      if (typeof body.completed !== 'boolean') throw new HttpError(422, '"completed" must be a boolean');
      update.completed = body.completed;
    }
    for (const key of ONBOARDING_FIELDS) {
      const v = body[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string' || v.length > 200)
        throw new HttpError(422, `"${key}" must be a string of at most 200 characters`);
      update[key] = v;
    }
    const merged = { ...readOnboarding(onboardingFile), ...update };
    const tmp = `${onboardingFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(merged));
    renameSync(tmp, onboardingFile);
    return onboardingResponse(merged);
  });

  // --- plugins: Scope's plugins are Python packages; Patchbay's would be node packages, and
  // there are none yet, so the list is empty and installs are refused with the reason.
  app.get('/api/v1/plugins', async () => ({ plugins: [], total: 0, failed_plugins: [] }));
  app.post('/api/v1/plugins', async () => {
    throw new HttpError(
      400,
      'Patchbay does not install Scope plugins (Python packages); its nodes and pipelines are built in or ONNX models in the models folder',
    );
  });
  app.delete('/api/v1/plugins/:name', async (req) => {
    const { name } = req.params as { name: string };
    throw new HttpError(404, `Plugin '${name.slice(0, 100)}' not found`);
  });
  app.post('/api/v1/plugins/:name/reload', async (req) => {
    const { name } = req.params as { name: string };
    throw new HttpError(404, `Plugin '${name.slice(0, 100)}' not found`);
  });

  // --- API keys: Patchbay downloads nothing that needs one (no HuggingFace, no CivitAI).
  app.get('/api/v1/keys', async () => ({ keys: [] }));
  const unknownService = async (req: { params: unknown }) => {
    const { serviceId } = req.params as { serviceId: string };
    throw new HttpError(404, `Unknown service: ${serviceId.slice(0, 100)} (Patchbay uses no API keys)`);
  };
  app.put('/api/v1/keys/:serviceId', unknownService);
  app.delete('/api/v1/keys/:serviceId', unknownService);

  // --- restart: Scope re-executes itself so newly installed plugins load. Patchbay has no
  // plugin modules to reload; what a restart can refresh here is every session and the loaded
  // pipelines, which this does (the process keeps running).
  app.post('/api/v1/restart', async () => {
    const sessions = ctx.sessions.metrics().sessions;
    await ctx.sessions.closeAll('restart requested (POST /api/v1/restart)');
    ctx.pipelines.unload();
    ctx.log(`restart: closed ${sessions} session(s) and unloaded the pipelines`);
    return {
      message: `Sessions closed (${sessions}) and pipelines unloaded; the server process keeps running (Patchbay has no plugin modules to reload)`,
    };
  });

  // --- tempo (tempo_router.py): no tempo source exists in Patchbay.
  app.get('/api/v1/tempo/status', async () => TEMPO_OFF);
  app.get('/api/v1/tempo/sources', async () => ({ sources: {} }));
  app.post('/api/v1/tempo/enable', async () => {
    throw new HttpError(503, TEMPO_MISSING);
  });
  app.post('/api/v1/tempo/disable', async () => TEMPO_OFF);
  app.post('/api/v1/tempo/set_tempo', async () => {
    throw new HttpError(400, 'Tempo sync is not enabled');
  });

  // --- OSC: Scope's answers when its OSC server is not running.
  app.get('/api/v1/osc/status', async () => OSC_OFF);
  app.get('/api/v1/osc/paths', async () => ({ active: {}, available: {}, active_pipeline_ids: [] }));
  const oscMissing = async () => {
    throw new HttpError(503, OSC_MISSING);
  };
  app.put('/api/v1/osc/settings', oscMissing);
  app.post('/api/v1/osc/inventory', oscMissing);
  app.get('/api/v1/osc/stream', async (_req, reply) =>
    reply.code(503).type('text/plain; charset=utf-8').send(OSC_MISSING),
  );
  app.get('/api/v1/osc/docs', async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(
        '<!doctype html><meta charset="utf-8"><title>OSC</title><h1>OSC</h1>' +
          '<p>Patchbay has no OSC input: there are no OSC paths to control.</p>',
      ),
  );

  // --- DMX (Art-Net): Scope's answers when its DMX server is not running.
  app.get('/api/v1/dmx/status', async () => DMX_OFF);
  app.get('/api/v1/dmx/paths', async () => ({ active: {}, available: {}, active_pipeline_ids: [] }));
  app.get('/api/v1/dmx/config', async () => ({
    enabled: false,
    preferred_port: 6454,
    log_all_messages: false,
    mappings: [],
  }));
  const dmxMissing = async () => {
    throw new HttpError(503, DMX_MISSING);
  };
  app.put('/api/v1/dmx/settings', dmxMissing);
  app.put('/api/v1/dmx/config', dmxMissing);
  app.post('/api/v1/dmx/restart', dmxMissing);
  app.get('/api/v1/dmx/stream', async (_req, reply) =>
    reply.code(503).type('text/plain; charset=utf-8').send(DMX_MISSING),
  );
}
