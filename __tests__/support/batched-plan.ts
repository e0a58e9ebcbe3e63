/**
 * Several stacks planned by ONE `terraform plan`: every provider-loading terraform command costs
 * 4 to 7 s of CPU (tools/offline-plan.ts), while one plan of many child modules costs about what a
 * plan of one does, as long as they share provider configurations (each distinct provider
 * configuration costs about as much as a plan of its own).
 *
 * The root configuration calls each stack as a child module, `module.<name>` with
 * `source = "./<name>"`: the stack's offline copy (tools/offline-plan.ts `offlineCopy`) without its
 * `provider` block (a child module gets its provider from the root) and without a backend.
 * The root holds one aliased `aws` provider configuration per distinct stack provider
 * configuration, and passes it in (`providers = { aws = aws.<alias> }`); each stack output is
 * forwarded as the root output `<name>__<output>`. The prior states of the stacks become one
 * state whose resources carry `"module": "module.<name>"`, and {@link splitBatchPlan} turns
 * `terraform show -json` of the batch back into one plan per stack whose addresses are relative to
 * the stack (`aws_db_instance.x`, not `module.dev.aws_db_instance.x`), as a plan of the stack
 * alone names them.
 */
import { AWS_PROVIDER_ADDRESS, offlineCopy, type StackDocument } from '../../tools/offline-plan';

/** A root configuration of child modules, ready to write into a work folder. */
export interface BatchedRoot {
  /** Each file, relative to the work folder: `main.tf.json` (the root) and `<name>/main.tf.json`. */
  readonly files: Record<string, StackDocument>;
  /** Each module's configuration as Terraform plans it (the offline copy without provider). */
  readonly modules: Record<string, StackDocument>;
  /** The state's provider address of each module's resources: `provider["registry.terraform.io/hashicorp/aws"].<alias>`. */
  readonly providerOf: Record<string, string>;
  /** What {@link offlineCopy} mapped for an older provider, each note prefixed with `<name>: `. */
  readonly mapped: string[];
}

/** Module names: Terraform identifiers that are also plain folder names. */
const MODULE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * The root configuration planning each of `docs` (synthesized cdk.tf.json documents, keyed by
 * module name) as `module.<name>`, with `providerVersion` and the STS stand-in at `stsEndpoint`.
 * Stacks whose provider configurations are equal share one aliased configuration, named after
 * the first module that uses it.
 * @throws Error when a name is not a plain identifier, or a stack has other provider
 *   configurations than one default (unaliased) `aws`
 */
export function batchedRoot(docs: Readonly<Record<string, StackDocument>>, providerVersion: string, stsEndpoint: string): BatchedRoot {
  const files: Record<string, StackDocument> = {};
  const modules: Record<string, StackDocument> = {};
  const providerOf: Record<string, string> = {};
  const mapped: string[] = [];
  const aliases = new Map<string, string>();
  const providers: object[] = [];
  const moduleCalls: Record<string, object> = {};
  const outputs: Record<string, object> = {};
  for (const [name, doc] of Object.entries(docs)) {
    if (!MODULE_NAME.test(name)) throw new Error(`batched plan: "${name}" is not a module name (a letter, then letters, digits, _ or -)`);
    const { doc: copy, mapped: notes } = offlineCopy(doc, providerVersion, stsEndpoint);
    mapped.push(...notes.map((note) => `${name}: ${note}`));
    const configs: Record<string, unknown>[] = copy.provider.aws;
    if (Object.keys(copy.provider).length !== 1 || configs.length !== 1 || configs[0].alias !== undefined) {
      throw new Error(`batched plan: ${name} has other provider configurations than one default aws; plan it on its own`);
    }
    const key = JSON.stringify(configs[0]);
    let alias = aliases.get(key);
    if (alias === undefined) {
      alias = name;
      aliases.set(key, alias);
      providers.push({ ...configs[0], alias });
    }
    const { provider: _provider, ...module } = copy;
    modules[name] = module;
    files[`${name}/main.tf.json`] = module;
    providerOf[name] = `provider["${AWS_PROVIDER_ADDRESS}"].${alias}`;
    moduleCalls[name] = { source: `./${name}`, providers: { aws: `aws.${alias}` } };
    for (const [output, body] of Object.entries<Record<string, unknown>>(module.output ?? {})) {
      outputs[`${name}__${output}`] = { value: `\${module.${name}.${output}}`, ...(body.sensitive === true ? { sensitive: true } : {}) };
    }
  }
  files['main.tf.json'] = {
    terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: providerVersion } } },
    provider: { aws: providers },
    module: moduleCalls,
    ...(Object.keys(outputs).length > 0 ? { output: outputs } : {}),
  };
  return { files, modules, providerOf, mapped };
}

/**
 * One prior state (format version 4) holding each module's state: every resource of `states[name]`
 * (a state of that stack alone, such as prior-state.ts builds) with `"module": "module.<name>"`
 * and the provider `providerOf[name]` ({@link BatchedRoot.providerOf}).
 */
