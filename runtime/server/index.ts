/** The runtime server: Scope's HTTP/WebRTC API, Patchbay's patches and runtime WebSocket, the editor. */
export { createServer, isLoopbackAddress } from './server';
export type { ServerOptions, PatchbayServer } from './server';
export type { ServerPeer, PeerFactory, PeerAnswerOptions, SessionFactory, IceCandidateInit } from './deps';
export { hostAllowed, originAllowed, createLaunchToken, LOOPBACK_HOSTNAMES } from './security';
export type { SecurityPolicy } from './security';
export { parseUntrustedJson, jsonDepth, JsonInputError } from '../json';
export { patchFromPipelines } from '../../patches';
export { offerIsTextMode } from '../media/sdp-offer';
export { frameToJpeg } from './routes/headless';
export { parseLoadRequest } from './routes/scope';
export { PipelineLoader } from '../pipelines/state';
export type { PipelineRequest, PipelineStatus } from '../pipelines/state';
export { TokenBucket, WindowCounter } from '../guards';
export { printable, redactedUrl } from './security';
export type { SessionKind } from './sessions';
