/**
 * The cloud relay: the `--cloud` runtime's WebSocket endpoint, the local runtime's relay client
 * and cloud routes, the main-thread hub behind the remote Pipeline backend, and the
 * Scope-server backend (`remote_url`). See README.md.
 */
export { enableCloudMode, DEFAULT_MAX_SESSION_MS, pipelineIdsOf } from './cloud-server';
export type {
  CloudConnectionInfo,
  CloudHost,
  CloudMode,
  CloudModeOptions,
  CloudSessions,
} from './cloud-server';
export { RelayClient, relayUrlOf } from './client';
export type { CloudStatus, RelayClientOptions } from './client';
export { RemoteHub, installRemoteHub } from './hub';
export { RemoteLink, remotePatchFor } from './link';
export type { LinkSpec, Signaller } from './link';
export { ScopeBackendLink, ScopeHttpSignaller } from './scope-backend';
export { relayRoutes } from './routes';
export type { RelayRoutesOptions } from './routes';
export { ConnectionAssets, relayAssetNameProblem, MAX_RELAY_UPLOAD_BYTES } from './assets';
export {
  CLOSE,
  MAX_MESSAGE_BYTES,
  parseClientMessage,
  reconnectDelay,
  RELAY_PATH,
  RelayMessageError,
} from './protocol';
export type { ClientMessage, RelayErrorCode, ServerMessage } from './protocol';
export { CLOUD_USAGE, extractCloudArgs, parseDuration, startCloudMode } from './cli';
export type { CloudArgs } from './cli';
