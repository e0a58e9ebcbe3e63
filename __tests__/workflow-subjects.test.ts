/**
 * Every workflow job that assumes an AWS role presents an OIDC token whose subject its role's
 * synthesized trust policy admits, and the trust admits nothing else.
 *
 * Read from the workflows, not from config/ci.ts: which jobs assume a role, what starts them (their
 * events), their GitHub environment, their matrix (expanded from the environment list the workflow's
 * list job prints) and the role ARN and Region they pass to aws-actions/configure-aws-credentials.
 * The subjects are computed here from GitHub's documented format; the roles are looked up by ARN in
 * the synthesized stacks (the provider's allowed account and the role's name) and their trust policy
 * evaluated as IAM would, StringLike wildcards included.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ENVIRONMENT_DEFINITIONS } from '../config/environments';
import { resolveEnvironment } from '../config/profiles';
import { REPOSITORY, type GitHubRepository } from '../config/repository';
import type { EnvironmentDefinition } from '../config/types';
import { buildApp } from '../stacks/app';
import { deployedByCi, environmentSummaries, type EnvironmentSummary } from '../tools/environments';
import { DEV_DEFINITION, PROD_DEFINITION } from './support/environments';
import { scratchDir } from './support/scratch';

const WORKFLOW_DIR = path.resolve(__dirname, '..', '.github', 'workflows');
const LIST_COMMAND = 'echo "list=$(npm run --silent environments -- --json --ci)" >> "$GITHUB_OUTPUT"';
const CREDENTIALS_ACTION = 'aws-actions/configure-aws-credentials@';
const OIDC_HOST = 'token.actions.githubusercontent.com';
/** The audience aws-actions/configure-aws-credentials asks for unless a step sets `audience`. */
const DEFAULT_AUDIENCE = 'sts.amazonaws.com';

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Job {
  if?: string;
  uses?: string;
  with?: Record<string, string>;
  needs?: string | string[];
  environment?: string | { name: string };
  outputs?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  steps?: Step[];
}
interface Workflow {
  on: Record<string, { branches?: string[] } | null | unknown[]>;
  jobs: Record<string, Job>;
}

const workflow = (file: string): Workflow => parse(readFileSync(path.join(WORKFLOW_DIR, file), 'utf8')) as Workflow;
const WORKFLOW_FILES = readdirSync(WORKFLOW_DIR).filter((f) => f.endsWith('.yml'));

/** Replaces `${{ matrix.x }}` and `${{ inputs.x }}`; any other expression cannot be resolved statically and fails. */
function resolve(value: string, context: { matrix?: Record<string, unknown>; inputs?: Record<string, unknown> }): string {
  return value.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_all, expression: string) => {
    const m = /^(matrix|inputs)\.([\w-]+)$/.exec(expression);
    const found = m ? context[m[1] as 'matrix' | 'inputs']?.[m[2]] : undefined;
    if (typeof found !== 'string') throw new Error(`cannot resolve \${{ ${expression} }} statically (only matrix.* and inputs.* of the environment list are)`);
    return found;
  });
}

const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);

/**
 * The matrix entries of `job`: one empty entry without a matrix; the environment list when the
 * matrix is `include: fromJSON(<the list job's output>)`, after checking that the output is the
 * list step's, and that step runs `npm run environments -- --json --ci`.
 */
function matrixEntries(wf: Workflow, job: Job, list: readonly EnvironmentSummary[]): Record<string, unknown>[] {
  const matrix = job.strategy?.matrix;
  if (matrix === undefined) return [{}];
  const m = /^\$\{\{ fromJSON\(needs\.([\w-]+)\.outputs\.([\w-]+)\) \}\}$/.exec(String(matrix.include));
  if (!m || Object.keys(matrix).length !== 1) throw new Error(`matrix ${JSON.stringify(matrix)} is not the environment list`);
  const [, producer, output] = m;
  expect(needsOf(job)).toContain(producer);
  const step = /^\$\{\{ steps\.([\w-]+)\.outputs\.list \}\}$/.exec(wf.jobs[producer].outputs?.[output] ?? '');
  expect(step).not.toBeNull();
  expect(wf.jobs[producer].steps?.find((s) => s.id === step![1])?.run).toBe(LIST_COMMAND);
  return list.map((entry) => ({ ...entry }));
}

