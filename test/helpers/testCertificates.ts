import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM texts and files of a throwaway CA, a server certificate for 127.0.0.1 and a client certificate. */
export interface TestCertificates {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate from another CA, which the server must refuse. */
  readonly strangerCert: string;
  readonly strangerKey: string;
  readonly files: {
    readonly ca: string;
    readonly clientCert: string;
    readonly clientKey: string;
    readonly strangerCert: string;
    readonly strangerKey: string;
  };
  remove(): void;
}

const openssl = (args: readonly string[], cwd: string) =>
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });

/** A key and a certificate signed by `ca` (or self-signed when `ca` is undefined). */
const issue = (cwd: string, name: string, subject: string, ca?: string, extensions?: string) => {
  openssl(
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    ],
    cwd,
  );
  if (extensions) writeFileSync(join(cwd, `${name}.ext`), extensions);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-days',
      '1',
      '-out',
      `${name}.pem`,
      ...(ca ? ['-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial'] : ['-signkey', `${name}.key`]),
      ...(extensions ? ['-extfile', `${name}.ext`] : []),
    ],
    cwd,
  );
};

/**
 * Generates, at test time with Debian's openssl, a CA with a server certificate (127.0.0.1, localhost)
 * and a client certificate, and a stranger's CA with its own client certificate. Nothing is committed:
 * the keys live in a temporary folder that `remove()` deletes.
 */
export const generateTestCertificates = (): TestCertificates => {
  const dir = mkdtempSync(join(tmpdir(), 'hlc-mtls-'));
  const caExt = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n';
  issue(dir, 'ca', '/CN=hlc test CA', undefined, caExt);
  issue(
    dir,
    'server',
    '/CN=localhost',
    'ca',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  issue(dir, 'client', '/CN=hlc-sync-client', 'ca', 'extendedKeyUsage=clientAuth\n');
  issue(dir, 'stranger-ca', '/CN=stranger CA', undefined, caExt);
  issue(dir, 'stranger', '/CN=stranger', 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return {
    dir,
    ca: read('ca.pem'),
    serverCert: read('server.pem'),
    serverKey: read('server.key'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
    strangerCert: read('stranger.pem'),
    strangerKey: read('stranger.key'),
    files: {
      ca: join(dir, 'ca.pem'),
      clientCert: join(dir, 'client.pem'),
      clientKey: join(dir, 'client.key'),
      strangerCert: join(dir, 'stranger.pem'),
      strangerKey: join(dir, 'stranger.key'),
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
};