export function combinedState(states: Readonly<Record<string, object>>, providerOf: Readonly<Record<string, string>>): object {
  const all = Object.entries(states) as [string, any][];
  return {
    version: 4,
    terraform_version: all[0]?.[1].terraform_version,
    serial: 1,
    lineage: all[0]?.[1].lineage,
    outputs: {},
    resources: all.flatMap(([name, state]) => {
      if (state.version !== 4) throw new Error(`batched plan: the prior state of ${name} is not format version 4`);
      if (providerOf[name] === undefined) throw new Error(`batched plan: a prior state for ${name}, which is not in the batch`);
      return state.resources.map((r: any) => {
        if (r.module !== undefined) throw new Error(`batched plan: the prior state of ${name} has a module resource (${r.module})`);
        return { module: `module.${name}`, ...r, provider: providerOf[name] };
      });
    }),
  };
}

/**
 * `terraform plan` arguments of one module, made absolute: `-replace=<address>` and
 * `-target=<address>` (addresses relative to the stack) gain the `module.<name>.` prefix.
 * @throws Error for any other argument, which would apply to every module of the batch
 */
export function moduleArgs(name: string, args: readonly string[]): string[] {
  return args.map((arg) => {
    const match = /^(-replace|-target)=(.+)$/.exec(arg);
    if (!match) throw new Error(`batched plan: ${name}: only -replace= and -target= can be given per module, not ${arg}`);
    return `${match[1]}=module.${name}.${match[2]}`;
  });
}

/**
 * The plan of `module.<name>` out of `terraform show -json` of a batch (parsed), as if the stack
 * had been planned alone: `resource_changes`, `resource_drift`, `relevant_attributes`,
 * `planned_values`, `prior_state` and `output_changes` hold only that module's entries, with
 * addresses relative to it; `configuration.root_module` is the module's configuration. Other
 * top-level fields (format and Terraform versions, `applyable`, `complete`, `errored`, ...) are the
 * batch's, `configuration.provider_config` lists every configuration of the batch, and `checks`
 * and `deferred_changes` (neither of which our stacks produce) are left out.
 */
export function splitBatchPlan(plan: Record<string, any>, name: string): Record<string, any> {
  const moduleAddress = `module.${name}`;
  const prefix = `${moduleAddress}.`;
  const outputPrefix = `${name}__`;
  const strip = (address: string): string => (address.startsWith(prefix) ? address.slice(prefix.length) : address);
  const inModule = (address: unknown): boolean => typeof address === 'string' && address.startsWith(prefix);
  const outputsOf = (outputs: Record<string, unknown> | undefined) =>
    outputs === undefined
      ? undefined
      : Object.fromEntries(Object.entries(outputs).filter(([k]) => k.startsWith(outputPrefix)).map(([k, v]) => [k.slice(outputPrefix.length), v]));
  /** A module of planned_values or prior_state, and the modules it calls, relative to `module.<name>`. */
  const relative = (m: any): any => {
    const { address: _address, ...rest } = m;
    return {
      ...rest,
      ...(m.resources ? { resources: m.resources.map((r: any) => ({ ...r, address: strip(r.address) })) } : {}),
      ...(m.child_modules ? { child_modules: m.child_modules.map((c: any) => ({ ...relative(c), address: strip(c.address) })) } : {}),
    };
  };
  const moduleValues = (values: any) => {
    if (values === undefined) return undefined;
    const child = (values.root_module?.child_modules ?? []).find((c: any) => c.address === moduleAddress);
    const outputs = outputsOf(values.outputs);
    return { ...values, root_module: child ? relative(child) : { resources: [] }, ...(outputs ? { outputs } : {}) };
  };
  const changes = (list: any[] | undefined) =>
    list
      ?.filter((rc) => inModule(rc.address))
      .map((rc) => {
        const { module_address: moduleOf, ...rest } = rc;
        const nested = moduleOf !== undefined && moduleOf !== moduleAddress ? { module_address: strip(moduleOf) } : {};
        return { ...rest, ...nested, address: strip(rc.address), ...(rc.previous_address ? { previous_address: strip(rc.previous_address) } : {}) };
      });
  const out: Record<string, any> = { ...plan };
  for (const key of ['resource_changes', 'resource_drift', 'deferred_changes', 'checks']) delete out[key];
  out.resource_changes = changes(plan.resource_changes) ?? [];
  if (plan.resource_drift) out.resource_drift = changes(plan.resource_drift);
  if (plan.relevant_attributes) {
    out.relevant_attributes = plan.relevant_attributes.filter((r: any) => inModule(r.resource)).map((r: any) => ({ ...r, resource: strip(r.resource) }));
  }
  if (plan.planned_values) out.planned_values = moduleValues(plan.planned_values);
  if (plan.prior_state) out.prior_state = { ...plan.prior_state, values: moduleValues(plan.prior_state.values) };
  if (plan.output_changes) out.output_changes = outputsOf(plan.output_changes);
  if (plan.configuration) {
    out.configuration = { ...plan.configuration, root_module: plan.configuration.root_module?.module_calls?.[name]?.module ?? {} };
  }
  return out;
}
