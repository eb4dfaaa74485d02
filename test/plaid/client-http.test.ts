/**
 * The adapter's HTTP edge cases through the real `plaid` package over a real socket: what Plaid itself
 * never sends (a proxy's HTML 502), timeouts, refused connections, and the construction guards.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PlaidEnvironments } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlaidClient, PlaidClientConfigError, plaidBasePath } from '../../src/plaid/client.js';
import { classifyPlaidError, PlaidApiError } from '../../src/plaid/errors.js';

const SECRET = 'http-test-secret-0b1e7d4c9a';
const seen: { url: string; headers: IncomingMessage['headers']; body: string }[] = [];
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      seen.push({ url: request.url ?? '', headers: request.headers, body });
      const json = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(payload));
      };
      if (request.url === '/item/get')
        return json(200, { item: { item_id: 'item_1' }, request_id: 'req_ok' });
      if (request.url === '/accounts/get') {
        response.writeHead(502, { 'content-type': 'text/html' });
        return response.end('<html>Bad gateway</html>');
      }
      if (request.url === '/transactions/sync') return; // never answers: the client must time out
      json(400, {
        error_type: 'TRANSACTIONS_ERROR',
        error_code: 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION',
        error_message: 'Underlying transaction data changed since last page was fetched.',
        display_message: null,
        request_id: 'req_err',
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const client = (timeoutMs = 2000) =>
  createPlaidClient({ basePath: baseUrl, clientId: 'cid', secret: SECRET, timeoutMs });

async function failure(call: Promise<unknown>): Promise<PlaidApiError> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(PlaidApiError);
    expect(JSON.stringify(error)).not.toContain(SECRET);
    expect(String((error as Error).stack)).not.toContain(SECRET);
    expect(error).not.toHaveProperty('config');
    return error as PlaidApiError;
  }
  throw new Error('expected the Plaid call to fail');
}

describe('Plaid client over HTTP', () => {
  it('should send credentials in headers, POST JSON, and return the data with request_id', async () => {
    const response = await client().itemGet({ access_token: 'access-sandbox-1' });
    expect(response).toEqual({ item: { item_id: 'item_1' }, request_id: 'req_ok' });
    const request = seen.find((entry) => entry.url === '/item/get')!;
    expect(request.headers['plaid-client-id']).toBe('cid');
    expect(request.headers['plaid-secret']).toBe(SECRET);
    expect(request.headers['plaid-version']).toBe('2020-09-14');
    expect(JSON.parse(request.body)).toEqual({ access_token: 'access-sandbox-1' });
  });

  it('should carry Plaid error fields into a PlaidApiError', async () => {
    const error = await failure(client().itemRemove({ access_token: 'access-sandbox-1' }));
    expect(error.toJSON()).toEqual({
      name: 'PlaidApiError',
      status: 400,
      errorType: 'TRANSACTIONS_ERROR',
      errorCode: 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION',
      errorMessage: 'Underlying transaction data changed since last page was fetched.',
      displayMessage: null,
      requestId: 'req_err',
      endpoint: '/item/remove',
    });
    expect(classifyPlaidError(error).action).toBe('restart_sync');
  });

  it('should keep only the status of a response that is not a Plaid error', async () => {
    const error = await failure(client().accountsGet({ access_token: 'access-sandbox-1' }));
    expect(error).toMatchObject({
      status: 502,
      errorType: 'HTTP_ERROR',
      errorCode: 'HTTP_502',
      requestId: null,
    });
    expect(error.errorMessage).not.toContain('html');
    expect(classifyPlaidError(error).action).toBe('retry');
  });

  it('should turn a timeout into NETWORK/TIMEOUT', async () => {
    const error = await failure(client(150).transactionsSync({ access_token: 'access-sandbox-1' }));
    expect(error).toMatchObject({
      status: null,
      errorType: 'NETWORK',
      errorCode: 'TIMEOUT',
      endpoint: '/transactions/sync',
    });
    expect(classifyPlaidError(error).action).toBe('retry');
  });

  it('should turn a refused connection into NETWORK/NETWORK_ERROR', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const offline = createPlaidClient({
      basePath: `http://127.0.0.1:${port}`,
      clientId: 'cid',
      secret: SECRET,
      timeoutMs: 2000,
    });
    const error = await failure(offline.itemGet({ access_token: 'access-sandbox-1' }));
    expect(error).toMatchObject({ status: null, errorType: 'NETWORK', errorCode: 'NETWORK_ERROR' });
  });
});

describe('createPlaidClient guards', () => {
  const valid = { basePath: 'http://127.0.0.1:4010', clientId: 'cid', secret: 's', timeoutMs: 1000 };

  it('should refuse a missing basePath, which would silently call production', () => {
    expect(() => createPlaidClient({ ...valid, basePath: undefined as unknown as string })).toThrow(
      PlaidClientConfigError,
    );
    expect(() => createPlaidClient({ ...valid, basePath: '' })).toThrow(/silently calls production/);
  });

  it('should refuse a trailing slash, a non-URL and a non-http scheme', () => {
    expect(() => createPlaidClient({ ...valid, basePath: 'http://127.0.0.1:4010/' })).toThrow(/slash/);
    expect(() => createPlaidClient({ ...valid, basePath: '127.0.0.1:4010' })).toThrow(PlaidClientConfigError);
    expect(() => createPlaidClient({ ...valid, basePath: 'ftp://127.0.0.1' })).toThrow(/http/);
  });

  it('should refuse empty credentials and a missing timeout', () => {
    expect(() => createPlaidClient({ ...valid, clientId: '' })).toThrow(/clientId/);
    expect(() => createPlaidClient({ ...valid, secret: '' })).toThrow(/secret/);
    expect(() => createPlaidClient({ ...valid, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(createPlaidClient({ ...valid, basePath: 'http://127.0.0.1:4010/plaid' }).basePath).toBe(
      'http://127.0.0.1:4010/plaid',
    );
  });

  it('should pick Plaid environments or the emulator URL', () => {
    const plaid = (env: 'sandbox' | 'production') =>
      ({ plaid: { mode: 'plaid', env, clientId: 'c', secret: 's' } }) as const;
    expect(plaidBasePath(plaid('sandbox'))).toBe(PlaidEnvironments.sandbox);
    expect(plaidBasePath(plaid('production'))).toBe(PlaidEnvironments.production);
    expect(plaidBasePath(plaid('sandbox'), 'http://ignored')).toBe('https://sandbox.plaid.com');
    expect(plaidBasePath({ plaid: { mode: 'emulator', port: 0, seed: 1 } }, 'http://127.0.0.1:4010//')).toBe(
      'http://127.0.0.1:4010',
    );
    expect(() => plaidBasePath({ plaid: { mode: 'emulator', port: 0, seed: 1 } })).toThrow(
      PlaidClientConfigError,
    );
  });
});
