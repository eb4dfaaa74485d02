import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../../errors/catalog.js';
import { problemResponses } from '../../schemas/problem.js';

/** Liveness and readiness probes. */
export const healthRoutes: FastifyPluginAsyncZod<{
  ping: () => Promise<void>;
  databaseKind: string;
}> = async (app, options) => {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness: the process is up',
        tags: ['system'],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness: the database answers',
        tags: ['system'],
        response: {
          200: z.object({ status: z.literal('ready'), database: z.string() }),
          ...problemResponses(503),
        },
      },
    },
    async (request) => {
      try {
        await options.ping();
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        throw errors.notReady('The database does not answer.');
      }
      return { status: 'ready' as const, database: options.databaseKind };
    },
  );
};
