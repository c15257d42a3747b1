// Seeded pseudo-random numbers, for what must come out the same on every run: the marketplace's simulated
// failures, metrics and health (SIM_SEED), and the bench's generated packages. Never for secrets (node:crypto).

/** mulberry32: numbers in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** mulberry32 seeded by a string hash (FNV-1a) of the parts: one reproducible stream per (seed, deployment, …). */
export function seededRandom(...parts: (string | number)[]): () => number {
  let h = 2166136261;
  for (const ch of parts.join('|')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 16777619);
  }
  return mulberry32(h);
}
