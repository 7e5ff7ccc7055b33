/**
 * Probes what this machine can do (Spout, NDI, CUDA, camera, remote), honestly: every missing
 * capability says why and what to do about it. Used by `/api/v1/hardware/info`, the compiler
 * (via the session) and the editor's node badges. Probing never throws.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { CapabilityStatus, HostCapabilities } from '../../nodes';

const require = createRequire(import.meta.url);

export const NDI_INSTALL_HINT = 'Install the NDI Runtime from ndi.video/tools, or set NDI_RUNTIME_DIR_V6';
export const SPOUT_INSTALL_HINT =
  'Spout needs Windows and SpoutLibrary.dll next to Patchbay or on PATH (spout.zeal.co)';
import { CUDA_INSTALL_HINT } from './cuda-hint';

export { CUDA_INSTALL_HINT };

/** The probe result: Patchbay's capabilities plus Scope's hardware-info extras. */
export interface HostProbe {
  capabilities: HostCapabilities;
  /** Total GPU memory in GiB; 0 without an NVIDIA GPU. */
  vram_gb: number;
  /** Scope lists Syphon too (macOS); Patchbay has no Syphon I/O. */
  syphon: CapabilityStatus;
}

/** Injected environment so tests can probe an imagined machine. */
export interface ProbeEnv {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  /** Tries to load a shared library; throws when it cannot. */
  loadLibrary: (path: string) => void;
  /** Runs a program; resolves to stdout, rejects when it is missing or fails. */
  run: (file: string, args: string[]) => Promise<string>;
  fileExists: (path: string) => boolean;
  /** Folder of the onnxruntime-node package, or null when it is not installed. */
  onnxruntimeDir: () => string | null;
}

function koffiLoad(path: string): void {
  // koffi is loaded lazily: a machine without its prebuilt binary still serves everything else.
  const koffi = require('koffi') as { load: (p: string) => { unload?: () => void } };
  const lib = koffi.load(path);
  lib.unload?.();
}

function runProgram(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 3000, windowsHide: true }, (error, stdout) =>
      error ? reject(error) : resolve(String(stdout)),
    );
  });
}

function findOnnxruntimeDir(): string | null {
  try {
    return join(require.resolve('onnxruntime-node/package.json'), '..');
  } catch {
    return null;
  }
}

/** The real machine. */
export const realProbeEnv: ProbeEnv = {
  platform: process.platform,
  env: process.env,
  loadLibrary: koffiLoad,
  run: runProgram,
  fileExists: existsSync,
  onnxruntimeDir: findOnnxruntimeDir,
};

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 300);
}

/** Library names the NDI runtime ships under, per platform. */
export function ndiLibraryCandidates(
  platform: NodeJS.Platform,
  env: Record<string, string | undefined>,
): string[] {
  const file =
    platform === 'win32'
      ? 'Processing.NDI.Lib.x64.dll'
      : platform === 'darwin'
        ? 'libndi.dylib'
        : 'libndi.so.6';
  const out: string[] = [];
  for (const key of ['NDI_RUNTIME_DIR_V6', 'NDI_RUNTIME_DIR_V5']) {
    const dir = env[key];
    if (dir) out.push(join(dir, file));
  }
  if (platform === 'win32') out.push('Processing.NDI.Lib.x64.dll');
  else if (platform === 'darwin')
    out.push('/usr/local/lib/libndi.dylib', '/Library/NDI SDK for Apple/lib/macOS/libndi.dylib');
  else out.push('libndi.so.6', 'libndi.so.5', 'libndi.so');
  return out;
}

/** NDI: available when the NDI runtime library loads. */
export function probeNdi(p: ProbeEnv): CapabilityStatus {
  const reasons: string[] = [];
  for (const candidate of ndiLibraryCandidates(p.platform, p.env)) {
    try {
      p.loadLibrary(candidate);
      return { available: true };
    } catch (error) {
      reasons.push(`${candidate}: ${errorText(error)}`);
    }
  }
  return {
    available: false,
    reason: `the NDI runtime library could not be loaded (${reasons[0] ?? 'no candidates'})`,
    install_hint: NDI_INSTALL_HINT,
  };
}

