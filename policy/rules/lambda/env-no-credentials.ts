import type { Rule } from '../../types';
import { blocks } from '../../terraform-json';
import { eachResource } from '../../rule-helpers';

/** Value patterns from Checkov's secrets detectors (checkov/common/util/secrets.py). */
const SECRET_VALUE_PATTERNS: readonly RegExp[] = [
  /(A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}/,
  /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];
/** Name words that announce a credential, unless the name ends in a word that says it is a reference. */
const SECRET_WORDS = new Set(['PASSWORD', 'PASSWD', 'PWD', 'SECRET', 'TOKEN', 'APIKEY', 'CREDENTIAL', 'CREDENTIALS']);
const SECRET_PAIRS = ['API_KEY', 'PRIVATE_KEY', 'ACCESS_KEY', 'SECRET_KEY'];
const REFERENCE_WORDS = new Set(['ARN', 'ID', 'NAME', 'REGION', 'ENDPOINT', 'URL', 'MS', 'SECONDS']);

function credentialLikeName(name: string): boolean {
  const words = name.toUpperCase().split(/[^A-Z0-9]+/).filter(Boolean);
  if (words.length === 0 || REFERENCE_WORDS.has(words[words.length - 1])) return false;
  return words.some((w) => SECRET_WORDS.has(w)) || SECRET_PAIRS.some((p) => name.toUpperCase().includes(p));
}

export const lambdaEnvNoCredentials = {
  id: 'WB-LAMBDA-ENV-NO-CREDENTIALS' as const,
  title: 'Lambda environment variables hold no credential-looking values',
  mirrors: ['CKV_AWS_45'],
  severity: 'error',
  explanation:
    'Environment variables are visible to anyone who can read the function configuration and end up in state. ' +
    'This rule applies Checkov\'s value patterns (access keys, 40-character secrets, private keys) and also rejects ' +
    'literal values under credential-like names (PASSWORD, SECRET, TOKEN, API_KEY) unless the name ends in ' +
    'a reference word (_ARN, _ID, _NAME, _URL, _MS, ...). Fix: pass the secret ARN (DB_SECRET_ARN) and read the secret at run time. Values that are ' +
    'Terraform references are not checked: they are resolved by Terraform, not written by us.',
  evaluate: eachResource('aws_lambda_function', (fn) => {
    const env = blocks(fn.body.environment)[0];
    const vars = (env?.variables ?? {}) as Record<string, unknown>;
    const bad: string[] = [];
    for (const [name, raw] of Object.entries(vars)) {
      if (typeof raw !== 'string') continue;
      const literal = raw.replace(/\$\{[^}]*\}/g, '');
      if (SECRET_VALUE_PATTERNS.some((re) => re.test(literal))) bad.push(`${name} (value looks like a credential)`);
      else if (credentialLikeName(name) && literal.trim() !== '') bad.push(`${name} (credential-like name with a literal value)`);
    }
    return bad.length === 0 ? undefined : bad.join(', ');
  }),
} satisfies Rule;
