import { main } from '../../tools/environments';
import { DEV_DEFINITION, PROD_DEFINITION } from '../support/environments';

/** Runs `npm run environments` in this process, capturing its output and exit code. */
function run(argv: string[], definitions = [DEV_DEFINITION, PROD_DEFINITION]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const write = process.stderr.write;
  process.stderr.write = ((text: string) => ((err += text), true)) as typeof process.stderr.write;
  try {
    const code = main(argv, (text) => (out += text), definitions);
    return { code, out, err };
  } finally {
    process.stderr.write = write;
  }
}

describe('npm run environments', () => {
  it('prints every resolved setting with its source: the definition, the profile, the region or an override', () => {
    const { code, out } = run(['dev']);
    expect(code).toBe(0);
    expect(out).toMatch(/^dev \(profile workshop, ap-southeast-1\)\n/);
    expect(out).toMatch(/^ {2}namePrefix +"workshop" +override$/m);
    expect(out).toMatch(/^ {2}database\.instanceClass +"db\.t4g\.micro" +profile workshop$/m);
    expect(out).toMatch(/^ {2}network\.availabilityZones +\["ap-southeast-1a","ap-southeast-1b"\] +profile workshop, from the region/m);
    expect(out).not.toContain('prod (profile');
  });

  it('prints the list as JSON for a CI matrix', () => {
    const { code, out } = run(['--json']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual([
      expect.objectContaining({ environment: 'dev', profile: 'workshop', region: 'ap-southeast-1', account: null }),
      expect.objectContaining({ environment: 'prod', profile: 'production', region: 'ap-southeast-1', account: '111122223333' }),
    ]);
  });

  it('refuses an unknown environment with exit code 1, naming it and the known ones', () => {
    const { code, out, err } = run(['nosuch']);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('npm run environments: no stack named "nosuch"');
    expect(err).toContain('allowed: one of the app\'s stacks: dev, prod');
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('refuses an invalid environment with the validation error', () => {
    const { code, err } = run(['--json'], [DEV_DEFINITION, { ...PROD_DEFINITION, region: 'xx-fake-1' }]);
    expect(code).toBe(1);
    expect(err).toContain('region: received "xx-fake-1"; allowed: an AWS Region of the table in config/regions.ts');
  });
});
