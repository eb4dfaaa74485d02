/**
 * render.yaml against Render's documented Blueprint fields (https://render.com/docs/blueprint-spec; its
 * JSON Schema is published at render.com/schema/render.yaml.json, not on npm, so the fields this file
 * may use are written down here, strictly: an unknown or misspelt field fails), then its meaning: a web
 * service on /readyz, a worker, a managed PostgreSQL wired into both, secrets Render generates, shared by
 * both processes, and every variable one this service reads (src/config/schema.ts).
 */
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema, parseEnv } from '../../src/config/schema.js';
import { readRootFile } from './deploy-files.js';

const REGIONS = ['oregon', 'ohio', 'virginia', 'frankfurt', 'singapore'] as const;
const RUNTIMES = ['docker', 'elixir', 'go', 'image', 'node', 'python', 'ruby', 'rust', 'static'] as const;

const envVar = z.union([
  z.strictObject({ key: z.string().min(1), value: z.string() }),
  z.strictObject({ key: z.string().min(1), generateValue: z.literal(true) }),
  z.strictObject({ key: z.string().min(1), sync: z.literal(false) }),
  z.strictObject({
    key: z.string().min(1),
    fromDatabase: z.strictObject({
      name: z.string(),
      property: z.enum(['connectionString', 'host', 'port', 'user', 'password', 'database']),
    }),
  }),
  z.strictObject({
    key: z.string().min(1),
    fromService: z.strictObject({
      type: z.enum(['web', 'pserv', 'worker', 'cron', 'keyvalue', 'redis']),
      name: z.string(),
      property: z.enum(['host', 'port', 'hostport', 'connectionString']).optional(),
      envVarKey: z.string().optional(),
    }),
  }),
  z.strictObject({ fromGroup: z.string() }),
]);

const service = z.strictObject({
  type: z.enum(['web', 'pserv', 'worker', 'cron', 'keyvalue', 'redis']),
  name: z.string().min(1),
  runtime: z.enum(RUNTIMES),
  plan: z.string().optional(),
  region: z.enum(REGIONS).optional(),
  repo: z.url().optional(),
  branch: z.string().optional(),
  rootDir: z.string().optional(),
  buildCommand: z.string().optional(),
  startCommand: z.string().optional(),
  preDeployCommand: z.string().optional(),
  dockerfilePath: z.string().optional(),
  dockerContext: z.string().optional(),
  dockerCommand: z.string().optional(),
  healthCheckPath: z.string().startsWith('/').optional(),
  numInstances: z.number().int().min(1).optional(),
  autoDeploy: z.boolean().optional(),
  autoDeployTrigger: z.enum(['off', 'commit', 'checksPass']).optional(),
  maxShutdownDelaySeconds: z.number().int().min(1).max(300).optional(),
  schedule: z.string().optional(),
  domains: z.array(z.string()).optional(),
  envVars: z.array(envVar).optional(),
});

const database = z.strictObject({
  name: z.string().min(1),
  databaseName: z.string().optional(),
  user: z.string().optional(),
  plan: z.string().optional(),
  region: z.enum(REGIONS).optional(),
  postgresMajorVersion: z.string().regex(/^\d+$/).optional(),
  diskSizeGB: z.number().int().optional(),
  ipAllowList: z.array(z.strictObject({ source: z.string(), description: z.string() })).optional(),
});

const blueprint = z.strictObject({
  services: z.array(service).min(1),
  databases: z.array(database).optional(),
  envVarGroups: z.array(z.strictObject({ name: z.string().min(1), envVars: z.array(envVar) })).optional(),
  previews: z.strictObject({ generation: z.enum(['off', 'manual', 'automatic']) }).optional(),
});

type Blueprint = z.infer<typeof blueprint>;
type EnvVar = z.infer<typeof envVar>;

const parsed = blueprint.safeParse(parseYaml(readRootFile('render.yaml')));