/** One job run that assumes a role: what starts it, what it presents and what it asks for. */
interface Assumption {
  /** `apply.yml apply → terraform-apply.yml apply [prod]` */
  readonly job: string;
  readonly event: string;
  /** The claim after `repo:...:`. */
  readonly claim: string;
  readonly roleArn: string;
  readonly region: string;
  readonly audience: string;
  readonly entry: Record<string, unknown>;
}

/** True when `job`, or a job it needs, runs only on `refs/heads/<branch>`. */
function guardedToBranch(wf: Workflow, jobName: string, branch: string): boolean {
  const job = wf.jobs[jobName];
  return (job.if ?? '').includes(`github.ref == 'refs/heads/${branch}'`) || needsOf(job).some((n) => guardedToBranch(wf, n, branch));
}

/** The claims a job of `wf` presents for each event that starts it, when it runs in no GitHub environment. */
function eventClaims(wf: Workflow, jobName: string, defaultBranch: string): { event: string; claim: string }[] {
  return Object.entries(wf.on).flatMap(([event, filter]) => {
    if (event === 'pull_request') return [{ event, claim: 'pull_request' }];
    if (event === 'push') {
      const branches = (filter as { branches?: string[] } | null)?.branches;
      if (!branches || branches.some((b) => /[*?[!]/.test(b))) throw new Error(`${jobName}: push on unlisted branches; its subjects cannot be bounded`);
      return branches.map((b) => ({ event, claim: `ref:refs/heads/${b}` }));
    }
    // Scheduled runs use the default branch's workflow; a manual run must be held to it by an `if`.
    if (event === 'schedule') return [{ event, claim: `ref:refs/heads/${defaultBranch}` }];
    if (event === 'workflow_dispatch') {
      if (!guardedToBranch(wf, jobName, defaultBranch)) throw new Error(`${jobName}: workflow_dispatch may run on any branch; guard it to ${defaultBranch}`);
      return [{ event, claim: `ref:refs/heads/${defaultBranch}` }];
    }
    if (event === 'workflow_call') return [];
    throw new Error(`${jobName}: no subject rule for event ${event}`);
  });
}

/** Every run of a job that assumes a role, across workflows, events and matrix entries. */
function assumptions(list: readonly EnvironmentSummary[], defaultBranch: string): Assumption[] {
  const out: Assumption[] = [];
  const visit = (wf: Workflow, jobName: string, job: Job, label: string, context: { matrix?: Record<string, unknown>; inputs?: Record<string, unknown> }, entry: Record<string, unknown>) => {
    const steps = (job.steps ?? []).filter((s) => s.uses?.startsWith(CREDENTIALS_ACTION));
    if (steps.length === 0) return;
    const environment = job.environment === undefined ? undefined : resolve(typeof job.environment === 'string' ? job.environment : job.environment.name, context);
    const claims = environment !== undefined
      ? Object.keys(wf.on).filter((e) => e !== 'workflow_call').map((event) => ({ event, claim: `environment:${environment}` }))
      : eventClaims(wf, jobName, defaultBranch);
    for (const s of steps) {
      for (const { event, claim } of claims) {
        out.push({
          job: label,
          event,
          claim,
          roleArn: resolve(s.with!['role-to-assume'], context),
          region: resolve(s.with!['aws-region'], context),
          audience: s.with!.audience ?? DEFAULT_AUDIENCE,
          entry,
        });
      }
    }
  };
  for (const file of WORKFLOW_FILES) {
    const wf = workflow(file);
    if (Object.keys(wf.on).every((e) => e === 'workflow_call')) continue; // reached through its callers
    for (const [jobName, job] of Object.entries(wf.jobs)) {
      for (const entry of matrixEntries(wf, job, list)) {
        const tag = entry.environment === undefined ? '' : ` [${String(entry.environment)}]`;
        if (job.uses?.startsWith('./.github/workflows/')) {
          const callee = workflow(path.basename(job.uses));
          const inputs = Object.fromEntries(Object.entries(job.with ?? {}).map(([k, v]) => [k, resolve(String(v), { matrix: entry })]));
          // A called workflow's jobs run with the caller's event.
          for (const [calleeJobName, calleeJob] of Object.entries(callee.jobs)) {
            visit({ ...callee, on: wf.on, jobs: { ...callee.jobs } }, calleeJobName, calleeJob, `${file} ${jobName} → ${path.basename(job.uses)} ${calleeJobName}${tag}`, { inputs }, entry);
          }
        } else {
          visit(wf, jobName, job, `${file} ${jobName}${tag}`, { matrix: entry }, entry);
        }
      }
    }
  }
  return out;
}

/** The subject of a claim in each format GitHub issues for the repository. */
function subjectsOf(repository: GitHubRepository, claim: string): string[] {
  const classic = `repo:${repository.owner}/${repository.name}:${claim}`;
  if (repository.ownerId === undefined) return [classic];
  return [classic, `repo:${repository.owner}@${repository.ownerId}/${repository.name}@${repository.repositoryId}:${claim}`];
}

type Doc = { provider?: { aws?: { allowed_account_ids?: string[] }[] }; resource?: Record<string, Record<string, Record<string, unknown>>> };

/** Synthesizes the app and reads every stack's JSON. */
function synthesizedStacks(options: Parameters<typeof buildApp>[0]): Map<string, Doc> {
  const outdir = scratchDir('subjects-');
  buildApp({ outdir, env: {}, notice: () => undefined, ...options }).synth();
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as { stacks: Record<string, { synthesizedStackPath: string }> };
  return new Map(Object.entries(manifest.stacks).map(([name, s]) => [name, JSON.parse(readFileSync(path.join(outdir, s.synthesizedStackPath), 'utf8')) as Doc]));
}

/** A role the ARN names, found in the stack pinned to the ARN's account, with that stack's document. */
interface FoundRole {
  readonly stack: string;
  readonly doc: Doc;
  readonly trust: { Statement: Record<string, any>[] };
}

function findRole(stacks: Map<string, Doc>, arn: string): FoundRole {
  const m = /^arn:aws:iam::(\d{12}):role\/([\w+=,.@-]+)$/.exec(arn);
  if (!m) throw new Error(`${arn} is not a role ARN`);
  const found = [...stacks].flatMap(([stack, doc]) =>
    (doc.provider?.aws ?? []).some((p) => p.allowed_account_ids?.length === 1 && p.allowed_account_ids[0] === m[1])
      ? Object.values(doc.resource?.aws_iam_role ?? {})
          .filter((r) => r.name === m[2])
          .map((r) => ({ stack, doc, trust: JSON.parse(String(r.assume_role_policy)) }))
      : [],
  );
  if (found.length !== 1) throw new Error(`${arn}: ${found.length} roles of that name in stacks pinned to account ${m[1]}`);
  return found[0];
}

/** IAM's StringLike: `*` any run of characters, `?` one. */
const globMatches = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(value);

/**
 * Whether the trust policy lets a token of the stack's GitHub OIDC provider with these claims
 * assume the role, as IAM decides: an Allow statement for sts:AssumeRoleWithWebIdentity whose
 * Federated principal is that provider and whose every condition holds, and no Deny. An operator
 * this evaluator does not know fails the test rather than guessing.
 */
function admits(role: FoundRole, claims: { sub: string; aud: string }): boolean {
  const providers = Object.entries(role.doc.resource?.aws_iam_openid_connect_provider ?? {})
    .filter(([, p]) => p.url === `https://${OIDC_HOST}` && (p.client_id_list as string[]).includes(DEFAULT_AUDIENCE))
    .map(([name]) => `\${aws_iam_openid_connect_provider.${name}.arn}`);
  const holds = (statement: Record<string, any>): boolean => {
    const actions = [statement.Action].flat();
    const federated = [statement.Principal?.Federated].flat();
    if (!actions.some((a) => a === 'sts:AssumeRoleWithWebIdentity' || a === 'sts:*' || a === '*')) return false;
    if (!federated.some((f) => providers.includes(f))) return false;
    return Object.entries((statement.Condition ?? {}) as Record<string, Record<string, string | string[]>>).every(([operator, keys]) =>
      Object.entries(keys).every(([key, raw]) => {
        const values = [raw].flat();
        const claim = key === `${OIDC_HOST}:sub` ? claims.sub : key === `${OIDC_HOST}:aud` ? claims.aud : undefined;
        if (claim === undefined) throw new Error(`condition key ${key} is not a claim this test knows`);
        if (operator === 'StringEquals') return values.includes(claim);
        if (operator === 'StringLike') return values.some((v) => globMatches(v, claim));
        throw new Error(`condition operator ${operator} is not one this test evaluates`);
      }),
    );
  };
  const statements = role.trust.Statement;
  return statements.some((s) => s.Effect === 'Allow' && holds(s)) && !statements.some((s) => s.Effect === 'Deny' && holds(s));
}

/** Every `sub` value a trust policy tests, by operator. */
function subjectConditions(role: FoundRole): { operator: string; value: string }[] {
  return role.trust.Statement.flatMap((s) =>
    Object.entries((s.Condition ?? {}) as Record<string, Record<string, string | string[]>>).flatMap(([operator, keys]) =>
      [keys[`${OIDC_HOST}:sub`] ?? []].flat().map((value) => ({ operator, value })),
    ),
  );
}

/** Subjects a job of the repository could present that no role of `kind` should admit. */
function neighbours(repository: GitHubRepository, subject: string, defaultBranch: string): string[] {
  const claim = subject.slice(subject.indexOf(':', 'repo:'.length) + 1);
  const others = [
    'pull_request',
    `ref:refs/heads/${defaultBranch}`,
    'ref:refs/heads/feature/x',
    `ref:refs/heads/${defaultBranch}-old`,
    'ref:refs/tags/v1.0.0',
    'environment:prod',
    'environment:staging',
    'environment:dev',
    'environment:prod-copy',
  ].filter((c) => c !== claim);
  const otherRepos: GitHubRepository[] = [
    { ...repository, owner: `${repository.owner}-fork` },
    { ...repository, name: `${repository.name}-copy` },
    ...(repository.ownerId === undefined ? [] : [{ ...repository, repositoryId: `${repository.repositoryId}9` }, { ...repository, ownerId: `${repository.ownerId}9` }]),
  ];
  return [...others.flatMap((c) => subjectsOf(repository, c)), ...otherRepos.flatMap((r) => subjectsOf(r, claim)), `${subject}x`];
}

interface Scenario {
  readonly name: string;
  readonly repository: GitHubRepository;
  readonly definitions: readonly EnvironmentDefinition[];
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'the shipped configuration (classic subjects)', repository: REPOSITORY, definitions: ENVIRONMENT_DEFINITIONS },
  {
    // dev pinned to an account of its own, prod and a staging sharing another, a sandbox left unpinned;
    // a repository with its immutable ids, so the roles admit both subject formats.
    name: 'three pinned environments in two accounts and an immutable repository',
    repository: { owner: 'octo-org', name: 'workshop-backend', ownerId: '1234567', repositoryId: '890123456', defaultBranch: 'main' },
    definitions: [
      { ...DEV_DEFINITION, account: '444455556666' },
      PROD_DEFINITION,
      { environment: 'staging', profile: 'production', region: 'eu-west-1', account: '111122223333' },
      { environment: 'sandbox', profile: 'workshop', region: 'ap-southeast-1' },
    ],
  },
];

