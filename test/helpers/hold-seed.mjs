// Preloaded through NODE_OPTIONS=--import by a test that stops `npm start` during its first-start seed. The real
// seed can finish in under two seconds, before a busy test worker gets to signal the suite; this holds the seed
// process (and only it) before it begins, so the stop always lands while the seed is running.
if (process.argv[1]?.endsWith('seed-data.ts')) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
}
