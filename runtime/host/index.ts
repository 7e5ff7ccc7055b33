/** Host capability probing (Spout, NDI, CUDA, camera, remote) for hardware/info and the compiler. */
export {
  probeHost,
  probeNdi,
  probeSpout,
  probeCuda,
  hostProbe,
  realProbeEnv,
  ndiLibraryCandidates,
  NDI_INSTALL_HINT,
  SPOUT_INSTALL_HINT,
  CUDA_INSTALL_HINT,
} from './capabilities';
export type { HostProbe, ProbeEnv } from './capabilities';
export { loadNodePackages, NODE_PACKAGE_KEYWORD } from './node-packages';
export type {
  LoadedNodePackage,
  NodePackageApi,
  NodePackageOptions,
  NodePackageRefusal,
  NodePackages,
} from './node-packages';
