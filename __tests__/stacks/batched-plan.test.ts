import { batchedRoot, combinedState, moduleArgs, splitBatchPlan } from '../support/batched-plan';

const stack = (environment: string, extra: object = {}) => ({
  terraform: { backend: { s3: { bucket: 'b' } }, required_providers: { aws: { source: 'hashicorp/aws', version: '6.25.0' } } },
  provider: { aws: [{ region: 'ap-southeast-1', default_tags: [{ tags: { Environment: environment } }] }] },
  resource: { aws_sqs_queue: { queue: { name: `q-${environment}` } } },
  output: { queue_url: { value: '${aws_sqs_queue.queue.url}' }, secret: { value: 'x', sensitive: true } },
  ...extra,
});

describe('batched plan (the change-impact scenarios as child modules of one root)', () => {
  it('calls each stack as a module without its provider and backend; equal provider configurations share one alias', () => {
    const root = batchedRoot({ port: stack('dev'), major: stack('dev'), prod: stack('prod') }, '5.100.0', 'http://127.0.0.1:1');
    const main = root.files['main.tf.json'];
    expect(main.provider.aws.map((p: any) => [p.alias, p.default_tags[0].tags.Environment, p.endpoints[0].sts])).toEqual([
      ['port', 'dev', 'http://127.0.0.1:1'],
      ['prod', 'prod', 'http://127.0.0.1:1'],
    ]);
    expect(main.module).toEqual({
      port: { source: './port', providers: { aws: 'aws.port' } },
      major: { source: './major', providers: { aws: 'aws.port' } },
      prod: { source: './prod', providers: { aws: 'aws.prod' } },
    });
    expect(main.terraform.required_providers.aws.version).toBe('5.100.0');
    expect(main.output.port__queue_url).toEqual({ value: '${module.port.queue_url}' });
    expect(main.output.prod__secret).toEqual({ value: '${module.prod.secret}', sensitive: true });
    const module = root.files['major/main.tf.json'];
    expect(module).toBe(root.modules.major);
    expect(module.provider).toBeUndefined();
    expect(module.terraform.backend).toBeUndefined();
    expect(module.resource.aws_sqs_queue.queue.name).toBe('q-dev');
    expect(root.providerOf).toEqual({
      port: 'provider["registry.terraform.io/hashicorp/aws"].port',
      major: 'provider["registry.terraform.io/hashicorp/aws"].port',
      prod: 'provider["registry.terraform.io/hashicorp/aws"].prod',
    });
  });

  it('refuses a stack with an aliased provider configuration, and a name that is not an identifier', () => {
    const aliased = stack('dev');
    aliased.provider.aws.push({ alias: 'us', region: 'us-east-1' } as any);
    expect(() => batchedRoot({ a: aliased }, '5.100.0', 'http://127.0.0.1:1')).toThrow(/plan it on its own/);
    expect(() => batchedRoot({ 'a.b': stack('dev') }, '5.100.0', 'http://127.0.0.1:1')).toThrow(/not a module name/);
  });

  it('puts each stack state under its module with the provider of its alias', () => {
    const state = (name: string) => ({ version: 4, lineage: 'l', terraform_version: '1.11.4', resources: [{ mode: 'managed', type: 'aws_sqs_queue', name, provider: 'provider["registry.terraform.io/hashicorp/aws"]', instances: [] }] });
    const combined: any = combinedState({ port: state('a'), prod: state('b') }, { port: 'P1', prod: 'P2' });
    expect(combined.resources.map((r: any) => [r.module, r.name, r.provider])).toEqual([
      ['module.port', 'a', 'P1'],
      ['module.prod', 'b', 'P2'],
    ]);
    expect(() => combinedState({ other: state('c') }, { port: 'P1' })).toThrow(/not in the batch/);
  });

  it('makes -replace and -target absolute and refuses any other per-module argument', () => {
    expect(moduleArgs('port', ['-replace=aws_sqs_queue.queue', '-target=aws_sqs_queue.queue'])).toEqual([
      '-replace=module.port.aws_sqs_queue.queue',
      '-target=module.port.aws_sqs_queue.queue',
    ]);
    expect(() => moduleArgs('port', ['-refresh=true'])).toThrow(/only -replace= and -target=/);
  });

  it('splits the batch plan into one plan per module, with addresses relative to it', () => {
    const rc = (module: string, actions: string[]) => ({
      address: `module.${module}.aws_sqs_queue.queue`,
      module_address: `module.${module}`,
      mode: 'managed',
      type: 'aws_sqs_queue',
      name: 'queue',
      change: { actions },
    });
    const values = (module: string) => ({ address: `module.${module}`, resources: [{ address: `module.${module}.aws_sqs_queue.queue`, mode: 'managed', values: { name: module } }] });
    const batch = {
      format_version: '1.2',
      terraform_version: '1.11.4',
      resource_changes: [rc('port', ['update']), rc('prod', ['no-op'])],
      relevant_attributes: [{ resource: 'module.port.aws_sqs_queue.queue', attribute: ['url'] }],
      planned_values: { outputs: { port__queue_url: { sensitive: false } }, root_module: { child_modules: [values('port'), values('prod')] } },
      prior_state: { format_version: '1.0', values: { root_module: { child_modules: [values('prod')] } } },
      output_changes: { port__queue_url: { actions: ['no-op'] }, prod__queue_url: { actions: ['no-op'] } },
      configuration: { provider_config: {}, root_module: { module_calls: { port: { source: './port', module: { resources: [{ address: 'aws_sqs_queue.queue' }] } } } } },
      applyable: true,
    };
    const port = splitBatchPlan(batch, 'port');
    expect(port.resource_changes).toEqual([{ address: 'aws_sqs_queue.queue', mode: 'managed', type: 'aws_sqs_queue', name: 'queue', change: { actions: ['update'] } }]);
    expect(port.relevant_attributes).toEqual([{ resource: 'aws_sqs_queue.queue', attribute: ['url'] }]);
    expect(port.planned_values).toEqual({ outputs: { queue_url: { sensitive: false } }, root_module: { resources: [{ address: 'aws_sqs_queue.queue', mode: 'managed', values: { name: 'port' } }] } });
    expect(port.prior_state.values.root_module).toEqual({ resources: [] });
    expect(port.output_changes).toEqual({ queue_url: { actions: ['no-op'] } });
    expect(port.configuration.root_module).toEqual({ resources: [{ address: 'aws_sqs_queue.queue' }] });
    expect([port.format_version, port.terraform_version, port.applyable]).toEqual(['1.2', '1.11.4', true]);
    const prod = splitBatchPlan(batch, 'prod');
    expect(prod.resource_changes.map((c: any) => [c.address, c.change.actions])).toEqual([['aws_sqs_queue.queue', ['no-op']]]);
    expect(prod.prior_state.values.root_module.resources[0].address).toBe('aws_sqs_queue.queue');
  });
});
