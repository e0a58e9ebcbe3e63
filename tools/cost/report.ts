/** Renders estimates as text for a terminal and as Markdown for a pull request comment. */
import type { CostLine, StackEstimate } from './estimate';
import { HOURS_PER_MONTH, PRICES_AS_OF, PRICE_REGION } from './prices';

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

/** The line that says what the numbers are. */
export function basisLine(): string {
  return `USD a month (${HOURS_PER_MONTH} hours), ${PRICE_REGION} on-demand list prices of ${PRICES_AS_OF}, before any free tier; usage assumptions in config/usage.ts.`;
}

const UNVERIFIED_FOOTNOTE = '* not verified against the ap-southeast-1 price list: see tools/cost/prices.ts.';

/** One stack as aligned text, every line with its quantity, price and monthly amount. */
export function renderText(e: StackEstimate): string {
  const rows = e.lines.map((l) => [l.item, quantity(l), price(l), usd(l.monthlyUsd)]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const out = [`${e.stack}: ${usd(e.monthlyUsd)} a month, ${usdPerHour(e.hourlyUsd)} an hour deployed`];
  for (const r of rows) out.push(`  ${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])}  × ${r[2].padEnd(widths[2])}  ${r[3].padStart(10)}`);
  if (e.unpriced.length > 0) out.push(`  Not in the estimate: ${e.unpriced.map((u) => `${u.type} (${u.count})`).join(', ')}`);
  if (e.lines.some((l) => !l.price.verified)) out.push(`  ${UNVERIFIED_FOOTNOTE}`);
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
    out.push(`| ${l.item} | ${quantity(l)} | ${price(l)} | ${usd(l.monthlyUsd)}${delta} |`);
  }
  for (const gone of base?.lines.filter((b) => !e.lines.some((l) => l.item === b.item)) ?? []) {
    out.push(`| ~~${gone.item}~~ (removed) | | | ${usd(0)} | ${usdChange(-gone.monthlyUsd)} |`);
  }
  out.push('', basisLine());
  if (e.lines.some((l) => !l.price.verified)) out.push(UNVERIFIED_FOOTNOTE.replace(/^\*/, '\\*'));
  if (e.unpriced.length > 0) out.push(`Not in the estimate: ${e.unpriced.map((u) => `\`${u.type}\` (${u.count})`).join(', ')}.`);
  out.push('', '</details>', '');
  return out.join('\n');
}
