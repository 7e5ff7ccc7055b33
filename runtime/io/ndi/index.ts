/** NDI over the runtime-loaded NDI SDK (see ../README.md). */
export { loadNdi, FOURCC } from './binding';
export type { NdiLib, NdiLoadOptions, NdiVideoFrame } from './binding';
export { NdiSink, NdiSource, findNdiSources, matchNdiSource, ndiFrameToI420 } from './ndi';
export type { NdiSinkOptions, NdiSourceInfo, NdiSourceOptions } from './ndi';
