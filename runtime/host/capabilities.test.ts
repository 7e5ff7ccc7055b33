import { describe, expect, it } from 'vitest';
import { probeHost, realProbeEnv, type ProbeEnv } from './capabilities';

function fakeEnv(over: Partial<ProbeEnv> & { loadable?: string[] }): ProbeEnv {
  const loadable = new Set(over.loadable ?? []);
  return {
    platform: 'linux',
    env: {},
    loadLibrary: (path) => {
      if (!loadable.has(path)) throw new Error(`${path}: cannot open shared object file`);
    },
    run: () => Promise.reject(new Error('ENOENT')),
    fileExists: () => false,
    onnxruntimeDir: () => null,
    ...over,
  };
}

describe('probeHost', () => {
  it('reports NDI missing with the reason and the install hint', async () => {
    const probe = await probeHost(fakeEnv({}));
    expect(probe.capabilities.ndi.available).toBe(false);
    expect(probe.capabilities.ndi.reason).toContain('libndi.so.6');
    expect(probe.capabilities.ndi.install_hint).toBe(
      'Install the NDI Runtime from ndi.video/tools, or set NDI_RUNTIME_DIR_V6',
    );
  });

  it('loads NDI from NDI_RUNTIME_DIR_V6 first', async () => {
    const probe = await probeHost(
      fakeEnv({ env: { NDI_RUNTIME_DIR_V6: '/opt/ndi' }, loadable: ['/opt/ndi/libndi.so.6'] }),
    );
    expect(probe.capabilities.ndi).toEqual({ available: true });
  });

  it('spout is unavailable off Windows and available on Windows when the dll loads', async () => {
    expect((await probeHost(fakeEnv({}))).capabilities.spout.available).toBe(false);
    const win = await probeHost(fakeEnv({ platform: 'win32', loadable: ['SpoutLibrary.dll'] }));
    expect(win.capabilities.spout.available).toBe(true);
    const winNoDll = await probeHost(fakeEnv({ platform: 'win32' }));
    expect(winNoDll.capabilities.spout.reason).toContain('SpoutLibrary.dll');
  });

  it('cuda needs a driver and the add-on; vram comes from nvidia-smi', async () => {
    const none = await probeHost(fakeEnv({}));
    expect(none.capabilities.cuda.available).toBe(false);
    expect(none.vram_gb).toBe(0);
    const driverOnly = await probeHost(fakeEnv({ run: () => Promise.resolve('24564\n') }));
    expect(driverOnly.vram_gb).toBe(24);
    expect(driverOnly.capabilities.cuda.reason).toContain('add-on');
  });

  it('camera is always available, remote only when a relay is connected', async () => {
    const probe = await probeHost(fakeEnv({}));
    expect(probe.capabilities.camera.available).toBe(true);
    expect(probe.capabilities.remote.available).toBe(false);
    expect((await probeHost(fakeEnv({}), { remoteConnected: true })).capabilities.remote.available).toBe(
      true,
    );
  });

  it('probes this machine without throwing', async () => {
    const probe = await probeHost(realProbeEnv);
    for (const cap of Object.values(probe.capabilities)) expect(typeof cap.available).toBe('boolean');
    expect(probe.vram_gb).toBeGreaterThanOrEqual(0);
  });
});
