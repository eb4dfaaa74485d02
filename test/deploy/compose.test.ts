/**
 * docker-compose.yml (PostgreSQL, a one-off migration, the API, scalable workers) and
 * docker-compose.embedded.yml (one container on the embedded database), read as compose reads them
 * (anchors merged, variables interpolated from .env) and held to their contract: every environment a
 * container gets is a valid configuration of the service (src/config/schema.ts). CI also runs
 * `docker compose config -q` where the compose plugin is installed (.ci/run).
 */
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/schema.js';
import {
  dotenvLines,
  interpolate,
  MissingVariableError,
  readComposeFile,
  readRootFile,
  serviceEnvironment,
} from './deploy-files.js';

const compose = readComposeFile('docker-compose.yml');
const embedded = readComposeFile('docker-compose.embedded.yml');
const example = dotenvLines(readRootFile('.env.example'));
/** .env.example with the three values it marks as required filled in. */
const filled = {
  ...example,
  POSTGRES_PASSWORD: 'a-postgres-password',
  JWT_SECRET_KEY: 'j'.repeat(48),
  ENCRYPTION_KEY_BASE64: Buffer.alloc(32, 7).toString('base64'),
};
const REQUIRED = ['POSTGRES_PASSWORD', 'JWT_SECRET_KEY', 'ENCRYPTION_KEY_BASE64'];

describe('docker-compose.yml', () => {
  const { postgres, migrate, api, worker } = compose.services;

  it('has postgres, migrate, api and worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'migrate', 'postgres', 'worker']);
  });

  it('runs the official PostgreSQL image with a volume and a health check', () => {
    expect(postgres!.image).toMatch(/^postgres:\d+/);
    expect(postgres!.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(compose.volumes).toHaveProperty('postgres-data');
    expect(postgres!.healthcheck?.test?.join(' ')).toMatch(/pg_isready/);
  });

  it('migrates once, after PostgreSQL is healthy; the API and the workers start after it succeeded', () => {
    expect(migrate!.command).toEqual(['node', 'bin/finance-api.js', 'migrate']);
    expect(migrate!.restart).toBe('no');
    expect(migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(api!.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } });
    // The workers start their job queue after the API started its own (docker-compose.yml says why).
    expect(worker!.depends_on).toEqual({
      migrate: { condition: 'service_completed_successfully' },
      api: { condition: 'service_healthy' },
    });
  });

  it('runs the compiled API without jobs and the compiled worker, from the same image', () => {
    expect(api!.command).toEqual(['node', 'dist/server.js']);
    expect(worker!.command).toEqual(['node', 'dist/worker.js']);
    for (const service of [migrate!, api!, worker!]) {
      expect(service.image).toBe('finance-api:latest');
      expect(service.build).toBe('.');
    }
    const env = serviceEnvironment(api!, filled);
    expect(env.JOBS_IN_PROCESS).toBe('false');
    expect(env.PUBLIC_URL).toBe('http://localhost:8000');
    expect(serviceEnvironment(api!, { ...filled, PUBLIC_URL: 'https://money.example.org' }).PUBLIC_URL).toBe(
      'https://money.example.org',
    );
    expect(api!.ports).toHaveLength(1);
    expect(interpolate(api!.ports![0]!, filled)).toBe('127.0.0.1:8000:8000');
  });

  it('lets the worker scale: no fixed container name, no host port', () => {
    expect(worker!.container_name).toBeUndefined();
    expect(worker!.ports).toBeUndefined();
    expect(worker!.healthcheck).toEqual({ disable: true });
  });

  it('refuses to start without the required secrets, each marked in .env.example', () => {
    const text = readRootFile('.env.example');
    expect(text).toMatch(/REQUIRED FOR DOCKER COMPOSE/);
    for (const name of REQUIRED) {
      expect(example, `${name} is in .env.example`).toHaveProperty(name);
      const without = { ...filled, [name]: '' };
      expect(() => serviceEnvironment(api!, without), name).toThrow(MissingVariableError);
    }
    // And the other way round: nothing else is required.
    for (const service of Object.values(compose.services)) {
      const text = JSON.stringify(service);
      const required = [...text.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((match) => match[1]);
      expect(required.filter((name) => !REQUIRED.includes(name!))).toEqual([]);
    }
  });

  it('gives every app container a valid configuration of the service, on the PostgreSQL server', () => {
    for (const [name, service] of Object.entries({ migrate, api, worker })) {
      // env_file (.env) first, the service's environment over it: as compose does.
      const env = { ...filled, ...serviceEnvironment(service!, filled) };
      const { raw } = parseEnv(env);
      expect(raw.DATABASE_URL, name).toBe('postgres://finance:a-postgres-password@postgres:5432/finance');
      expect(raw.HOST, name).toBe('0.0.0.0');
      expect(raw.DATA_DIR, name).toBe('/data');
      expect(service!.volumes, name).toEqual(['app-data:/data']);
      expect(service!.env_file, name).toEqual([{ path: '.env', required: false }]);
    }
    expect(parseEnv({ ...filled, ...serviceEnvironment(api!, filled) }).raw.JOBS_IN_PROCESS).toBe(false);
    // Worker metrics only with their token: both set in .env, or neither.
    const metricsVars = { ...filled, METRICS_TOKEN: 'm'.repeat(32), WORKER_METRICS_PORT: '9464' };
    const workerRaw = parseEnv({ ...metricsVars, ...serviceEnvironment(worker!, metricsVars) }).raw;
    expect([workerRaw.WORKER_METRICS_PORT, workerRaw.METRICS_TOKEN]).toEqual([9464, 'm'.repeat(32)]);
    const portOnly = { ...filled, WORKER_METRICS_PORT: '9464' };
    expect(() => parseEnv({ ...portOnly, ...serviceEnvironment(worker!, portOnly) })).toThrow(
      /METRICS_TOKEN/,
    );
  });
});

describe('docker-compose.embedded.yml', () => {
  it('runs one container on the embedded database in a volume, its secrets generated there', () => {
    expect(Object.keys(embedded.services)).toEqual(['api']);
    const api = embedded.services.api!;
    expect(api.command).toEqual(['node', 'dist/server.js']);
    expect(api.volumes).toEqual(['data:/data']);
    // It needs no variable at all: an empty .env works.
    const env = serviceEnvironment(api, {});
    const { raw, missingSecrets } = parseEnv(env);
    expect(raw.DATABASE_URL).toBeUndefined();
    expect(raw.DATA_DIR).toBe('/data');
    expect(missingSecrets.sort()).toEqual(['ENCRYPTION_KEY_BASE64', 'JWT_SECRET_KEY']);
    expect(JSON.stringify(api)).not.toMatch(/\$\{[A-Z0-9_]+:\?/);
  });
});
