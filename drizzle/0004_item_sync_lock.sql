ALTER TABLE "plaid_items" ADD COLUMN "sync_lock_owner" text;--> statement-breakpoint
ALTER TABLE "plaid_items" ADD COLUMN "sync_lock_expires_at" timestamp with time zone;