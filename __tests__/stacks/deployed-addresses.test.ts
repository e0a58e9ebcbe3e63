/**
 * Construct ids are a contract (docs/architecture.md#construct-ids-are-a-contract): a resource
 * whose Terraform address changes is destroyed and created again. deployed-addresses.json holds
 * every address dev and prod had before the layout moved from stacks/ to config/ and
 * stacks/constructs/ (commit 10d2992); each must still be synthesized. New resources may be added;
 * one may leave this list only on purpose: with a note in docs on how to move its state
 * (`terraform state mv`), or, for a resource the configuration no longer wants, listed under
 * `removedOnPurpose` with the reason.
 */
import { dev, prod } from '../support/environments';
import { synthStack } from '../support/synth';
import deployed from './deployed-addresses.json';

function addresses(doc: { resource: object; data?: object }): string[] {
  const of = (prefix: string, blocks: object | undefined) =>
    Object.entries(blocks ?? {}).flatMap(([type, byName]) => Object.keys(byName as object).map((name) => `${prefix}${type}.${name}`));
  return [...of('', doc.resource), ...of('data.', doc.data)];
}

describe('Terraform addresses', () => {
  it.each([
    ['dev', dev],
    ['prod', prod],
  ] as const)('keeps every address %s had before the layout change', (name, config) => {
    const now = new Set(addresses(synthStack(config).doc));
    const removed: Record<string, string> = (deployed.removedOnPurpose as Record<string, Record<string, string>>)[name] ?? {};
    expect(deployed[name].filter((address) => !now.has(address) && removed[address] === undefined)).toEqual([]);
    // A removal on purpose stays removed: listed only while the stack does not declare it.
    expect(Object.keys(removed).filter((address) => now.has(address))).toEqual([]);
  });
});
