/** The editor's connection to the runtime: WebSocket client, REST calls, WebRTC media. */
export { RuntimeClient, reconnectDelay, parseServerMessage } from './client';
export type { SocketLike, Timers, ConnectionState, RuntimeClientOptions } from './client';
export {
  launchToken,
  listPatches,
  readPatch,
  defaultPatchName,
  writePatch,
  listAssets,
  uploadAsset,
  postOffer,
  patchCandidates,
  deleteOffer,
} from './api';
export type { PatchListing, AssetInfo } from './api';
export { MediaSession, CameraError, openCamera, transceiverPlan } from './media';
export type { MediaSessionOptions } from './media';
