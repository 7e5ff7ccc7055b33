import { describe, expect, it } from 'vitest';

describe("import from 'patchbay'", () => {
  it('resolves the package exports "." to the public API', async () => {
    const api = await import('patchbay');
    expect(typeof api.openPatch).toBe('function');
    expect(typeof api.startRuntime).toBe('function');
  });
});
