/** Renders estimates as text for a terminal and as Markdown for a pull request comment. */
import type { CostLine, StackEstimate } from './estimate';
import { allPrices, HOURS_PER_MONTH, PRICE_TABLES, readOnRange } from './prices';

/** USD with cents, or with four decimals below one cent so small lines do not read as free. */
export function usd(amount: number): string {
  const digits = amount !== 0 && Math.abs(amount) < 0.01 ? 4 : 2;
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/** An hourly rate in USD, to a tenth of a cent. */
export function usdPerHour(amount: number): string {
  return `$${amount.toFixed(3)}`;
}

/** A signed change in USD: `+$1.20`, `-$0.80`, `±$0.00`. */
export function usdChange(amount: number): string {
  if (Math.abs(amount) < 0.005) return '±$0.00';
  return `${amount > 0 ? '+' : '-'}${usd(Math.abs(amount))}`;
}

function quantity(l: CostLine): string {
  const q = l.quantity;
  const text = Number.isInteger(q) ? q.toLocaleString('en-US') : q.toLocaleString('en-US', { maximumFractionDigits: q < 10 ? 3 : 1 });
  return `${text} ${l.quantityUnit}`;
}

function price(l: CostLine): string {
  return `$${l.price.usd}/${l.price.unit}${l.price.verified ? '' : '*'}`;
}

/** Where a stack's usage assumptions come from, in words. */
function usageBasis(e: StackEstimate): string {
  return e.profile === null ? 'no usage assumed (not an environment of config/environments.ts)' : `usage assumptions of the ${e.profile} profile in config/usage.ts`;
}

/**
 * The line that says what the numbers are: for one stack, its Region's prices and when they were
 * read and its profile's usage; without a stack, every Region priced and when.
 */
export function basisLine(e?: StackEstimate): string {
  const hours = `USD a month (${HOURS_PER_MONTH} hours)`;
  if (e !== undefined) {
    const prices = e.lines.length > 0 ? e.lines.map((l) => l.price) : allPrices(PRICE_TABLES[e.region]);
    return `${hours}, ${e.region} on-demand list prices read ${readOnRange(prices)}, before any free tier; ${usageBasis(e)}.`;
  }
  const regions = Object.values(PRICE_TABLES).map((t) => `${t.region} read ${readOnRange(allPrices(t))}`);
  return `${hours}, on-demand list prices of each stack's own Region (${regions.join('; ')}), before any free tier; usage assumptions of each environment's profile in config/usage.ts.`;
}

function unverifiedFootnote(e: StackEstimate): string | undefined {
  return e.lines.some((l) => !l.price.verified) ? `* not verified against the ${e.region} price list: see tools/cost/prices.ts.` : undefined;
}

/** The pages a stack's prices come from, grouped by the day they were read: `read D from URL, URL`. */
function sources(e: StackEstimate): string[] {
  const byDay = new Map<string, Set<string>>();
  for (const { price: p } of e.lines) byDay.set(p.readOn, (byDay.get(p.readOn) ?? new Set()).add(p.source));
  return [...byDay].sort(([a], [b]) => a.localeCompare(b)).map(([day, urls]) => `read ${day} from ${[...urls].join(', ')}`);
}

/** One stack as aligned text, every line with its quantity, price and monthly amount, then the prices' sources. */
export function renderText(e: StackEstimate): string {
  const rows = e.lines.map((l) => [l.item, quantity(l), price(l), usd(l.monthlyUsd)]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const usageOf = e.profile === null ? 'no usage' : `${e.profile} usage`;
  const out = [`${e.stack}: ${usd(e.monthlyUsd)} a month, ${usdPerHour(e.hourlyUsd)} an hour deployed (${e.region} prices, ${usageOf})`];
  for (const r of rows) out.push(`  ${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])}  × ${r[2].padEnd(widths[2])}  ${r[3].padStart(10)}`);
  if (e.unpriced.length > 0) out.push(`  Not in the estimate: ${e.unpriced.map((u) => `${u.type} (${u.count})`).join(', ')}`);
  const footnote = unverifiedFootnote(e);
  if (footnote !== undefined) out.push(`  ${footnote}`);
  for (const line of sources(e)) out.push(`  ${e.region} prices ${line}`);
  return `${out.join('\n')}\n`;
}

/** The HTML comment that marks a stack's cost section. */
export function costMarker(stack: string): string {
  return `<!-- cost:${stack} -->`;
}

/**
 * One stack as a Markdown section for the plan comment: the total and its change from the base
 * branch's estimate, then the line items in a collapsed table.
 * @param base the base branch's estimate of the same stack; `null` when the stack is new there,
 *   `undefined` when the base was not estimated
 */
export function renderMarkdown(e: StackEstimate, base?: StackEstimate | null): string {
  const change =
    base === undefined ? '' : base === null ? ' (new stack: not on the base branch)' : ` (${usdChange(e.monthlyUsd - base.monthlyUsd)} a month from the base branch, ${usd(base.monthlyUsd)})`;
  const baseLine = (item: string) => base?.lines.find((l) => l.item === item);
  const out = [
    costMarker(e.stack),
    `#### Monthly cost estimate for \`${e.stack}\`: **${usd(e.monthlyUsd)}**${change}`,
    '',
    `<details><summary>${e.lines.length} line items; ${usdPerHour(e.hourlyUsd)} an hour deployed</summary>`,
    '',
    `| Item | Quantity | Price | Monthly${base ? ' | Change' : ''} |`,
    `|---|---:|---:|---:${base ? '|---:' : ''}|`,
  ];
  for (const l of e.lines) {
    const delta = base ? ` | ${usdChange(l.monthlyUsd - (baseLine(l.item)?.monthlyUsd ?? 0))}` : '';
    out.push(`| ${l.item} | ${quantity(l)} | [${price(l)}](${l.price.source}) | ${usd(l.monthlyUsd)}${delta} |`);
  }
  for (const gone of base?.lines.filter((b) => !e.lines.some((l) => l.item === b.item)) ?? []) {
    out.push(`| ~~${gone.item}~~ (removed) | | | ${usd(0)} | ${usdChange(-gone.monthlyUsd)} |`);
  }
  out.push('', basisLine(e));
  const footnote = unverifiedFootnote(e);
  if (footnote !== undefined) out.push(footnote.replace(/^\*/, '\\*'));
  if (e.unpriced.length > 0) out.push(`Not in the estimate: ${e.unpriced.map((u) => `\`${u.type}\` (${u.count})`).join(', ')}.`);
  out.push('', '</details>', '');
  return out.join('\n');
}
