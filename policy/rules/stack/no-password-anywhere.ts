import type { Evaluation, Rule } from '../../types';

const PASSWORD_KEY = /(^|_)(password|passwd|master_password)(_wo)?$/i;

function findPasswords(value: unknown, path: string, out: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => findPasswords(v, `${path}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '//') continue;
      if (PASSWORD_KEY.test(k) && !k.startsWith('manage_') && typeof v !== 'boolean' && v !== null && v !== '') out.push(`${path}.${k}`);
      else findPasswords(v, `${path}.${k}`, out);
    }
  }
}

/**
 * No password literal or expression anywhere in the document (resources, data sources, variables,
 * locals, outputs): a stack-wide rule, reported on `stack`. It was WB-RDS-NO-PASSWORD-ANYWHERE, but it
 * reads every section of the stack, not RDS resources.
 */
export const stackNoPasswordAnywhere = {
  id: 'WB-STACK-NO-PASSWORD-ANYWHERE' as const,
  title: 'No attribute, variable, local or output named like a password exists anywhere in the stack',
  mirrors: [],
  severity: 'error',
  explanation:
    'A password in a variable default, local, output or any resource ends up in the state file and plan output. ' +
    'The RDS-managed secret makes every such value unnecessary. Fix: delete it and read the secret ARN instead.',
  evaluate: (doc) => {
    const found: string[] = [];
    for (const section of ['resource', 'data', 'variable', 'locals', 'output'] as const) {
      findPasswords(doc[section], section, found);
    }
    const r: Evaluation = {
      address: 'stack',
      compliant: found.length === 0,
      message: found.length === 0 ? 'no password attribute' : `password-like attributes: ${found.join(', ')}`,
    };
    return [r];
  },
} satisfies Rule;