/** Spout: Windows only, and only when SpoutLibrary.dll loads. */
export function probeSpout(p: ProbeEnv): CapabilityStatus {
  if (p.platform !== 'win32')
    return {
      available: false,
      reason: `Spout is a Windows-only GPU texture sharing system (this is ${p.platform})`,
      install_hint: SPOUT_INSTALL_HINT,
    };
  try {
    p.loadLibrary('SpoutLibrary.dll');
    return { available: true };
  } catch (error) {
    return {
      available: false,
      reason: `SpoutLibrary.dll could not be loaded: ${errorText(error)}`,
      install_hint: SPOUT_INSTALL_HINT,
    };
  }
}

/** Total memory of the GPUs nvidia-smi reports, in GiB (0 when none). */
async function queryVram(p: ProbeEnv): Promise<number> {
  try {
    const out = await p.run('nvidia-smi', ['--query-gpu=memory.total', '--format=csv,noheader,nounits']);
    const mib = out
      .split('\n')
      .map((l) => Number.parseFloat(l.trim()))
      .filter((n) => Number.isFinite(n));
    return mib.length ? Math.round((Math.max(...mib) / 1024) * 10) / 10 : 0;
  } catch {
    return 0;
  }
}

function cudaAddonPresent(p: ProbeEnv): boolean {
  const dir = p.onnxruntimeDir();
  if (!dir) return false;
  const binDir = join(dir, 'bin');
  try {
    for (const napi of readdirSync(binDir)) {
      const lib =
        p.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
      if (p.fileExists(join(binDir, napi, p.platform, process.arch, lib))) return true;
    }
  } catch {
    return false;
  }
  return false;
}

/** CUDA: an NVIDIA driver (libcuda loads or nvidia-smi answers) and onnxruntime's CUDA add-on. */
export async function probeCuda(p: ProbeEnv): Promise<{ status: CapabilityStatus; vram_gb: number }> {
  const vram_gb = await queryVram(p);
  let driver = vram_gb > 0;
  if (!driver) {
    try {
      p.loadLibrary(p.platform === 'win32' ? 'nvcuda.dll' : 'libcuda.so.1');
      driver = true;
    } catch {
      driver = false;
    }
  }
  if (!driver)
    return {
      status: {
        available: false,
        reason: 'no NVIDIA GPU driver found (libcuda / nvidia-smi)',
        install_hint: CUDA_INSTALL_HINT,
      },
      vram_gb,
    };
  if (!cudaAddonPresent(p))
    return {
      status: {
        available: false,
        reason: 'an NVIDIA driver is present but the onnxruntime-node CUDA add-on is not installed',
        install_hint: CUDA_INSTALL_HINT,
      },
      vram_gb,
    };
  return { status: { available: true }, vram_gb };
}

/** Probes every capability. `remote` is true only while a cloud relay is connected (none yet). */
export async function probeHost(
  p: ProbeEnv = realProbeEnv,
  opts: { remoteConnected?: boolean } = {},
): Promise<HostProbe> {
  const cuda = await probeCuda(p);
  return {
    capabilities: {
      spout: probeSpout(p),
      ndi: probeNdi(p),
      cuda: cuda.status,
      camera: { available: true },
      remote: opts.remoteConnected
        ? { available: true }
        : {
            available: false,
            reason: 'no cloud relay is connected',
            install_hint: 'Connect one with POST /api/v1/cloud/connect',
          },
    },
    vram_gb: cuda.vram_gb,
    syphon:
      p.platform === 'darwin'
        ? { available: false, reason: 'Patchbay has no Syphon I/O yet', install_hint: 'Use NDI instead' }
        : {
            available: false,
            reason: `Syphon is macOS only (this is ${p.platform})`,
            install_hint: 'Use NDI instead',
          },
  };
}

let cached: Promise<HostProbe> | null = null;

/** The real machine's probe, computed once per process (loading libraries is not free). */
export function hostProbe(): Promise<HostProbe> {
  cached ??= probeHost(realProbeEnv);
  return cached;
}
