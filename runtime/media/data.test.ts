import { describe, expect, it } from 'vitest';
import { jsonDepth, parseDataMessage } from './data';

describe('parseDataMessage', () => {
  it('accepts a flat Scope parameters object', () => {
    const r = parseDataMessage('{"prompts":[{"text":"fog {[","weight":1}],"noise_scale":0.5}');
    expect(r).toEqual({ ok: true, value: { prompts: [{ text: 'fog {[', weight: 1 }], noise_scale: 0.5 } });
  });

  it('rejects deep nesting before parsing, without throwing', () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    expect(parseDataMessage(`{"a":${deep}}`)).toEqual({
      ok: false,
      reason: 'JSON nested 10001 deep, limit 32',
    });
    expect(parseDataMessage('{"a":' + '{"b":'.repeat(40) + '1' + '}'.repeat(41), { maxDepth: 32 }).ok).toBe(
      false,
    );
  });

  it('caps the size, also for multi-byte text and binary messages', () => {
    expect(parseDataMessage(`{"a":"${'x'.repeat(70_000)}"}`)).toMatchObject({
      ok: false,
      reason: /larger than 65536/,
    });
    expect(parseDataMessage(`{"a":"${'é'.repeat(30_000)}"}`, { maxBytes: 50_000 }).ok).toBe(false);
    expect(parseDataMessage(new TextEncoder().encode('{"a":1}'))).toEqual({ ok: true, value: { a: 1 } });
    expect(parseDataMessage(new Uint8Array([0xff, 0xfe]))).toMatchObject({ ok: false, reason: /UTF-8/ });
  });

  it('ignores non-objects with a reason', () => {
    expect(parseDataMessage('[1,2]')).toMatchObject({ ok: false, reason: /an array/ });
    expect(parseDataMessage('null')).toMatchObject({ ok: false, reason: /null/ });
    expect(parseDataMessage('"x"')).toMatchObject({ ok: false, reason: /string/ });
    expect(parseDataMessage('{bad')).toMatchObject({ ok: false, reason: /not JSON/ });
  });

  it('drops __proto__ keys so merging the result cannot pollute prototypes', () => {
    const r = parseDataMessage('{"__proto__":{"polluted":true},"a":{"__proto__":{"x":1},"b":2}}');
    if (!r.ok) throw new Error(r.reason);
    const target = Object.assign({}, r.value);
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(r.value).toEqual({ a: { b: 2 } });
    expect(Object.keys(r.value['a'] as object)).toEqual(['b']);
  });

  it('counts depth without being fooled by brackets in strings', () => {
    expect(jsonDepth('{"a":"[[[[\\"{{"}')).toBe(1);
    expect(jsonDepth('[[],[[]]]')).toBe(3);
  });
});
