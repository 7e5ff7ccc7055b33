/**
 * Video I/O: recording to WebM, looping video files, NDI and Spout, behind one source/sink
 * interface (see ./README.md). The engine and the server use only what is exported here.
 */
export { IoUnavailableError } from './types';
export type {
  AdapterCounters,
  AdapterState,
  AdapterStatus,
  VideoSinkAdapter,
  VideoSourceAdapter,
} from './types';
export { Recorder, fileTimestamp, prefixProblem } from './recorder';
export type { RecorderOptions } from './recorder';
export { VideoFileSource } from './video-file';
export type { VideoFileCounters, VideoFileSourceOptions } from './video-file';
export { WebmWriter } from './webm/writer';
export type { WebmSummary, WebmWriterOptions } from './webm/writer';
export { IvfWriter } from './webm/ivf';
export {
  readVideoFile,
  parseVideoFile,
  VideoFileError,
  webmDurationMs,
  MAX_VIDEO_FILE_BYTES,
} from './webm/reader';
export type { FileFrame, VideoFileData } from './webm/reader';
export { makeTestMedia } from './test-media';
export type { TestMedia, TestMediaOptions } from './test-media';
export { i420ToUyvy, uyvyToI420, packedToI420, i420ToPacked, nv12ToI420, stridedI420ToI420 } from './convert';
export type { PackedOrder } from './convert';
export { loadNdi, NdiSink, NdiSource, findNdiSources, matchNdiSource } from './ndi';
export type { NdiLib, NdiLoadOptions, NdiSinkOptions, NdiSourceInfo, NdiSourceOptions } from './ndi';
export { loadSpout, SpoutSink, SpoutSource } from './spout';
export type { SpoutApi, SpoutFactory, SpoutLoadOptions, SpoutSinkOptions, SpoutSourceOptions } from './spout';
