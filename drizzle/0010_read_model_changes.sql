-- API processes keep rendered read answers (transactions pages, cash flow, net worth, holdings, recurring:
-- src/http/read-cache.ts). Every statement that writes a table those answers are read from announces '*' on
-- the channel `read_model_changes` (delivered at commit, once per transaction, never for a rollback),
-- whichever process ran it: a sync, a materializer, an item removed (its rows go), the CLI, raw SQL. One announcement
-- per statement, not per row: a sync writing 100,000 transactions costs a few notifications, and every
-- process then forgets every cached answer (they are recomputed on the next read).
CREATE FUNCTION "read_model_announce_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('read_model_changes', '*');
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "transactions_read_model_change"
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "transactions"
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
CREATE TRIGGER "accounts_read_model_change"
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "accounts"
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
CREATE TRIGGER "balance_snapshots_read_model_change"
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "balance_snapshots"
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
CREATE TRIGGER "holdings_read_model_change"
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "holdings"
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
CREATE TRIGGER "holding_snapshots_read_model_change"
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "holding_snapshots"
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
CREATE TRIGGER "securities_read_model_change"
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "securities"
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
CREATE TRIGGER "investment_transactions_read_model_change"
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "investment_transactions"
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
CREATE TRIGGER "liabilities_read_model_change"
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "liabilities"
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
CREATE TRIGGER "net_worth_daily_read_model_change"
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "net_worth_daily"
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
CREATE TRIGGER "net_worth_points_monthly_read_model_change"
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "net_worth_points_monthly"
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
CREATE TRIGGER "cashflow_daily_read_model_change"
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "cashflow_daily"
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
CREATE TRIGGER "cashflow_monthly_read_model_change"
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "cashflow_monthly"
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();
