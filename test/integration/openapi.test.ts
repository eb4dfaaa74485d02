import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.js';

describe('OpenAPI document and docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp('pglite', { ALLOW_REGISTRATION: 'true' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves OpenAPI 3.1 with an operationId, a summary and responses on every operation', async () => {
    const res = await t.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      openapi: string;
      paths: Record<string, Record<string, { operationId?: string; summary?: string; security?: unknown[] }>>;
      components: { securitySchemes: Record<string, { scheme: string }> };
    }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearerAuth?.scheme).toBe('bearer');
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method, ...op })),
    );
    expect(operations.map((op) => `${op.method.toUpperCase()} ${op.path}`)).toEqual(
      expect.arrayContaining([
        'POST /v1/auth/token',
        'POST /v1/auth/register',
        'POST /v1/auth/tokens',
        'GET /v1/auth/tokens',
        'DELETE /v1/auth/tokens/{id}',
        'GET /v1/me',
        'GET /healthz',
        'GET /readyz',
      ]),
    );
    for (const op of operations) {
      expect(op.operationId, `${op.method} ${op.path}`).toBeTruthy();
      expect(op.summary, `${op.method} ${op.path}`).toBeTruthy();
    }
    expect(new Set(operations.map((op) => op.operationId)).size).toBe(operations.length);
    expect(doc.paths['/v1/me']?.get?.security).toEqual([{ bearerAuth: [] }]);
  });

  it('serves the docs page', async () => {
    const res = await t.app.inject({ url: '/docs' });
    const location = res.statusCode === 302 ? String(res.headers.location) : '/docs';
    const page = await t.app.inject({ url: location.startsWith('/') ? location : `/docs/${location}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger');
  });
});