describe.each(SCENARIOS)('the OIDC subjects of the workflow jobs: $name', (scenario) => {
  const { repository, definitions } = scenario;
  const list = environmentSummaries(definitions).filter(deployedByCi);
  let stacks: Map<string, Doc>;
  let runs: Assumption[];
  beforeAll(() => {
    stacks = synthesizedStacks({ repository, environments: definitions.map(resolveEnvironment) });
    runs = assumptions(list, repository.defaultBranch);
  });

  it('finds each job that assumes a role, once per environment CI deploys and per event that starts it', () => {
    const names = list.map((e) => e.environment);
    expect(names.length).toBeGreaterThan(0);
    const expected = names.flatMap((n) => [
      `pull_request plan.yml plan [${n}]`,
      `schedule drift.yml drift [${n}]`,
      `workflow_dispatch drift.yml drift [${n}]`,
      `push apply.yml apply → terraform-apply.yml apply [${n}]`,
    ]);
    expect(runs.map((r) => `${r.event} ${r.job}`).sort()).toEqual(expected.sort());
  });

  it('computes the subject of each job from what starts it: pull_request, the default branch, or its GitHub environment', () => {
    for (const run of runs) {
      const expected =
        run.job.startsWith('plan.yml') ? 'pull_request' : run.job.startsWith('drift.yml') ? `ref:refs/heads/${repository.defaultBranch}` : `environment:${String(run.entry.environment)}`;
      expect({ job: run.job, claim: run.claim }).toEqual({ job: run.job, claim: expected });
    }
  });

  it("has each job assume a role of its environment's account, in its environment's Region", () => {
    for (const run of runs) {
      const account = String(run.entry.account);
      expect({ job: run.job, arn: run.roleArn }).toEqual({ job: run.job, arn: expect.stringMatching(new RegExp(`^arn:aws:iam::${account}:role/`)) });
      expect({ job: run.job, region: run.region }).toEqual({ job: run.job, region: run.entry.region });
    }
  });

  it("has each job's role, found by its ARN in the synthesized stacks, admit the job's subject in every format", () => {
    for (const run of runs) {
      const role = findRole(stacks, run.roleArn);
      for (const sub of subjectsOf(repository, run.claim)) {
        expect({ job: run.job, event: run.event, sub, admitted: admits(role, { sub, aud: run.audience }) }).toEqual({ job: run.job, event: run.event, sub, admitted: true });
      }
    }
  });

  it("has each job's role refuse other repositories, branches, events and environments, and another audience", () => {
    for (const run of runs) {
      const role = findRole(stacks, run.roleArn);
      for (const sub of subjectsOf(repository, run.claim)) {
        expect(admits(role, { sub, aud: 'https://github.com/octo-org' })).toBe(false);
        const admitted = neighbours(repository, sub, repository.defaultBranch).filter((other) => admits(role, { sub: other, aud: run.audience }));
        // Another pinned environment's apply subject is admitted only by that environment's role, never this one.
        expect({ job: run.job, sub, admitted: admitted.filter((other) => !runs.some((r) => r.roleArn === run.roleArn && subjectsOf(repository, r.claim).includes(other))) }).toEqual({ job: run.job, sub, admitted: [] });
      }
    }
  });

  it('has every CI role trust exactly the subjects of the jobs that assume it, by StringEquals, and nothing broader', () => {
    const expectedByRole = new Map<string, Set<string>>();
    for (const run of runs) {
      const set = expectedByRole.get(run.roleArn) ?? new Set<string>();
      for (const sub of subjectsOf(repository, run.claim)) set.add(sub);
      expectedByRole.set(run.roleArn, set);
    }
    for (const [arn, expected] of expectedByRole) {
      const conditions = subjectConditions(findRole(stacks, arn));
      expect({ arn, operators: [...new Set(conditions.map((c) => c.operator))] }).toEqual({ arn, operators: ['StringEquals'] });
      expect({ arn, subjects: conditions.map((c) => c.value).sort() }).toEqual({ arn, subjects: [...expected].sort() });
    }
    // No role that trusts the OIDC provider is left that no job assumes.
    const oidcRoles = [...stacks].flatMap(([, doc]) =>
      Object.values(doc.resource?.aws_iam_role ?? {})
        .filter((r) => String(r.assume_role_policy).includes('AssumeRoleWithWebIdentity'))
        .map((r) => `arn:aws:iam::${doc.provider!.aws![0].allowed_account_ids![0]}:role/${String(r.name)}`),
    );
    expect(oidcRoles.sort()).toEqual([...expectedByRole.keys()].sort());
  });

  it('admits the drift job on the default branch with the drift role, which the plan role refuses', () => {
    const drift = runs.filter((r) => r.job.startsWith('drift.yml'));
    expect(drift.length).toBeGreaterThan(0);
    for (const run of drift) {
      const sub = subjectsOf(repository, run.claim)[0];
      expect(sub).toBe(`repo:${repository.owner}/${repository.name}:ref:refs/heads/main`);
      expect(admits(findRole(stacks, run.roleArn), { sub, aud: run.audience })).toBe(true);
      expect(admits(findRole(stacks, String(run.entry.planRoleArn)), { sub, aud: run.audience })).toBe(false);
    }
  });

  it("refuses one environment's apply job the apply role of another", () => {
    const applies = runs.filter((r) => r.job.startsWith('apply.yml'));
    for (const run of applies) {
      for (const other of applies.filter((o) => o.roleArn !== run.roleArn)) {
        for (const sub of subjectsOf(repository, run.claim)) expect(admits(findRole(stacks, other.roleArn), { sub, aud: run.audience })).toBe(false);
      }
    }
  });
});

