/**
 * The compiler: a patch in, a plan (or errors that say what to do) out; and the diff between two
 * plans for live edits. Pure functions, no I/O.
 */
import { CAPABILITIES, type Capability, type CapabilityStatus, type HostCapabilities } from '../../nodes';

export { compile } from './compile';
export { diff } from './diff';
export type {
  CompileContext,
  CompileError,
  CompileErrorCode,
  CompileResult,
  InputTrack,
  OutputTrack,
  Placement,
  Plan,
  PlanDiff,
  PlanEdge,
  PlanNode,
  SinkBinding,
  WorkerAssignment,
} from './types';

/** What a host without the capability reports, as `/api/v1/hardware/info` would say it. */
const MISSING: Record<Capability, CapabilityStatus> = {
  spout: {
    available: false,
    reason: 'Spout exists on Windows only',
    install_hint: 'Run Patchbay on Windows to send or receive Spout.',
  },
  ndi: {
    available: false,
    reason: 'the NDI runtime library was not found',
    install_hint: 'Install the NDI Runtime (ndi.video/tools) and restart Patchbay.',
  },
  cuda: {
    available: false,
    reason: 'no CUDA GPU was found',
    install_hint: 'Run GPU pipelines with backend "remote" on a machine with an NVIDIA GPU.',
  },
  camera: {
    available: false,
    reason: 'no camera track is available',
    install_hint: 'Allow camera access in the browser.',
  },
  remote: {
    available: false,
    reason: 'not connected to a cloud runtime',
    install_hint: 'Connect to a cloud runtime, or set remote_url to a Scope server.',
  },
};

/**
 * Host capabilities for tests and headless runs: a camera and nothing else (no Spout, NDI, CUDA
 * or cloud connection), each missing one with its reason and install hint. `partial` overrides
 * per capability with `true`/`false` or a full status.
 *
 * @example
 * compile(patch, registry, { capabilities: defaultCapabilities({ ndi: true }) });
 */
export function defaultCapabilities(
  partial: Partial<Record<Capability, boolean | CapabilityStatus>> = {},
): HostCapabilities {
  const out = {} as HostCapabilities;
  for (const c of CAPABILITIES) {
    const given = partial[c];
    const base: CapabilityStatus = c === 'camera' ? { available: true } : { ...MISSING[c] };
    if (given === undefined) out[c] = base;
    else if (typeof given === 'boolean') out[c] = given ? { available: true } : { ...MISSING[c] };
    else out[c] = { ...given };
  }
  return out;
}
