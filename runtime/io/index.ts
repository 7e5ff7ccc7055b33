/**
 * Video I/O: video files and recordings through FFmpeg (node-av), NDI and Spout, behind one
 * source/sink interface (see ./README.md). The engine and the server use only what is exported here.
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
export type { RecorderOptions, RecordingSummary } from './recorder';
export { VideoFileSource, resolveAssetFile, MIN_SPEED, MAX_SPEED } from './video-file';
export type { VideoFileCounters, VideoFileSourceOptions } from './video-file';
export { ClipReader, probeClip, readClipFrames } from './av/clip-reader';
export type { ClipInfo, ClipReaderOptions, DecodedClipFrame } from './av/clip-reader';
export {
  ClipWriter,
  PacketCopyWriter,
  CLIP_CODECS,
  RECORD_FORMATS,
  RECORD_FORMAT_INFO,
} from './av/clip-writer';
export type {
  ClipCodec,
  ClipSummary,
  ClipWriterOptions,
  PacketCopyOptions,
  RecordFormat,
} from './av/clip-writer';
export { MediaFileError } from './av/ffmpeg';
export { remuxVideo } from './av/remux';
export { encodeJpeg, encodePng, encodePngRgba, decodeImage, addPngText, readPngText } from './av/image';
export type { RgbaImage } from './av/image';
export { PATCH_TAG, patchTags, patchFromPng, patchFromMediaFile } from './embed';
export type { RemuxSummary } from './av/remux';
export { Swscale, layoutSize } from './av/scale';
export type { PixelLayout } from './av/scale';
export { makeTestMedia, makeClip, dxt1 } from './test-media';
export type { TestMedia, TestMediaOptions, ClipOptions } from './test-media';
export {
  i420ToUyvy,
  uyvyToI420,
  packedToI420,
  i420ToPacked,
  nv12ToI420,
  stridedI420ToI420,
  toI420,
  fromI420,
} from './convert';
export type { PackedOrder } from './convert';
export { loadNdi, NdiSink, NdiSource, findNdiSources, matchNdiSource } from './ndi';
export type { NdiLib, NdiLoadOptions, NdiSinkOptions, NdiSourceInfo, NdiSourceOptions } from './ndi';
export { loadSpout, SpoutSink, SpoutSource } from './spout';
export type { SpoutApi, SpoutFactory, SpoutLoadOptions, SpoutSinkOptions, SpoutSourceOptions } from './spout';
