import { describe, expect, it } from 'vitest';
import { blackFrame } from '../../nodes';
import { chooseRemoteOutput } from '../pipelines';
import { extractCloudArgs, parseDuration } from './cli';
import { relayUrlOf } from './client';
import { pipelineIdsOf } from './cloud-server';
import { parseClientMessage, reconnectDelay, RelayMessageError } from './protocol';

describe('reconnectDelay', () => {
  it("follows LiveKit's schedule with up to 1 s of jitter after the first try", () => {
    const none = () => 0;
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((a) => reconnectDelay(a, none))).toEqual([
      0, 300, 1200, 2700, 4800, 7000, 7000, 7000,
    ]);
    expect(reconnectDelay(0, () => 0.999)).toBe(0);
    expect(reconnectDelay(5, () => 0.999)).toBe(7999);
  });
});

describe('parseClientMessage', () => {
  it('keeps the request_id and the fields its type needs', () => {
    expect(
      parseClientMessage('{"type":"api","method":"get","path":"/api/v1/loras","request_id":"r"}'),
    ).toEqual({
      type: 'api',
      method: 'GET',
      path: '/api/v1/loras',
      request_id: 'r',
    });
    expect(parseClientMessage('{"type":"offer","sdp":"v=0","initialParameters":{"a":1}}')).toMatchObject({
      type: 'offer',
      sdp_type: 'offer',
      initialParameters: { a: 1 },
    });
  });

  it('names what is wrong', () => {
    const err = (text: string) => {
      try {
        parseClientMessage(text);
      } catch (e) {
        return e as RelayMessageError;
      }
      throw new Error('no error');
    };
    expect(err('{"type":"api","method":"GET","path":"/health"}').message).toMatch(/under \/api\/v1\//);
    expect(err('{"type":"set_user_id","request_id":""}').message).toMatch(/request_id/);
    expect(err('{"type":"icecandidate","sessionId":"s","candidate":3}').message).toMatch(/candidate/);
    expect(err('{"type":"x","request_id":"q"}')).toMatchObject({ code: 'UNKNOWN_TYPE', requestId: 'q' });
    expect(err('"str"').code).toBe('BAD_MESSAGE');
  });
});

describe('serve --cloud arguments', () => {
  it('takes the cloud flags out and leaves the rest to serve', () => {
    expect(
      extractCloudArgs(
        ['--port', '9', '--cloud', `--cloud-token=${'abcdefgh1'.repeat(4)}`, '--max-session-duration', '30m'],
        {},
      ),
    ).toEqual({ rest: ['--port', '9'], cloud: { token: 'abcdefgh1'.repeat(4), maxSessionMs: 1_800_000 } });
    const fromEnv = 'from-env-token-0123456789abcdefghij';
    expect(extractCloudArgs(['--cloud'], { PATCHBAY_CLOUD_TOKEN: fromEnv }).cloud?.token).toBe(fromEnv);
    expect(extractCloudArgs(['--quiet'], {})).toEqual({ rest: ['--quiet'], cloud: null });
  });

  it('generates a token when none is given; refuses short tokens and stray cloud flags', () => {
    const generated = extractCloudArgs(['--cloud'], {}).cloud;
    expect(generated?.generated).toBe(true);
    expect(generated?.token).toMatch(/^[0-9a-f]{64}$/);
    expect(() => extractCloudArgs(['--cloud', '--cloud-token', 'short'], {})).toThrow(/at least 32/);
    expect(() => extractCloudArgs(['--cloud', '--cloud-token', 'x'.repeat(31)], {})).toThrow(/at least 32/);
    expect(() => extractCloudArgs(['--cloud-token', 'abcdefghij'], {})).toThrow(/only apply with --cloud/);
    expect(() => extractCloudArgs(['--cloud', '--cloud-token'], {})).toThrow(/needs a value/);
  });

  it('parses durations', () => {
    expect([parseDuration('90'), parseDuration('90s'), parseDuration('500ms'), parseDuration('2h')]).toEqual([
      90_000, 90_000, 500, 7_200_000,
    ]);
    expect(() => parseDuration('soon')).toThrow(/--max-session-duration/);
    expect(() => parseDuration('0')).toThrow(/between/);
  });
});

describe('small helpers', () => {
  it('relayUrlOf turns a server URL into the relay WebSocket URL', () => {
    expect(relayUrlOf('http://127.0.0.1:8000')).toBe('ws://127.0.0.1:8000/api/v1/cloud/ws');
    expect(relayUrlOf('https://gpu.example/')).toBe('wss://gpu.example/api/v1/cloud/ws');
    expect(() => relayUrlOf('ftp://x')).toThrow(/http/);
  });

  it('pipelineIdsOf reads a patch, a graph or pipeline_ids', () => {
    expect(
      pipelineIdsOf({
        patch: { nodes: [{ type: 'pipeline', params: { pipeline_id: 'gray' } }, { type: 'camera' }] },
        graph: { nodes: [{ pipeline_id: 'rife' }] },
        pipeline_ids: ['longlive', 3],
      }),
    ).toEqual(['gray', 'rife', 'longlive']);
    expect(pipelineIdsOf(undefined)).toEqual([]);
  });

  it('chooseRemoteOutput holds or passes through while disconnected', () => {
    const input = blackFrame(4, 4);
    const latest = blackFrame(4, 4);
    expect(chooseRemoteOutput(input, latest, true, 'passthrough')).toBe(latest);
    expect(chooseRemoteOutput(input, null, true, 'hold')).toBe(input);
    expect(chooseRemoteOutput(input, latest, false, 'hold')).toBe(latest);
    expect(chooseRemoteOutput(input, latest, false, 'passthrough')).toBe(input);
    expect(chooseRemoteOutput(input, null, false, 'hold')).toBe(input);
  });
});
