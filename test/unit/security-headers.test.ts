import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet, { type HelmetOptions } from 'helmet';
import { describe, expect, it } from 'vitest';
import { securityHeadersOf } from '../../src/http/plugins/security-headers.js';

/** What helmet's own middleware leaves on a real response. */
function helmetOnRealResponse(options: HelmetOptions): Record<string, unknown> {
  const request = new IncomingMessage(new Socket());
  const response = new ServerResponse(request);
  response.setHeader('X-Powered-By', 'something');
  helmet(options)(request, response, () => undefined);
  return response.getHeaders();
}

const apiOptions: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      'img-src': ["'self'", 'data:'],
      'style-src': ["'self'", "'unsafe-inline'"],
      'script-src': ["'self'", 'https://cdn.plaid.com'],
      'frame-src': ["'self'", 'https://cdn.plaid.com'],
    },
  },
};

describe('security headers rendered once', () => {
  it('should set exactly the headers helmet sets on a response, and remove X-Powered-By', () => {
    const { set, remove } = securityHeadersOf(apiOptions);
    const response = new ServerResponse(new IncomingMessage(new Socket()));
    response.setHeader('X-Powered-By', 'something');
    for (const [name, value] of set) response.setHeader(name, value);
    for (const name of remove) response.removeHeader(name);
    expect(response.getHeaders()).toEqual(helmetOnRealResponse(apiOptions));
    expect(response.getHeader('content-security-policy')).toContain(
      "script-src 'self' https://cdn.plaid.com",
    );
    expect(response.getHeader('x-powered-by')).toBeUndefined();
  });

  it('should refuse a CSP directive computed per request', () => {
    expect(() =>
      securityHeadersOf({ contentSecurityPolicy: { directives: { 'script-src': [() => "'nonce-x'"] } } }),
    ).toThrow(/per request/);
  });
});
