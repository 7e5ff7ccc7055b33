import { Player, playerQuery } from './player';

/**
 * Entry of play.html: reads the query, starts the player and exposes it on `window.patchbay`
 * (the Playwright fixture in runtime/playwright drives it).
 */
const root = document.getElementById('outputs')!;
const query = playerQuery(location.search);
if ('error' in query) {
  document.body.dataset.status = 'error';
  document.body.dataset.error = query.error;
  const banner = document.getElementById('player-error')!;
  banner.textContent = query.error;
  banner.hidden = false;
} else {
  const player = new Player({ ...query, root });
  (window as unknown as { patchbay: Player }).patchbay = player;
  window.addEventListener('pagehide', () => void player.close());
  void player.start();
}
