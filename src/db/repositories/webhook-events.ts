import { and, asc, eq, gte, isNull } from 'drizzle-orm';
import type { Database } from '../client.js';
import { webhookEvents } from '../schema/index.js';

export type WebhookEventRow = typeof webhookEvents.$inferSelect;
export type NewWebhookEvent = typeof webhookEvents.$inferInsert;

/**
 * `webhook_events`: every Plaid webhook received, verified or not. These rows belong to no user when
 * they arrive (Plaid names items by its own id; the owner is found through `plaid_items`), so the reads
 * here take the event id or the body's hash, not a user id. Only the webhook endpoint and the job worker
 * use them; no user request reaches them.
 */
export function createWebhookEventsRepository(db: Database) {
  return {
    async insert(row: NewWebhookEvent): Promise<WebhookEventRow> {
      const [inserted] = await db.insert(webhookEvents).values(row).returning();
      if (!inserted) throw new Error('webhook event insert returned no row');
      return inserted;
    },

    async findById(id: string): Promise<WebhookEventRow | undefined> {
      const [row] = await db.select().from(webhookEvents).where(eq(webhookEvents.id, id));
      return row;
    },

    /**
     * The first verified event with these exact body bytes that is still waiting for its job (received
     * since `since`): a new delivery of the same body is a duplicate of it. Uses the body_sha256 index.
     */
    async findPendingOriginal(bodySha256: string, since: Date): Promise<{ id: string } | undefined> {
      const [row] = await db
        .select({ id: webhookEvents.id })
        .from(webhookEvents)
        .where(
          and(
            eq(webhookEvents.bodySha256, bodySha256),
            eq(webhookEvents.verification, 'verified'),
            isNull(webhookEvents.rejectionReason),
            isNull(webhookEvents.duplicateOf),
            isNull(webhookEvents.processedAt),
            gte(webhookEvents.receivedAt, since),
          ),
        )
        .orderBy(asc(webhookEvents.receivedAt), asc(webhookEvents.id))
        .limit(1);
      return row;
    },

    /** Sets `processed_at` once; false when the event was already processed (or does not exist). */
    async markProcessed(
      id: string,
      at: Date,
      patch: { itemId?: string | null; rejectionReason?: string | null } = {},
    ): Promise<boolean> {
      const rows = await db
        .update(webhookEvents)
        .set({ processedAt: at, ...patch })
        .where(and(eq(webhookEvents.id, id), isNull(webhookEvents.processedAt)))
        .returning({ id: webhookEvents.id });
      return rows.length === 1;
    },

    /** The item, when it was found only after the event was recorded (a webhook that beat the link). */
    async setItem(id: string, itemId: string): Promise<void> {
      await db.update(webhookEvents).set({ itemId }).where(eq(webhookEvents.id, id));
    },
  };
}

export type WebhookEventsRepository = ReturnType<typeof createWebhookEventsRepository>;
