/**
 * Guards against untrusted clients, shared by the server and the relay (the bottom layer, so
 * neither has to import the other): rate limits (token bucket, per-key window, the per-frame
 * parameter gate) and `printable`, which makes a client's string safe for a log or terminal line.
 */
export {
  mergeParamChanges,
  onlyParamChanges,
  ParameterGate,
  rateLimitedWarning,
  TokenBucket,
  WindowCounter,
} from './rate-limit';
export type { GateCounters, ParameterGateOptions, ParamsChange } from './rate-limit';
export { printable } from './printable';
