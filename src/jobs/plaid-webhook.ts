import type { WebhookRequest } from '../domain/sync/queue.js';
import type { JobDefinition } from './job.js';

/** The `plaid-webhook` job: process one verified Plaid webhook that `webhook_events` recorded. */
export type PlaidWebhookJob = WebhookRequest;

export const plaidWebhookJob: JobDefinition<'plaid-webhook', PlaidWebhookJob> = {
  name: 'plaid-webhook',
  queueOptions: () => ({
    policy: 'standard',
    retryLimit: 5,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: 300,
  }),
  sendOptions: () => ({}),
  worker: {
    concurrency: () => 1,
    // The webhooks service (src/domain/webhooks/) does the work.
    createHandler: ({ processWebhook }) => ({ handle: (job) => processWebhook(job.data.webhookEventId) }),
  },
};
