import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  createMcpHandler,
  localhostAllowedHostnames,
  validateHostHeader,
  validateOriginHeader,
  type AuthInfo,
} from '@modelcontextprotocol/server';
import type { Principal } from '../../domain/auth/service.js';
import { isAppError } from '../../errors/app-error.js';
import { errors } from '../../errors/catalog.js';
import type { Logger } from '../../lib/logger.js';
import type { McpToolDeps } from '../../mcp/deps.js';
import { buildMcpServer, mcpTools } from '../../mcp/server.js';
import type { McpCaller } from '../../mcp/tool.js';

export const MCP_PATH = '/mcp';

/** The scopes a client is told to ask for in the 401 challenge. */
export const MCP_SCOPES = 'read write';

/** Resolves a bearer token to a principal for the MCP resource, or throws a 401 AppError. */
export type McpAuthenticate = (bearer: string) => Promise<Principal>;

export interface McpRouteOptions {
  /** PUBLIC_URL: the resource is PUBLIC_URL/mcp; Host and Origin must name it (or loopback). */
  publicUrl: string;
  authenticate: McpAuthenticate;
  tools: McpToolDeps;
  bodyLimit: number;
}

interface McpRequestExtra extends Record<string, unknown> {
  caller: McpCaller;
  log: Logger;
}

/**
 * The MCP endpoint: one route for both protocol eras (2026-07-28 stateless requests and 2025 clients that
 * send `initialize`), served by the SDK's per-request handler on the raw Node request once the route has
 * checked Host and Origin (DNS rebinding) and the bearer token. Tools: src/mcp/.
 */
export const mcpRoutes: FastifyPluginAsync<McpRouteOptions> = async (app, options) => {
  const publicUrl = new URL(options.publicUrl);
  const resourceMetadataUrl = `${publicUrl.origin}/.well-known/oauth-protected-resource${MCP_PATH}`;
  // Loopback names stay allowed: a rebinding page sends its own hostname, never these.
  const allowedHostnames = [...new Set([publicUrl.hostname, ...localhostAllowedHostnames()])];
  const tools = mcpTools(options.tools);

  const handler = createMcpHandler(
    ({ authInfo }) => {
      const extra = authInfo?.extra as McpRequestExtra | undefined;
      if (!extra) throw new Error('an MCP request reached the handler without its caller');
      return buildMcpServer(tools, extra.caller, extra.log);
    },
    {
      maxRequestBodySize: options.bodyLimit,
      // Its name only: the SDK's messages can quote the request (a JSON parse error quotes the body).
      onerror: (error) => app.log.info({ error: error.name, component: 'mcp' }, 'MCP request refused'),
    },
  );
  const node = toNodeHandler(handler, {
    maxRequestBodySize: options.bodyLimit,
    onerror: (error) => app.log.error({ error: error.name, component: 'mcp' }, 'MCP handler failed'),
  });
  app.addHook('onClose', async () => {
    await handler.close();
  });

  // The SDK reads the body itself (JSON-RPC parse errors answered its way): no parser in this scope.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const checkOrigin = (request: FastifyRequest) => {
    if (!validateHostHeader(request.headers.host, allowedHostnames).ok) throw errors.forbiddenOrigin('Host');
    if (!validateOriginHeader(request.headers.origin, allowedHostnames).ok)
      throw errors.forbiddenOrigin('Origin');
  };

  const authenticate = async (request: FastifyRequest): Promise<Principal> => {
    const header = request.headers.authorization;
    if (!header) throw errors.unauthenticatedAtResource(resourceMetadataUrl, MCP_SCOPES, false);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw errors.unauthenticatedAtResource(resourceMetadataUrl, MCP_SCOPES, true);
    try {
      return await options.authenticate(match[1]!);
    } catch (error) {
      if (isAppError(error) && error.status === 401)
        throw errors.unauthenticatedAtResource(resourceMetadataUrl, MCP_SCOPES, true);
      throw error;
    }
  };

  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: MCP_PATH,
    schema: { hide: true },
    handler: async (request, reply) => {
      checkOrigin(request);
      const principal = await authenticate(request);
      const log = request.log.child({ userId: principal.userId }) as Logger;
      const authInfo: AuthInfo = {
        token: principal.tokenId ?? principal.kind,
        clientId: principal.kind,
        scopes: [...principal.scopes],
        extra: {
          caller: { userId: principal.userId, scopes: principal.scopes },
          log,
        } satisfies McpRequestExtra,
      };
      // The SDK writes the response: the headers set so far (request id, security headers) go with it.
      reply.hijack();
      for (const [name, value] of Object.entries(reply.getHeaders()))
        if (value !== undefined) reply.raw.setHeader(name, value);
      await node(Object.assign(request.raw, { auth: authInfo }), reply.raw);
    },
  });
};
