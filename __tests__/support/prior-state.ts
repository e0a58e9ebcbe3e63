/**
 * Builds a Terraform state (format version 4) from a real baseline plan, as if that plan had been
 * applied, so the change-impact tests can plan a changed configuration against it with the real
 * provider and `-refresh=false`: the provider's own ForceNew and CustomizeDiff then decide
 * between replace and update. Only AWS is faked here: values the plan left unknown are filled
 * with plausible fakes (ids, ARNs, names from name_prefix), and values the configuration derives
 * from other resources (`${aws_security_group.x.id}`) are evaluated from those fakes, so the
 * references agree with what they point at.
 */
import { STAND_IN_ACCOUNT_ID } from '../../tools/sts-stand-in';

/** A resource schema as `terraform providers schema -json` prints it. */
export interface ResourceSchema {
  readonly version: number;
  readonly block: SchemaBlock;
}
interface SchemaBlock {
  readonly attributes?: Record<string, { type?: unknown; nested_type?: unknown }>;
  readonly block_types?: Record<string, { nesting_mode: string; block: SchemaBlock }>;
}

/** The resource schemas of hashicorp/aws from `terraform providers schema -json` output. */
export function resourceSchemas(schemaJson: string): Record<string, ResourceSchema> {
  const parsed = JSON.parse(schemaJson);
  const key = Object.keys(parsed.provider_schemas).find((k) => k.endsWith('hashicorp/aws'))!;
  return parsed.provider_schemas[key].resource_schemas;
}

const REGION = 'ap-southeast-1';
const CREATED = '20261130120000';

/** Prefixes of generated EC2-style ids. */
const ID_PREFIX: Record<string, string> = {
  aws_vpc: 'vpc',
  aws_subnet: 'subnet',
  aws_security_group: 'sg',
  aws_default_security_group: 'sg',
  aws_vpc_endpoint: 'vpce',
  aws_vpc_security_group_ingress_rule: 'sgr',
  aws_vpc_security_group_egress_rule: 'sgr',
  aws_flow_log: 'fl',
  aws_db_instance: 'db',
};

/** Resource types whose id is one of their own arguments. */
const ID_IS: Record<string, string> = {
  aws_iam_role: 'name',
  aws_iam_policy: 'arn',
  aws_lambda_function: 'function_name',
  aws_cloudwatch_log_group: 'name',
  aws_db_subnet_group: 'name',
  aws_db_parameter_group: 'name',
  aws_s3_bucket: 'bucket',
  aws_s3_bucket_ownership_controls: 'bucket',
  aws_s3_bucket_versioning: 'bucket',
  aws_s3_bucket_server_side_encryption_configuration: 'bucket',
  aws_s3_bucket_public_access_block: 'bucket',
  aws_s3_bucket_policy: 'bucket',
  aws_s3_bucket_lifecycle_configuration: 'bucket',
};

/**
 * Attributes the provider stores through a StateFunc that re-encodes the JSON (Go's encoding/json,
 * which sorts object keys): a value filled from the configuration must be stored the same way, as
 * an apply would, or the next plan shows a difference that AWS would never produce.
 */
const STORED_AS_SORTED_JSON: Record<string, readonly string[]> = {
  aws_cloudwatch_event_rule: ['event_pattern'],
};

function sortedJson(text: string): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v !== null && typeof v === 'object'
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]))
      : v;
  return JSON.stringify(sort(JSON.parse(text)));
}

