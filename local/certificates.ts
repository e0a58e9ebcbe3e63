/**
 * Real X.509 certificates for the tests' TLS servers, made by the `openssl` command line (OpenSSL
 * 3.0 or later; Debian and Ubuntu install it with ca-certificates). Keys are ECDSA on P-256, which
 * PostgreSQL, OpenSSL and Node.js's TLS all accept: a key pair takes under a millisecond, where an
 * RSA 2048 one took 100 to 300 ms of CPU, on the start-up path of every integration run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** A certificate authority made for one test run. */
export interface TestCa {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A server certificate and its key, signed by a {@link TestCa}. */
export interface ServerCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

/** `openssl req` options for a new ECDSA P-256 key (RFC 5480), unencrypted, valid for a day. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc', '-days', '1'];

/** Runs `openssl req` in a scratch folder holding `files`, and returns the certificate and key it wrote. */
function opensslReq(args: readonly string[], files: Record<string, string> = {}): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'test-certificate-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text, { mode: 0o600 });
    execFileSync('openssl', ['req', '-x509', ...NEW_KEY, '-keyout', 'key.pem', '-out', 'cert.pem', ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    return { certPem: readFileSync(path.join(dir, 'cert.pem'), 'utf8'), keyPem: readFileSync(path.join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Creates a self-signed CA named `commonName`. */
export function createTestCa(commonName = 'workshop-backend test CA'): TestCa {
  return opensslReq([
    '-subj', `/CN=${commonName}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

/** Creates a server certificate for `localhost` and 127.0.0.1, signed by `ca`. */
export function createServerCertificate(ca: TestCa): ServerCertificate {
  return opensslReq(
    [
      '-CA', 'ca.pem', '-CAkey', 'ca.key',
      '-subj', '/CN=localhost',
      '-addext', 'basicConstraints=CA:FALSE',
      '-addext', 'keyUsage=critical,digitalSignature',
      '-addext', 'extendedKeyUsage=serverAuth',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { 'ca.pem': ca.certPem, 'ca.key': ca.keyPem },
  );
}
