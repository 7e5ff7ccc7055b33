/** Sessions: one per running patch, its life kept by an xstate machine (see machine.ts). */
export { createSession, stabiliseTracks } from './session';
export type { EngineSession, SessionExtraOptions } from './session';
export { sessionMachine, stateName } from './machine';
export type { SessionServices, SessionMachineContext, SessionMachineEvent, SessionActor } from './machine';
export { liveUpdates, withLiveParams } from './live';
export type { LiveUpdate } from './live';
export { routeParameters, isSafeValue } from './params';
export type { ParamRouting } from './params';
