import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RulesService } from '../../domain/rules/service.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import {
  applyRuleQuerySchema,
  createRuleBodySchema,
  ruleApplicationSchema,
  ruleSchema,
} from '../schemas/owner-edits.js';
import { problemResponses } from '../schemas/problem.js';

const ruleParams = z.strictObject({ id: z.uuid({ message: 'expected a rule id (UUID)' }) });

export const ruleRoutes: FastifyPluginAsyncZod<{ rules: RulesService }> = async (app, { rules }) => {
  app.post(
    '/v1/rules',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'createRule',
        summary: 'Add a rule: when the merchant or name matches, set a category, add tags or exclude',
        description:
          'Matching is case-insensitive plain text (contains or equals; no patterns), optionally within ' +
          'an amount range (negative = money out) and one account. Applied to new and modified ' +
          'transactions at every sync; to the history with POST /v1/rules/{id}/apply. Never changes a ' +
          'field you set by hand. Rules apply oldest first, so a later rule’s category wins.',
        tags: ['rules'],
        security: bearerSecurity,
        body: createRuleBodySchema,
        response: { 201: z.object({ data: ruleSchema }), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const data = await rules.create(principalOf(request).userId, request.body);
      reply.code(201);
      return { data };
    },
  );

  app.get(
    '/v1/rules',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'listRules',
        summary: 'My rules, in the order they apply (oldest first)',
        tags: ['rules'],
        security: bearerSecurity,
        response: { 200: z.object({ data: z.array(ruleSchema) }), ...problemResponses(401) },
      },
    },
    async (request) => ({ data: await rules.list(principalOf(request).userId) }),
  );

  app.delete(
    '/v1/rules/:id',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'deleteRule',
        summary: 'Delete a rule (what it already set stays)',
        tags: ['rules'],
        security: bearerSecurity,
        params: ruleParams,
        response: { 204: z.null().describe('Deleted'), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await rules.delete(principalOf(request).userId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/rules/:id/apply',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'applyRule',
        summary: 'Apply a rule to all my transactions, or with dry_run=true count what would change',
        tags: ['rules'],
        security: bearerSecurity,
        params: ruleParams,
        querystring: applyRuleQuerySchema,
        response: { 200: z.object({ data: ruleApplicationSchema }), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({
      data: await rules.apply(principalOf(request).userId, request.params.id, {
        dryRun: request.query.dry_run ?? false,
      }),
    }),
  );
};
