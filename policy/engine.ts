/**
 * Runs the registry's rules over one stack's Terraform JSON and applies the suppressions.
 * Pure: no cdktf here, so tests can feed it any document.
 */
import { RULES, ruleById } from './registry';
import { reasonProblem, type RecordedSuppression } from './suppressions';
import { resources, dataSources } from './terraform-json';
import type { Evaluation, Rule, Severity, TerraformDocument } from './types';

/**
 * `pass` and `fail` are a rule's verdict on a resource; `suppressed` is a failure a suppression
 * accepts, with its reason; `not-applicable` says the stack holds nothing the rule checks.
 */
export type ResultStatus = 'pass' | 'fail' | 'suppressed' | 'not-applicable';

export interface PolicyResult {
  readonly ruleId: string;
  readonly severity: Severity;
  /** Terraform address (`aws_db_instance.x`), or `stack` for document-wide rules and `not-applicable`. */
  readonly address: string;
  /** Construct path of the resource (or of the stack for document-wide rules). */
  readonly constructPath?: string;
  readonly status: ResultStatus;
  readonly message: string;
  readonly finding?: string;
  /** The suppression's reason, for `suppressed`. */
  readonly reason?: string;
}

/** A suppression that is itself wrong: no reason, unknown rule, or nothing to suppress. */
export interface SuppressionProblem {
  readonly constructPath: string;
  readonly ruleId: string;
  readonly message: string;
}

export interface PolicyReport {
  readonly results: PolicyResult[];
  readonly problems: SuppressionProblem[];
}

export interface EvaluateOptions {
  /** @default RULES - the registry */
  readonly rules?: readonly Rule[];
  /** Construct path of the stack, used for document-wide results. @default - none */
  readonly stackPath?: string;
}

function covers(suppressionPath: string, constructPath: string | undefined): boolean {
  return constructPath !== undefined && (constructPath === suppressionPath || constructPath.startsWith(`${suppressionPath}/`));
}

/** Evaluates every rule on the document, then applies the suppressions. */
export function evaluatePolicy(
  doc: TerraformDocument,
  suppressions: readonly RecordedSuppression[] = [],
  options: EvaluateOptions = {},
): PolicyReport {
  const rules = options.rules ?? RULES;
  const paths = new Map<string, string | undefined>();
  for (const r of [...resources(doc), ...dataSources(doc)]) paths.set(r.address, r.constructPath);

  const problems: SuppressionProblem[] = [];
  const usable: RecordedSuppression[] = [];
  for (const s of suppressions) {
    const bad = reasonProblem(s.reason);
    if (!ruleById(s.ruleId) && !rules.some((r) => r.id === s.ruleId)) {
      problems.push({ constructPath: s.constructPath, ruleId: s.ruleId, message: `suppresses unknown rule id ${s.ruleId}` });
    } else if (bad) {
      problems.push({ constructPath: s.constructPath, ruleId: s.ruleId, message: `suppression of ${s.ruleId} ${bad}` });
    } else {
      usable.push(s);
    }
  }

  const used = new Set<RecordedSuppression>();
  const usedAppliesTo = new Set<string>();
  const results: PolicyResult[] = [];
  for (const rule of rules) {
    const reported = rule.evaluate(doc);
    // A rule that reports nothing still gets its row, so the table never hides a rule.
    const evaluations: readonly Evaluation[] =
      reported.length > 0 ? reported : [{ address: 'stack', notApplicable: true, message: 'nothing to check' }];
    for (const e of evaluations) {
      const constructPath = paths.get(e.address) ?? (paths.has(e.address) ? undefined : options.stackPath);
      const base = { ruleId: rule.id, severity: rule.severity, address: e.address, constructPath };
      if ('notApplicable' in e) {
        results.push({ ...base, status: 'not-applicable', message: e.message });
        continue;
      }
      const verdict = { ...base, message: e.message ?? (e.compliant ? 'compliant' : 'non-compliant'), finding: e.finding };
      if (e.compliant) {
        results.push({ ...verdict, status: 'pass' });
        continue;
      }
      // The suppression declared closest to the resource wins: a resource's own reason is more
      // specific than a waiver on its whole stack, and neither is then reported as unused.
      const match = usable
        .filter(
          (s) =>
            s.ruleId === rule.id &&
            covers(s.constructPath, constructPath) &&
            (s.appliesTo === undefined || (e.finding !== undefined && s.appliesTo.includes(e.finding))),
        )
        .sort((x, y) => y.constructPath.length - x.constructPath.length)[0];
      if (match) {
        used.add(match);
        if (e.finding) usedAppliesTo.add(`${match.constructPath}\0${match.ruleId}\0${e.finding}`);
        results.push({ ...verdict, status: 'suppressed', reason: match.reason.trim() });
      } else {
        results.push({ ...verdict, status: 'fail' });
      }
    }
  }

  for (const s of usable) {
    if (!used.has(s)) {
      problems.push({
        constructPath: s.constructPath,
        ruleId: s.ruleId,
        message: `suppression of ${s.ruleId} matches no finding; remove it (the resource complies or the path is wrong)`,
      });
      continue;
    }
    for (const key of s.appliesTo ?? []) {
      if (!usedAppliesTo.has(`${s.constructPath}\0${s.ruleId}\0${key}`)) {
        problems.push({ constructPath: s.constructPath, ruleId: s.ruleId, message: `suppression of ${s.ruleId} appliesTo "${key}" matches no finding` });
      }
    }
  }
  return { results, problems };
}

/** True when nothing blocks and no warning is left unsuppressed. */
export function isClean(report: PolicyReport): boolean {
  return report.problems.length === 0 && report.results.every((r) => r.status !== 'fail');
}
