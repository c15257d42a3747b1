// A marketplace tier's price as a person reads it, the same words in the service CLI (`service-cli info`) and the
// dashboard (catalog, deploy form, plan change). A metered tier has no monthly price but is not free: it bills every
// unit beyond the included ones, so it says what a unit costs; a flat tier with a meter adds that to the month.

export interface PricedTier {
  /** Dollars a period (0 for free and metered tiers). */
  price: number;
  period?: string;
  /** free: $0; flat: the monthly price; metered: pay as you go on `usage` only. */
  model?: string;
  usage?: { unit: string; pricePer: number; price: number } | null;
}

const dollars = (n: number, maxDecimals: number) =>
  `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: maxDecimals })}`;

export function tierPrice(t: PricedTier): string {
  // A usage price keeps its decimals: two would print $0.02 where the meter charges $0.015.
  const usage = t.usage ? `${dollars(t.usage.price, 6)} per ${t.usage.pricePer.toLocaleString('en-US')} ${t.usage.unit}s` : undefined;
  if (t.model === 'metered') return usage ? `pay as you go, ${usage}` : 'pay as you go';
  if (t.price === 0 && t.model !== 'flat') return 'free';
  return `${dollars(t.price, 2)}/${t.period ?? 'month'}${usage ? ` + ${usage}` : ''}`;
}
