import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { loadConfig, type ConfigSources } from './load.js';
import { redactConfig } from './redact.js';
import { configSchema } from './schema.js';
import { configLeaves } from './schema-walk.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The CONFIG_INVALID problems a load reports, as "key: message (from source)" lines. */
function problemsOf(sources: ConfigSources): string[] {
  try {
    loadConfig(sources);
  } catch (error) {
    assert.ok(isStrataError(error), 'a configuration error is a StrataError');
    assert.equal(error.code, 'CONFIG_INVALID');
    return error.message
      .split('\n')
      .slice(1)
      .map((line) => line.trim());
  }
  assert.fail('expected the configuration to be rejected');
}

describe('loadConfig', () => {
  it('gives the defaults when nothing is set', () => {
    const config = loadConfig();
    assert.deepEqual(config.target, ['all']);
    assert.equal(config.dataDir, './data');
    assert.equal(config.server.httpPort, 8080);
    assert.equal(config.server.grpcPort, 50051);
    assert.equal(config.logging.level, 'info');
  });

  it('applies file, then environment, then flags, each overriding the one before', () => {
    const path = file(
      'layers.yaml',
      'server:\n  httpPort: 1000\n  grpcPort: 1001\n  host: 0.0.0.0\nlogging:\n  level: warn\n',
    );
    const config = loadConfig({
      file: path,
      env: { STRATA_SERVER_HTTP_PORT: '2000', STRATA_SERVER_GRPC_PORT: '2001', HOME: '/root' },
      flags: { 'server.httpPort': '3000' },
    });
    assert.equal(config.server.httpPort, 3000, 'flag beats environment');
    assert.equal(config.server.grpcPort, 2001, 'environment beats file');
    assert.equal(config.server.host, '0.0.0.0', 'file beats default');
    assert.equal(config.logging.level, 'warn');
    assert.equal(config.server.bodyLimitBytes, 16 * 1024 * 1024, 'untouched keys keep defaults');
  });

  it('reads JSON files and comma-separated lists', () => {
    const path = file('c.json', JSON.stringify({ dataDir: '/var/lib/strata' }));
    const config = loadConfig({ file: path, env: { STRATA_TARGET: 'vector, serving' } });
    assert.equal(config.dataDir, '/var/lib/strata');
    assert.deepEqual(config.target, ['vector', 'serving']);
  });

  it('takes a map setting (security.quotas.tenants) as JSON from flags and the environment', () => {
    const tenants = { acme: { storedVectors: 10 } };
    const fromFlag = loadConfig({ flags: { 'security.quotas.tenants': JSON.stringify(tenants) } });
    assert.deepEqual(fromFlag.security.quotas.tenants, tenants);
    const fromEnv = loadConfig({ env: { STRATA_SECURITY_QUOTAS_TENANTS: JSON.stringify(tenants) } });
    assert.deepEqual(fromEnv.security.quotas.tenants, tenants);
    const problems = problemsOf({ flags: { 'security.quotas.tenants': 'acme=10' } });
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^security\.quotas\.tenants: .*object/);
  });

  it('freezes the result', () => {
    const config = loadConfig();
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.server));
    assert.throws(() => {
      (config.server as { httpPort: number }).httpPort = 1;
    }, TypeError);
  });

  it('rejects an unknown key in a file with its path, the allowed keys and a suggestion', () => {
    const path = file('typo.yaml', 'server:\n  htpPort: 80\n');
    const [problem, ...rest] = problemsOf({ file: path });
    assert.equal(rest.length, 0);
    assert.match(problem ?? '', /^server\.htpPort: unknown key; allowed here: host, httpPort, grpcPort/);
    assert.match(problem ?? '', /did you mean httpPort\?/);
    assert.match(problem ?? '', new RegExp(`from config file ${path.replaceAll('.', '\\.')}`));
  });

  it('rejects bad values with the key path, what is allowed and where the value came from', () => {
    const problems = problemsOf({
      env: { STRATA_SERVER_HTTP_PORT: 'eighty', STRATA_LOGGING_LEVEL: 'loud' },
      flags: { 'server.grpcPort': '70000', target: 'all,nonsense' },
    });
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.ok(
      problems.includes('server.httpPort: must be integer (expected integer) (from STRATA_SERVER_HTTP_PORT)'),
    );
    assert.ok(
      problems.some((p) =>
        /^logging\.level: must be one of "fatal", .*"silent" \(from STRATA_LOGGING_LEVEL\)$/.test(p),
      ),
    );
    assert.ok(problems.includes('server.grpcPort: must be <= 65535 (from flags)'));
    assert.ok(
      problems.some((p) => /^target\.1: must be one of "all", "gateway", .* \(from flags\)$/.test(p)),
    );
  });

  it('rejects unknown STRATA_* variables and unknown --set keys with a suggestion', () => {
    const problems = problemsOf({ env: { STRATA_SERVER_HTTP_PROT: '1' }, flags: { 'server.hots': 'x' } });
    assert.deepEqual(problems, [
      'STRATA_SERVER_HTTP_PROT: matches no configuration key; did you mean STRATA_SERVER_HTTP_PORT?',
      'server.hots: is not a configuration key; did you mean server.host? (from flags)',
    ]);
  });

  it('ignores environment variables outside the STRATA_ prefix', () => {
    assert.doesNotThrow(() => loadConfig({ env: { PATH: '/bin', STRATAX: '1' } }));
  });

  it('names the file when it is missing, unparsable or not a mapping', () => {
    assert.match(
      problemsOrMessage({ file: join(dir, 'absent.yaml') }),
      /cannot read config file .*absent\.yaml/,
    );
    assert.match(
      problemsOrMessage({ file: file('bad.json', '{"server": ') }),
      /cannot parse config file .*bad\.json/,
    );
    assert.match(problemsOrMessage({ file: file('list.yaml', '- 1\n- 2\n') }), /must hold a mapping of keys/);
  });

  it('gives every settable key a distinct environment variable', () => {
    const leaves = configLeaves(configSchema);
    assert.equal(new Set(leaves.map((leaf) => leaf.env)).size, leaves.length);
    for (const leaf of leaves) assert.ok(leaf.schema.description, `${leaf.key} has a description`);
  });
});

describe('redactConfig', () => {
  it('masks the password of secret URLs and keeps where they point', () => {
    const config = loadConfig({
      env: { STRATA_BACKENDS_POSTGRES_URL: 'postgres://app:hunter2@db.internal:5432/strata' },
    });
    const printed = JSON.stringify(redactConfig(config));
    assert.ok(!printed.includes('hunter2'), 'password is not printed');
    assert.ok(printed.includes('postgres://app:***@db.internal:5432/strata'));
    assert.equal(
      config.backends.postgres.url,
      'postgres://app:hunter2@db.internal:5432/strata',
      'config itself intact',
    );
  });

  it('masks a secret that is not a URL entirely', () => {
    const config = loadConfig({ env: { STRATA_BACKENDS_REDIS_URL: 'not a url with secret' } });
    const printed = JSON.stringify(redactConfig(config));
    assert.ok(!printed.includes('secret'));
    assert.ok(printed.includes('[redacted]'));
  });
});

function problemsOrMessage(sources: ConfigSources): string {
  try {
    loadConfig(sources);
  } catch (error) {
    assert.ok(isStrataError(error));
    assert.equal(error.code, 'CONFIG_INVALID');
    return error.message;
  }
  assert.fail('expected the configuration to be rejected');
}
