/** The headless player page (play.html): state, pixel statistics and the Player. */
export { Player, playerQuery, isPatchUrl } from './player';
export type { PlayerOptions } from './player';
export { applyServerMessage, initialPlayerState, timelineTime, unavailableNodes, MAX_HASHES } from './state';
export type { PlayerState, PlayerStatus, FrameHash, TimelineState } from './state';
export { pixelStats } from './pixels';
export type { PixelStats } from './pixels';
