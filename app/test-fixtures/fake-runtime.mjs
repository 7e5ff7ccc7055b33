// A stand-in for `patchbay serve` used by the supervisor's integration test: it parses the same
// --host/--port arguments and serves GET /health, misbehaving as FAKE_RUNTIME_MODE asks:
//   healthy (default) | exit-early (exits 3 before listening) | unhealthy (answers 503)
//   ignore-sigterm (healthy, but only SIGKILL ends it) | crash-after (exits 7 after FAKE_RUNTIME_CRASH_MS)
import { createServer } from 'node:http';

const args = process.argv.slice(2);
const port = Number(args[args.indexOf('--port') + 1]);
const host = args[args.indexOf('--host') + 1];
const mode = process.env.FAKE_RUNTIME_MODE ?? 'healthy';

if (mode === 'exit-early') {
  console.error('fake runtime: failing on purpose before listening');
  process.exit(3);
}
const server = createServer((req, res) => {
  if (req.url === '/health') {
    const ok = mode !== 'unhealthy';
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: ok ? 'healthy' : 'starting', pid: process.pid }));
    return;
  }
  res.writeHead(404).end();
});
server.listen(port, host, () => {
  console.log(`fake runtime listening on ${host}:${port} (${mode})`);
  // What the real runtime prints under PATCHBAY_LOG_FORMAT=json (the app sets it).
  if (process.env.PATCHBAY_LOG_FORMAT === 'json')
    console.error(
      JSON.stringify({
        level: 30,
        time: 1733230000000,
        pid: 1234,
        component: 'serve',
        session: 'abcd1234',
        msg: 'fake runtime: a pino line',
      }),
    );
});
if (mode === 'ignore-sigterm') {
  process.on('SIGTERM', () => console.log('fake runtime: ignoring SIGTERM'));
} else {
  process.on('SIGTERM', () => {
    console.log('fake runtime: SIGTERM, closing');
    server.close(() => process.exit(0));
  });
}
if (mode === 'crash-after') {
  setTimeout(
    () => {
      console.error('fake runtime: crashing on purpose');
      process.exit(7);
    },
    Number(process.env.FAKE_RUNTIME_CRASH_MS ?? 300),
  );
}
