/** The headless player page (play.html): state, pixel statistics and the Player. */
export { Player, playerQuery, isPatchUrl } from './player';
export type { PlayerOptions } from './player';
export { applyServerMessage, initialPlayerState, timelineTime, unavailableNodes, MAX_HASHES } from './state';
export type { PlayerState } from './state';
export type { PlayerStatus, FrameHash, PlayerSnapshot, PixelStats } from '../../../runtime/protocol';
export { pixelStats } from './pixels';