describe('the immutable subject format', () => {
  const scenario = SCENARIOS[1];
  const list = environmentSummaries(scenario.definitions).filter(deployedByCi);
  let stacks: Map<string, Doc>;
  beforeAll(() => {
    stacks = synthesizedStacks({ repository: scenario.repository, environments: scenario.definitions.map(resolveEnvironment) });
  });

  it('is admitted for every job of a repository with its ids configured, and the classic one still is', () => {
    const runs = assumptions(list, 'main');
    for (const run of runs) {
      const role = findRole(stacks, run.roleArn);
      expect(admits(role, { sub: `repo:octo-org@1234567/workshop-backend@890123456:${run.claim}`, aud: DEFAULT_AUDIENCE })).toBe(true);
      expect(admits(role, { sub: `repo:octo-org/workshop-backend:${run.claim}`, aud: DEFAULT_AUDIENCE })).toBe(true);
      // The same names under other ids: a repository deleted and created again by someone else.
      expect(admits(role, { sub: `repo:octo-org@7654321/workshop-backend@890123456:${run.claim}`, aud: DEFAULT_AUDIENCE })).toBe(false);
      expect(admits(role, { sub: `repo:octo-org@1234567/workshop-backend@111111111:${run.claim}`, aud: DEFAULT_AUDIENCE })).toBe(false);
    }
  });

  it('is not admitted when the repository has no ids configured', () => {
    const classic = synthesizedStacks({ repository: { ...scenario.repository, ownerId: undefined, repositoryId: undefined }, environments: scenario.definitions.map(resolveEnvironment) });
    for (const run of assumptions(list, 'main')) {
      expect(admits(findRole(classic, run.roleArn), { sub: `repo:octo-org@1234567/workshop-backend@890123456:${run.claim}`, aud: DEFAULT_AUDIENCE })).toBe(false);
    }
  });
});

describe('the evaluator of this test', () => {
  it('admits a subject a StringLike wildcard covers, so a broad trust would fail the tests above', () => {
    const role: FoundRole = {
      stack: 'x',
      doc: { resource: { aws_iam_openid_connect_provider: { gh: { url: `https://${OIDC_HOST}`, client_id_list: [DEFAULT_AUDIENCE] } } } },
      trust: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: '${aws_iam_openid_connect_provider.gh.arn}' },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: { StringEquals: { [`${OIDC_HOST}:aud`]: DEFAULT_AUDIENCE }, StringLike: { [`${OIDC_HOST}:sub`]: 'repo:octo-org/*:*' } },
          },
        ],
      },
    };
    expect(admits(role, { sub: 'repo:octo-org/other-repo:ref:refs/heads/feature', aud: DEFAULT_AUDIENCE })).toBe(true);
    expect(admits(role, { sub: 'repo:evil/other-repo:pull_request', aud: DEFAULT_AUDIENCE })).toBe(false);
    expect(subjectConditions(role)).toEqual([{ operator: 'StringLike', value: 'repo:octo-org/*:*' }]);
  });
});