describe('render.yaml', () => {
  it('uses only the documented Blueprint fields, with documented values', () => {
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  it('the field check does reject a misspelt field and a bad env var', () => {
    const bad = {
      services: [{ type: 'web', name: 'x', runtime: 'docker', healthcheckPath: '/readyz' }],
      envVarGroups: [{ name: 'g', envVars: [{ key: 'A', generateValue: 'yes' }] }],
    };
    expect(blueprint.safeParse(bad).success).toBe(false);
  });

  const file = parsed.data as Blueprint;
  const web = () => file.services.find((s) => s.type === 'web')!;
  const worker = () => file.services.find((s) => s.type === 'worker')!;
  /** A service's variables with its groups expanded. */
  const variables = (entries: EnvVar[] = []): Exclude<EnvVar, { fromGroup: string }>[] =>
    entries.flatMap((entry) => {
      if (!('fromGroup' in entry)) return [entry];
      const group = file.envVarGroups?.find((g) => g.name === entry.fromGroup);
      expect(group, `group ${entry.fromGroup}`).toBeDefined();
      return variables(group!.envVars);
    });

  it('runs the API as a web service from the Dockerfile, checked on /readyz, migrating before each deploy', () => {
    expect(web()).toMatchObject({
      runtime: 'docker',
      dockerfilePath: './Dockerfile',
      dockerCommand: 'node dist/server.js',
      healthCheckPath: '/readyz',
      preDeployCommand: 'node bin/finance-api.js migrate',
    });
    expect(variables(web().envVars)).toContainEqual({ key: 'JOBS_IN_PROCESS', value: 'false' });
  });

  it('runs the worker as a background worker from the same Dockerfile', () => {
    expect(worker()).toMatchObject({
      runtime: 'docker',
      dockerfilePath: './Dockerfile',
      dockerCommand: 'node dist/worker.js',
    });
  });

  it('wires one managed PostgreSQL into both, reachable from Render only', () => {
    expect(file.databases).toHaveLength(1);
    const db = file.databases![0]!;
    expect(db.ipAllowList).toEqual([]);
    for (const s of [web(), worker()]) {
      expect(variables(s.envVars)).toContainEqual({
        key: 'DATABASE_URL',
        fromDatabase: { name: db.name, property: 'connectionString' },
      });
    }
  });

  it('has Render generate the secrets, one value shared by the API and the worker', () => {
    for (const key of ['JWT_SECRET_KEY', 'ENCRYPTION_KEY_BASE64', 'METRICS_TOKEN']) {
      const groups = (file.envVarGroups ?? []).filter((g) =>
        g.envVars.some((v) => 'key' in v && v.key === key && 'generateValue' in v),
      );
      expect(groups, key).toHaveLength(1);
      for (const s of [web(), worker()]) expect(s.envVars).toContainEqual({ fromGroup: groups[0]!.name });
    }
    // Never a literal secret in the file.
    for (const s of [web(), worker()]) {
      for (const v of variables(s.envVars)) {
        if (/SECRET|KEY|TOKEN|PASSWORD/.test(v.key)) expect('value' in v, v.key).toBe(false);
      }
    }
  });

  it("names only this service's variables, with values its configuration accepts", () => {
    const known = new Set(Object.keys(configSchema.shape));
    for (const s of [web(), worker()]) {
      const vars = variables(s.envVars);
      const keys = vars.map((v) => v.key);
      expect(
        keys.filter((key) => !known.has(key)),
        s.name,
      ).toEqual([]);
      expect(new Set(keys).size, `${s.name}: no variable twice`).toBe(keys.length);
      // As Render would start it: literal values, a connection string, generated and prompted values.
      const env: Record<string, string> = {};
      for (const v of vars) {
        if ('value' in v) env[v.key] = v.value;
        else if ('fromDatabase' in v) env[v.key] = 'postgresql://finance:pw@dpg-internal/finance';
        else if ('generateValue' in v) env[v.key] = Buffer.alloc(32, 1).toString('base64');
        else env[v.key] = v.key === 'PUBLIC_URL' ? 'https://finance-api.onrender.com' : '';
      }
      const { raw } = parseEnv(env);
      expect(raw.SCHED_BALANCE_REFRESH_CRON).toBe('0 6 * * *');
      expect(raw.DATABASE_URL).toMatch(/^postgresql:/);
    }
    expect(variables(web().envVars).map((v) => v.key)).toContain('SCHED_BALANCE_REFRESH_CRON');
  });
});
