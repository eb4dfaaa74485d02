-- A read model materialized by two refreshes at once could hold a group twice (doubled cash flow) or a
-- transaction paired twice. Keep one row per group and drop ambiguous pairings (the next refresh of the
-- person rebuilds them) before the unique keys make both impossible.
DELETE FROM "cashflow_daily" a USING "cashflow_daily" b
	WHERE a.ctid > b.ctid AND a.user_id = b.user_id AND a.date = b.date AND a.currency = b.currency
	AND a.kind = b.kind AND a.category = b.category AND a.detailed = b.detailed AND a.merchant = b.merchant
	AND a.pending = b.pending;--> statement-breakpoint
DELETE FROM "cashflow_monthly" a USING "cashflow_monthly" b
	WHERE a.ctid > b.ctid AND a.user_id = b.user_id AND a.month = b.month AND a.currency = b.currency
	AND a.kind = b.kind AND a.category = b.category AND a.detailed = b.detailed AND a.merchant = b.merchant
	AND a.pending = b.pending;--> statement-breakpoint
UPDATE "transactions" SET "transfer_kind" = NULL, "transfer_pair_id" = NULL
	WHERE "transfer_pair_id" IN (
		SELECT "transfer_pair_id" FROM "transactions" WHERE "transfer_pair_id" IS NOT NULL
		GROUP BY 1 HAVING count(*) > 1);--> statement-breakpoint
CREATE TABLE "read_model_state" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"requested_seq" bigint DEFAULT 0 NOT NULL,
	"refreshed_seq" bigint DEFAULT 0 NOT NULL,
	"refreshes" bigint DEFAULT 0 NOT NULL,
	"last_refreshed_at" timestamp with time zone,
	"last_duration_ms" integer
);
--> statement-breakpoint
DROP INDEX "cashflow_daily_user_date_idx";--> statement-breakpoint
DROP INDEX "cashflow_monthly_user_month_idx";--> statement-breakpoint
ALTER TABLE "read_model_state" ADD CONSTRAINT "read_model_state_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "transactions_transfer_pair_key" ON "transactions" USING btree ("transfer_pair_id") WHERE "transactions"."transfer_pair_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "cashflow_daily_group_key" ON "cashflow_daily" USING btree ("user_id","date","currency","kind","category","detailed","merchant","pending");--> statement-breakpoint
CREATE UNIQUE INDEX "cashflow_monthly_group_key" ON "cashflow_monthly" USING btree ("user_id","month","currency","kind","category","detailed","merchant","pending");