/**
 * Invert: the runtime (as nodes/<type>/runtime.ts is for a built-in). It runs on the runtime's
 * main thread, between two frames: inverting 512×512 I420 (384 KiB) takes well under a
 * millisecond. A heavier processor would run in a worker (the built-in Pipeline node does,
 * through ctx.host.startPipelineWorker).
 * @param {import('../../runtime/host/node-packages').NodePackageApi} api
 */
export function invertRuntime(api) {
  class InvertRuntime extends api.BaseRuntime {
    start() {
      this.status = 'idle';
      this.message = 'waiting for frames';
    }

    receive(port, h) {
      if (this.stopped || port !== 'video') return;
      const now = this.ctx.clock.now();
      this.meter.noteIn(now);
      const t0 = performance.now();
      const input = this.ctx.pool.view(h);
      const out = this.ctx.pool.acquire(input.width, input.height, input.timestampMs, input.seq);
      if (!out) {
        this.drops++;
        return;
      }
      invert(input.data, this.ctx.pool.view(out).data, this.params.amount);
      this.status = 'running';
      this.message = undefined;
      this.meter.noteOut(now, performance.now() - t0);
      // Hands the result downstream (and gives back this node's reference to it).
      this.ctx.emit(this.id, out);
    }
  }
  return (node, ctx) => new InvertRuntime(node, ctx);
}

/**
 * Every I420 byte v becomes 255 − v (Y, U and V alike: full-range YUV, so RGB inverts too),
 * blended with the input by `amount`.
 * @param {Uint8Array} src
 * @param {Uint8Array} dst
 * @param {number} amount
 */
export function invert(src, dst, amount) {
  if (amount >= 1) {
    for (let i = 0; i < src.length; i++) dst[i] = 255 - src[i];
    return;
  }
  for (let i = 0; i < src.length; i++) dst[i] = Math.round(src[i] + amount * (255 - 2 * src[i]));
}
