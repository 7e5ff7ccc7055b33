/** Spout (Windows) sources and sinks (see ../README.md). */
export { loadSpout, SpoutSink, SpoutSource, SPOUT_VTABLE, GL_RGBA } from './spout';
export type { SpoutApi, SpoutFactory, SpoutLoadOptions, SpoutSinkOptions, SpoutSourceOptions } from './spout';
