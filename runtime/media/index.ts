/**
 * Patchbay's media layer: WebRTC peers (werift) carrying VP8 video as decoded I420 VideoFrames,
 * plus the "parameters" data channel. The server and session engine use only what is exported
 * here; see ./README.md for the settings and why.
 */
export { MediaPeer, MediaError, createOfferPeer } from './peer';
export type { MediaPeerOptions, MediaPeerStats, MediaLog, OfferPeerConfig, PeerState } from './peer';
export { Vp8Encoder, Vp8Decoder } from './codec/vp8';
export type { EncodedFrame, Vp8EncoderOptions, DecodeResult } from './codec/vp8';
export { FrameLatencyTracker, SampleWindow } from './latency';
export type { RuntimeLatency, LatencyFigure } from './latency';
export { measureCodecFloor } from './codec/floor';
export type { CodecFloor, CodecTiming } from './codec/floor';
export { Vp8Packetizer, Vp8Depacketizer, parseVp8Descriptor } from './rtp/vp8-rtp';
export type { RtpUnit, AssembledFrame } from './rtp/vp8-rtp';
export { parseDataMessage, jsonDepth } from './data';
export type { ParsedData, DataLimits } from './data';
export { mungeVp8Bitrate, parseVideoMLines } from './sdp';
export type { BitrateHints, VideoMLine } from './sdp';
export { patternFrame, readPatternNumber, psnrY } from './testing/pattern';
