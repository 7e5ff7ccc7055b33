/**
 * The desktop app's public surface. The Electron entry points (main.ts, preload.ts) are not
 * exported: they load Electron. The editor needs only the preload contract (types and channel
 * names); the rest is for tests, scripts and tools.
 */
export { EDITOR_COMMANDS, IPC_CHANNELS } from './preload-api';
export type {
  DisplayInfo,
  EditorCommandId,
  OpenedPatch,
  PatchbayAppApi,
  SaveKind,
  SaveResult,
} from './preload-api';
export { parseAppArgs, leadingArgvEntries, type AppArgs } from './args';
export {
  buildMenuModel,
  toElectronTemplate,
  flattenMenu,
  type MenuNode,
  type MenuState,
  type MenuCommandId,
} from './menu';
export { FileService, type FileServiceDeps, type ScopeImportKind } from './file-service';
export {
  readTextFile,
  writeFileAtomic,
  withExtension,
  PathGrants,
  FileError,
  MAX_PATCH_BYTES,
} from './files';
export { createIpcHandlers, validateArgs, IpcError, type IpcDeps, type IpcHandlers } from './ipc';
export { FileHandOver, QuitCoordinator, filesFromSecondInstance, shouldAskCameraAccess } from './lifecycle';
export {
  RuntimeSupervisor,
  RuntimeStartError,
  DEFAULT_SUPERVISOR_OPTIONS,
  type ChildHandle,
  type SupervisorDeps,
  type SupervisorOptions,
  type SupervisorSnapshot,
  type SupervisorState,
} from './runtime-supervisor';
export {
  findFreePort,
  probeHealth,
  runtimeCommand,
  spawnChild,
  type RuntimeCommand,
  type RuntimeCommandSpec,
} from './runtime-process';
export {
  secureWebPreferences,
  mainWindowOptions,
  outputWindowOptions,
  startupErrorWindowOptions,
  contentSecurityPolicy,
  withContentSecurityPolicy,
  decideNavigation,
  decideWindowOpen,
  decidePermission,
} from './security';
export {
  loadSettings,
  saveSettings,
  defaultSettings,
  addRecentFile,
  restoreWindowBounds,
  pickOutputDisplay,
  type AppSettings,
} from './settings';
export { renderStartupErrorPage, startupErrorPageUrl } from './startup-error-page';
export { findElectronBinary, missingElectronHelp, type ElectronLookup } from './electron-binary';
