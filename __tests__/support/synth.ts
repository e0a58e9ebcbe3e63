import { App, Testing } from 'cdktf';
// The types of the matchers jest.setup.js registers (toHaveResourceWithProperties, ...).
import { validateEnvironmentConfig } from '../../config/schema';
import type { EnvironmentConfig } from '../../config/types';
import { WorkshopBackendStack } from '../../stacks/workshop-backend-stack';
import { scratchDir } from './scratch';

/** A synthesized stack: the JSON string for cdktf's matchers and the parsed document for graph facts. */
export interface SynthesizedStack {
  readonly json: string;
  readonly doc: TerraformDocument;
}

/** The parts of a cdk.tf.json the tests read. */
export interface TerraformDocument {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output: Record<string, { value: unknown }>;
  readonly terraform: Record<string, unknown>;
}

/**
 * A cdktf test app whose output folder is a scratch folder removed after the test file
 * (`Testing.app()` alone leaves a `cdktf.outdir.*` folder in the system's temp folder per app).
 */
export function testApp(): App {
  return Testing.app({ outdir: scratchDir('app-') });
}

/**
 * Synthesizes one WorkshopBackendStack for `config` in a fresh test app, validating `config` first as
 * the app does (a stack takes only validated configuration).
 * @throws UserError when `config` is invalid
 */
export function synthStack(config: EnvironmentConfig): SynthesizedStack {
  const app: App = testApp();
  const stack = new WorkshopBackendStack(app, config.environment, { config: validateEnvironmentConfig(config) });
  const json = Testing.synth(stack);
  return { json, doc: JSON.parse(json) as TerraformDocument };
}

/** Every resource of `type` in the document, without cdktf's `//` metadata, keyed by name. */
export function resourcesOf(doc: TerraformDocument, type: string): Record<string, Record<string, unknown>> {
  const all = doc.resource[type] ?? {};
  return Object.fromEntries(
    Object.entries(all).map(([name, body]) => {
      const { ['//']: _metadata, ...rest } = body;
      return [name, rest];
    }),
  );
}

/** The one resource of `type`; fails the test when there are none or several. */
export function onlyResource(doc: TerraformDocument, type: string): { name: string; body: Record<string, any> } {
  const entries = Object.entries(resourcesOf(doc, type));
  if (entries.length !== 1) throw new Error(`expected exactly one ${type}, found ${entries.length}`);
  return { name: entries[0][0], body: entries[0][1] };
}

/** The name of the resource of `type` whose `attribute` equals `value`. */
export function nameWhere(doc: TerraformDocument, type: string, attribute: string, value: unknown): string {
  const match = Object.entries(resourcesOf(doc, type)).filter(([, body]) => body[attribute] === value);
  if (match.length !== 1) throw new Error(`expected one ${type} with ${attribute}=${JSON.stringify(value)}, found ${match.length}`);
  return match[0][0];
}

/** A Terraform reference expression: `${<type>.<name>.<attribute>}`. */
export function ref(type: string, name: string, attribute: string): string {
  return `\${${type}.${name}.${attribute}}`;
}

/** A deep copy of `config` with `patch` applied at the dotted `field` path, for invalid-config tests. */
export function withField(config: unknown, field: string, value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(config));
  const keys = field.split('.');
  let target = copy;
  for (const key of keys.slice(0, -1)) target = target[key];
  target[keys[keys.length - 1]] = value;
  return copy;
}
