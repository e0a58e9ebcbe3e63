/**
 * `npm run policy`: synthesizes every stack of the app and prints, per stack, one row per rule and
 * resource: pass, FAIL, suppressed with its reason, or not applicable (the stack holds nothing the
 * rule checks). Exits 1 when any stack has an unsuppressed error or a bad suppression, so CI can run
 * it as a gate.
 *
 *   npm run policy                 # all stacks, the table
 *   npm run policy -- --failures   # only failures and suppressions
 *   npm run policy -- --markdown   # a Markdown table, e.g. for a pull request comment
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TerraformStack } from 'cdktf';
import { buildApp, exitCodeOf, requireKnownStacks } from '../stacks/app';
import { WAIVER_REASON_PREFIX } from '../stacks/constructs/policy-exceptions';
import { invokeAspects } from '../stacks/cdktf-internals';
import type { EnvironmentConfig } from '../config/types';
import { evaluateStack, isClean, type PolicyReport, type PolicyResult, type ResultStatus } from '../policy';

/** Bucket used to include the state-bootstrap stack when TF_STATE_BUCKET is not set. */
const EXAMPLE_STATE_ENV = { TF_STATE_BUCKET: 'workshop-backend-tfstate-example', TF_STATE_REGION: 'ap-southeast-1' };

export interface StackReport {
  readonly stack: string;
  readonly report: PolicyReport;
}

/**
 * Builds the app into a temporary folder and evaluates every stack.
 * @param environments the environments to build, one stack each; @default the `environments` of config/environments.ts
 */
export function policyReports(env: NodeJS.ProcessEnv = process.env, environments?: readonly EnvironmentConfig[]): StackReport[] {
  const outdir = mkdtempSync(path.join(tmpdir(), 'policy-'));
  try {
    const app = buildApp({ outdir, env: env.TF_STATE_BUCKET ? env : { ...env, ...EXAMPLE_STATE_ENV }, environments });
    return app.node
      .findAll()
      .filter((c): c is TerraformStack => TerraformStack.isStack(c))
      .map((stack) => {
        invokeAspects(stack);
        return { stack: stack.node.id, report: evaluateStack(stack) };
      });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function statusText(r: PolicyResult): string {
  if (r.status === 'pass') return 'pass';
  if (r.status === 'not-applicable') return 'not applicable';
  if (r.status === 'fail') return r.severity === 'error' ? 'FAIL' : 'WARN';
  return `suppressed: ${r.reason}`;
}

/** The table's rows: stack, rule, resource (with the finding key), status (with the reason or message). */
export function tableRows(reports: StackReport[], failuresOnly: boolean): string[][] {
  const out: string[][] = [];
  for (const { stack, report } of reports) {
    for (const r of report.results) {
      if (failuresOnly && (r.status === 'pass' || r.status === 'not-applicable')) continue;
      // Stack-level rows say what was checked or looked for ("nothing to check: no aws_db_instance").
      const detail = r.status === 'fail' || (r.status !== 'suppressed' && r.address === 'stack') ? ` (${r.message})` : '';
      out.push([stack, r.ruleId, r.finding ? `${r.address} [${r.finding}]` : r.address, statusText(r) + detail]);
    }
    for (const p of report.problems) out.push([stack, p.ruleId, p.constructPath, `BAD SUPPRESSION: ${p.message}`]);
  }
  return out;
}

function printTable(header: string[], body: string[][], markdown: boolean): void {
  if (markdown) {
    const esc = (s: string): string => s.replace(/\|/g, '\\|');
    console.log(`| ${header.join(' | ')} |`);
    console.log(`|${header.map(() => '---').join('|')}|`);
    body.forEach((r) => console.log(`| ${r.map(esc).join(' | ')} |`));
    return;
  }
  const widths = header.map((h, i) => Math.min(70, Math.max(h.length, ...body.map((r) => r[i].length))));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  body.forEach((r) => console.log(line(r)));
}

/**
 * The summary line of one stack, each status counted apart:
 * `dev: 63 pass, 8 not applicable, 18 suppressed, 0 fail, 0 bad suppressions: clean`.
 */
export function summaryLine({ stack, report }: StackReport): string {
  const count = (s: ResultStatus): number => report.results.filter((r) => r.status === s).length;
  return (
    `${stack}: ${count('pass')} pass, ${count('not-applicable')} not applicable, ${count('suppressed')} suppressed, ` +
    `${count('fail')} fail, ${report.problems.length} bad suppressions: ${isClean(report) ? 'clean' : 'NOT CLEAN'}`
  );
}

/**
 * The waivers in effect: one row per waived finding, stack, rule, resource and the waiver's text
 * (its expiry and reason), from the suppressions whose reason starts with {@link WAIVER_REASON_PREFIX}.
 */
export function waiverRows(reports: StackReport[]): string[][] {
  return reports.flatMap(({ stack, report }) =>
    report.results
      .filter((r) => r.status === 'suppressed' && r.reason?.startsWith(WAIVER_REASON_PREFIX))
      .map((r) => [stack, r.ruleId, r.address, r.reason ?? '']),
  );
}

/**
 * `npm run policy [-- STACK...] [--failures] [--markdown]`: the table, the waivers, one summary
 * line per stack.
 * @returns the exit code: 0 when every stack is clean, 1 otherwise or for an unknown stack
 */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, environments?: readonly EnvironmentConfig[]): number {
  let failed = false;
  const code = exitCodeOf(() => {
    const requested = argv.filter((a) => !a.startsWith('--'));
    const all = policyReports(env, environments);
    requireKnownStacks('npm run policy', requested, all.map((r) => r.stack));
    const reports = requested.length > 0 ? all.filter((r) => requested.includes(r.stack)) : all;
    const markdown = argv.includes('--markdown');
    printTable(['stack', 'rule', 'resource', 'status'], tableRows(reports, argv.includes('--failures')), markdown);
    const waivers = waiverRows(reports);
    console.log('');
    console.log(waivers.length > 0 ? `Waivers (${waivers.length}), each until the date it names (config/environments.ts):` : 'Waivers: none');
    if (waivers.length > 0) printTable(['stack', 'rule', 'resource', 'waiver'], waivers, markdown);
    console.log('');
    reports.forEach((r) => console.log(summaryLine(r)));
    failed = !reports.every((r) => isClean(r.report));
  });
  return code || (failed ? 1 : 0);
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