function hex(seed: string, length: number): string {
  let h = 2166136261;
  let out = '';
  while (out.length < length) {
    for (const c of `${seed}${out.length}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

function uuid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A parsed plan, with the parts this module reads. */
export interface BaselinePlan {
  readonly planned_values: { root_module: { resources?: { address: string; mode: string; type: string; name: string; values: Record<string, any> }[] } };
  readonly resource_changes: { address: string; mode: string; change: { after_unknown?: any; after_sensitive?: any } }[];
  readonly prior_state?: { values?: { root_module?: { resources?: { address: string; mode: string; values: Record<string, any> }[] } } };
  readonly terraform_version?: string;
}

/** A traversal such as `aws_db_instance.x.master_user_secret[0].secret_arn` as its steps. */
function steps(expression: string): (string | number | '*')[] {
  const out: (string | number | '*')[] = [];
  for (const m of expression.matchAll(/([A-Za-z_][\w-]*)|\[(\d+|\*)\]/g)) out.push(m[1] ?? (m[2] === '*' ? '*' : Number(m[2])));
  return out;
}

/**
 * The prior state of `plan` applied: every managed resource with the plan's values, unknowns
 * filled. `doc` is the configuration that was planned (the offline copy's main.tf.json).
 */
export function priorStateFromPlan(plan: BaselinePlan, doc: Record<string, any>, schemas: Record<string, ResourceSchema>): object {
  const planned = new Map((plan.planned_values.root_module.resources ?? []).filter((r) => r.mode === 'managed').map((r) => [r.address, r]));
  const unknowns = new Map(plan.resource_changes.map((rc) => [rc.address, rc.change.after_unknown ?? {}]));
  const sensitive = new Map(plan.resource_changes.map((rc) => [rc.address, sensitivePaths(rc.change.after_sensitive)]));
  const data = new Map(
    (plan.prior_state?.values?.root_module?.resources ?? []).filter((r) => r.mode === 'data').map((r) => [r.address, r.values]),
  );
  const filled = new Map<string, Record<string, any>>();
  const filling = new Set<string>();

  const fill = (address: string): Record<string, any> => {
    const done = filled.get(address);
    if (done) return done;
    if (filling.has(address)) throw new Error(`prior-state: reference cycle through ${address}`);
    filling.add(address);
    const resource = planned.get(address);
    if (!resource) throw new Error(`prior-state: no planned resource ${address}`);
    // Terraform leaves `values` out of planned_values when nothing about the resource is known yet.
    const values = JSON.parse(JSON.stringify(resource.values ?? {}));
    const config = doc.resource?.[resource.type]?.[resource.name] ?? {};
    const schema = schemas[resource.type]?.block;
    const context = { type: resource.type, address, values };
    const unknown = unknowns.get(address) ?? {};
    // Own computed values first (id, arn, name from name_prefix), then what derives from them.
    const order = Object.keys(unknown).sort((a, b) => rank(a) - rank(b));
    for (const key of order) {
      values[key] = fillValue(unknown[key], values[key], config[key], attributeType(schema, key), key, context);
      if (STORED_AS_SORTED_JSON[resource.type]?.includes(key) && typeof values[key] === 'string') values[key] = sortedJson(values[key]);
    }
    filling.delete(address);
    filled.set(address, values);
    return values;
  };

  const evaluate = (expression: string): unknown => {
    const e = expression.trim();
    if (/^formatdate\(/.test(e)) return CREATED;
    const path = steps(e);
    let value: any;
    let rest: (string | number | '*')[];
    if (path[0] === 'data') {
      value = data.get(`data.${path[1]}.${path[2]}`);
      rest = path.slice(3);
      if (value === undefined) throw new Error(`prior-state: data source data.${path[1]}.${path[2]} was not read by the plan`);
    } else {
      value = fill(`${path[0]}.${path[1]}`);
      rest = path.slice(2);
    }
    for (let i = 0; i < rest.length; i++) {
      const step = rest[i];
      if (step === '*') {
        const tail = rest.slice(i + 1);
        return (value as any[]).map((item) => tail.reduce((v: any, s) => v?.[s as string | number], item));
      }
      value = value?.[step as string | number];
    }
    if (value === undefined) throw new Error(`prior-state: ${e} has no value`);
    return value;
  };

  /** A configuration value with every `${...}` evaluated. */
  const resolve = (config: unknown): unknown => {
    if (typeof config === 'string') {
      const whole = /^\$\{([^}]*)\}$/.exec(config);
      if (whole && !whole[1].includes('${')) return evaluate(whole[1]);
      return config.replace(/\$\{([^}]*)\}/g, (_m, e: string) => String(evaluate(e)));
    }
    if (Array.isArray(config)) return config.map(resolve);
    if (typeof config === 'object' && config !== null) return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, resolve(v)]));
    return config;
  };

  const fillValue = (unknown: any, planned: any, config: any, type: unknown, key: string, ctx: FakeContext): any => {
    if (unknown === true) {
      if (config !== undefined && config !== null) {
        const value = resolve(config);
        // Blocks are objects in cdktf JSON and lists in state.
        return isListType(type) && !Array.isArray(value) ? [value] : value;
      }
      return fake(type, key, ctx);
    }
    if (Array.isArray(unknown) && Array.isArray(planned)) {
      const list = Array.isArray(config) ? config : config === undefined ? [] : [config];
      return planned.map((item, i) => fillValue(unknown[i] ?? false, item, list[i], elementType(type), key, ctx));
    }
    if (typeof unknown === 'object' && unknown !== null && typeof planned === 'object' && planned !== null) {
      const out = { ...planned };
      for (const [k, u] of Object.entries(unknown)) out[k] = fillValue(u, planned[k], config?.[k], memberType(type, k), k, ctx);
      return out;
    }
    return planned;
  };

  for (const address of planned.keys()) fill(address);

  const lifecycleOf = (type: string, name: string) => doc.resource?.[type]?.[name]?.lifecycle ?? {};
  return {
    version: 4,
    terraform_version: plan.terraform_version ?? '1.11.4',
    serial: 1,
    lineage: uuid('prior-state'),
    outputs: {},
    resources: [...planned.values()].map((r) => ({
      mode: 'managed',
      type: r.type,
      name: r.name,
      provider: 'provider["registry.terraform.io/hashicorp/aws"]',
      instances: [
        {
          schema_version: schemas[r.type]?.version ?? 0,
          attributes: filled.get(r.address),
          // Terraform plans an update when only the sensitivity of a value changes.
          sensitive_attributes: sensitive.get(r.address) ?? [],
          ...(lifecycleOf(r.type, r.name).create_before_destroy ? { create_before_destroy: true } : {}),
        },
      ],
    })),
  };
}

/** The state's `sensitive_attributes` paths for a change's `after_sensitive` tree. */
function sensitivePaths(tree: unknown, prefix: object[] = []): object[][] {
  if (tree === true) return [prefix];
  if (Array.isArray(tree)) return tree.flatMap((t, i) => sensitivePaths(t, [...prefix, { type: 'index', value: { value: i, type: 'number' } }]));
  if (typeof tree === 'object' && tree !== null) {
    return Object.entries(tree).flatMap(([k, t]) => sensitivePaths(t, [...prefix, { type: 'get_attr', value: k }]));
  }
  return [];
}

/** Attributes filled first: the resource's own identity, which other attributes derive from. */
function rank(key: string): number {
  return ['name', 'bucket', 'function_name'].includes(key) ? 0 : key === 'arn' ? 1 : key === 'id' ? 2 : 3;
}

interface FakeContext {
  readonly type: string;
  readonly address: string;
  readonly values: Record<string, any>;
}

function attributeType(block: SchemaBlock | undefined, key: string): unknown {
  if (!block) return 'string';
  if (block.attributes?.[key]) return block.attributes[key].type ?? ['list', ['object', {}]];
  const nested = block.block_types?.[key];
  if (nested) return ['list', ['object', Object.fromEntries(Object.keys(nested.block.attributes ?? {}).map((k) => [k, nested.block.attributes![k].type]))]];
  return 'string';
}
function isListType(type: unknown): boolean {
  return Array.isArray(type) && ['list', 'set'].includes(type[0] as string);
}
function elementType(type: unknown): unknown {
  return Array.isArray(type) && ['list', 'set', 'map'].includes(type[0] as string) ? type[1] : 'string';
}
function memberType(type: unknown, key: string): unknown {
  if (Array.isArray(type) && type[0] === 'object') return (type[1] as Record<string, unknown>)[key] ?? 'string';
  if (Array.isArray(type) && type[0] === 'map') return type[1];
  return 'string';
}

/** A plausible fake for an unknown value of `type` named `key`. */
function fake(type: unknown, key: string, ctx: FakeContext): unknown {
  const seed = `${ctx.address}.${key}`;
  if (type === 'number') return { iops: 3000, storage_throughput: 125, source_code_size: 1024, attachment_count: 1 }[key] ?? 0;
  if (type === 'bool') return false;
  if (Array.isArray(type) && (type[0] === 'list' || type[0] === 'set')) {
    if (key === 'master_user_secret') {
      return [
        {
          kms_key_id: ctx.values.master_user_secret_kms_key_id ?? `arn:aws:kms:${REGION}:${STAND_IN_ACCOUNT_ID}:key/${uuid(seed)}`,
          secret_arn: `arn:aws:secretsmanager:${REGION}:${STAND_IN_ACCOUNT_ID}:secret:rds!db-${uuid(seed)}-${hex(seed, 6)}`,
          secret_status: 'active',
        },
      ];
    }
    if (key === 'dns_entry') return [{ dns_name: `vpce-${hex(seed, 17)}.secretsmanager.${REGION}.vpce.amazonaws.com`, hosted_zone_id: 'Z0000000000000' }];
    if (key === 'network_interface_ids') return [`eni-${hex(seed, 17)}`];
    return [];
  }
  if (Array.isArray(type) && type[0] === 'map') return {};
  if (Array.isArray(type) && type[0] === 'object') {
    return Object.fromEntries(Object.entries(type[1] as Record<string, unknown>).map(([k, t]) => [k, fake(t, k, ctx)]));
  }
  const v = ctx.values;
  switch (key) {
    case 'name':
      return v.name_prefix ? `${v.name_prefix}${CREATED}00000000000001` : `fake-${hex(seed, 8)}`;
    case 'id':
      if (ID_IS[ctx.type] && typeof v[ID_IS[ctx.type]] === 'string') return v[ID_IS[ctx.type]];
      if (ctx.type === 'aws_kms_key') return uuid(ctx.address);
      return `${ID_PREFIX[ctx.type] ?? ctx.type.replace(/^aws_/, '')}-${hex(ctx.address, 17)}`;
    case 'arn':
      return fakeArn(ctx);
    case 'engine_version_actual':
      return String(v.engine_version).includes('.') ? v.engine_version : `${v.engine_version}.6`;
    case 'status':
      return 'available';
    case 'address':
      return `${v.identifier ?? 'db'}.${hex(seed, 12)}.${REGION}.rds.amazonaws.com`;
    case 'endpoint':
      return `${v.identifier ?? 'db'}.${hex(`${ctx.address}.address`, 12)}.${REGION}.rds.amazonaws.com:${v.port ?? 5432}`;
    case 'owner_id':
      return STAND_IN_ACCOUNT_ID;
    // What SNS reports for a standard (not FIFO) topic: the provider refuses a FIFO-only value there.
    case 'fifo_throughput_scope':
    case 'archive_policy':
    case 'beginning_archive_time':
      return '';
    case 'tracing_config':
      return 'PassThrough';
    default:
      if (key.endsWith('_arn')) return `arn:aws:fake:${REGION}:${STAND_IN_ACCOUNT_ID}:${key}/${hex(seed, 8)}`;
      if (key.endsWith('_id')) return `${key.replace(/_id$/, '')}-${hex(seed, 17)}`;
      return `fake-${key}`;
  }
}

function fakeArn(ctx: FakeContext): string {
  const v = ctx.values;
  const account = STAND_IN_ACCOUNT_ID;
  switch (ctx.type) {
    case 'aws_iam_role':
      return `arn:aws:iam::${account}:role/${v.name}`;
    case 'aws_iam_policy':
      return `arn:aws:iam::${account}:policy/${v.name}`;
    case 'aws_lambda_function':
      return `arn:aws:lambda:${REGION}:${account}:function:${v.function_name}`;
    case 'aws_cloudwatch_log_group':
      return `arn:aws:logs:${REGION}:${account}:log-group:${v.name}`;
    case 'aws_kms_key':
      return `arn:aws:kms:${REGION}:${account}:key/${uuid(ctx.address)}`;
    case 'aws_db_instance':
      return `arn:aws:rds:${REGION}:${account}:db:${v.identifier}`;
    case 'aws_db_parameter_group':
      return `arn:aws:rds:${REGION}:${account}:pg:${v.name}`;
    case 'aws_db_subnet_group':
      return `arn:aws:rds:${REGION}:${account}:subgrp:${v.name}`;
    case 'aws_s3_bucket':
      return `arn:aws:s3:::${v.bucket}`;
    default:
      return `arn:aws:ec2:${REGION}:${account}:${ctx.type.replace(/^aws_/, '')}/${hex(ctx.address, 17)}`;
  }
}
