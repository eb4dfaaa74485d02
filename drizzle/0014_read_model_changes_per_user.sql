-- Read answers are forgotten per person (src/http/read-cache.ts): instead of '*' on every write
-- (migration 0010), each statement that writes a table the answers come from announces, at commit, the
-- distinct owners of the rows it wrote (comma-separated; '*' past 100 people or for TRUNCATE), from its
-- transition table. A statement that wrote no row announces nothing. Securities are shared: a change
-- announces the people holding them.
CREATE FUNCTION "read_model_announce_owners"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	owners integer;
	ids text;
BEGIN
	SELECT count(DISTINCT user_id), string_agg(DISTINCT user_id::text, ',') INTO owners, ids FROM changed_rows;
	IF owners > 100 THEN
		PERFORM pg_notify('read_model_changes', '*');
	ELSIF owners > 0 THEN
		PERFORM pg_notify('read_model_changes', ids);
	END IF;
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE FUNCTION "read_model_announce_holders"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	owners integer;
	ids text;
BEGIN
	SELECT count(DISTINCT h.user_id), string_agg(DISTINCT h.user_id::text, ',') INTO owners, ids
		FROM holdings h WHERE h.security_id IN (SELECT id FROM changed_rows);
	IF owners > 100 THEN
		PERFORM pg_notify('read_model_changes', '*');
	ELSIF owners > 0 THEN
		PERFORM pg_notify('read_model_changes', ids);
	END IF;
	RETURN NULL;
END
$$;--> statement-breakpoint
DROP TRIGGER "transactions_read_model_change" ON "transactions";--> statement-breakpoint
CREATE TRIGGER "transactions_read_model_insert"
	AFTER INSERT ON "transactions" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "transactions_read_model_update"
	AFTER UPDATE ON "transactions" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "transactions_read_model_delete"
	AFTER DELETE ON "transactions" REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "transactions_read_model_truncate"
	AFTER TRUNCATE ON "transactions" FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
DROP TRIGGER "accounts_read_model_change" ON "accounts";--> statement-breakpoint
CREATE TRIGGER "accounts_read_model_insert"
	AFTER INSERT ON "accounts" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "accounts_read_model_update"
	AFTER UPDATE ON "accounts" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "accounts_read_model_delete"
	AFTER DELETE ON "accounts" REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "accounts_read_model_truncate"
	AFTER TRUNCATE ON "accounts" FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
DROP TRIGGER "balance_snapshots_read_model_change" ON "balance_snapshots";--> statement-breakpoint
CREATE TRIGGER "balance_snapshots_read_model_insert"
	AFTER INSERT ON "balance_snapshots" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "balance_snapshots_read_model_update"
	AFTER UPDATE ON "balance_snapshots" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "balance_snapshots_read_model_delete"
	AFTER DELETE ON "balance_snapshots" REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "balance_snapshots_read_model_truncate"
	AFTER TRUNCATE ON "balance_snapshots" FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
DROP TRIGGER "holdings_read_model_change" ON "holdings";--> statement-breakpoint
CREATE TRIGGER "holdings_read_model_insert"
	AFTER INSERT ON "holdings" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "holdings_read_model_update"
	AFTER UPDATE ON "holdings" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "holdings_read_model_delete"
	AFTER DELETE ON "holdings" REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "holdings_read_model_truncate"
	AFTER TRUNCATE ON "holdings" FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
DROP TRIGGER "holding_snapshots_read_model_change" ON "holding_snapshots";--> statement-breakpoint
CREATE TRIGGER "holding_snapshots_read_model_insert"
	AFTER INSERT ON "holding_snapshots" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "holding_snapshots_read_model_update"
	AFTER UPDATE ON "holding_snapshots" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "holding_snapshots_read_model_delete"
	AFTER DELETE ON "holding_snapshots" REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "holding_snapshots_read_model_truncate"
	AFTER TRUNCATE ON "holding_snapshots" FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
DROP TRIGGER "investment_transactions_read_model_change" ON "investment_transactions";--> statement-breakpoint
CREATE TRIGGER "investment_transactions_read_model_insert"
	AFTER INSERT ON "investment_transactions" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "investment_transactions_read_model_update"
	AFTER UPDATE ON "investment_transactions" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "investment_transactions_read_model_delete"
	AFTER DELETE ON "investment_transactions" REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "investment_transactions_read_model_truncate"
	AFTER TRUNCATE ON "investment_transactions" FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
DROP TRIGGER "liabilities_read_model_change" ON "liabilities";--> statement-breakpoint
CREATE TRIGGER "liabilities_read_model_insert"
	AFTER INSERT ON "liabilities" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "liabilities_read_model_update"
	AFTER UPDATE ON "liabilities" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "liabilities_read_model_delete"
	AFTER DELETE ON "liabilities" REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "liabilities_read_model_truncate"
	AFTER TRUNCATE ON "liabilities" FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
DROP TRIGGER "net_worth_daily_read_model_change" ON "net_worth_daily";--> statement-breakpoint
CREATE TRIGGER "net_worth_daily_read_model_insert"
	AFTER INSERT ON "net_worth_daily" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "net_worth_daily_read_model_update"
	AFTER UPDATE ON "net_worth_daily" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "net_worth_daily_read_model_delete"
	AFTER DELETE ON "net_worth_daily" REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "net_worth_daily_read_model_truncate"
	AFTER TRUNCATE ON "net_worth_daily" FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
DROP TRIGGER "net_worth_points_monthly_read_model_change" ON "net_worth_points_monthly";--> statement-breakpoint
CREATE TRIGGER "net_worth_points_monthly_read_model_insert"
	AFTER INSERT ON "net_worth_points_monthly" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "net_worth_points_monthly_read_model_update"
	AFTER UPDATE ON "net_worth_points_monthly" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "net_worth_points_monthly_read_model_delete"
	AFTER DELETE ON "net_worth_points_monthly" REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "net_worth_points_monthly_read_model_truncate"
	AFTER TRUNCATE ON "net_worth_points_monthly" FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
DROP TRIGGER "cashflow_daily_read_model_change" ON "cashflow_daily";--> statement-breakpoint
CREATE TRIGGER "cashflow_daily_read_model_insert"
	AFTER INSERT ON "cashflow_daily" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "cashflow_daily_read_model_update"
	AFTER UPDATE ON "cashflow_daily" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "cashflow_daily_read_model_delete"
	AFTER DELETE ON "cashflow_daily" REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "cashflow_daily_read_model_truncate"
	AFTER TRUNCATE ON "cashflow_daily" FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
DROP TRIGGER "cashflow_monthly_read_model_change" ON "cashflow_monthly";--> statement-breakpoint
CREATE TRIGGER "cashflow_monthly_read_model_insert"
	AFTER INSERT ON "cashflow_monthly" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "cashflow_monthly_read_model_update"
	AFTER UPDATE ON "cashflow_monthly" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "cashflow_monthly_read_model_delete"
	AFTER DELETE ON "cashflow_monthly" REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "cashflow_monthly_read_model_truncate"
	AFTER TRUNCATE ON "cashflow_monthly" FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
DROP TRIGGER "securities_read_model_change" ON "securities";--> statement-breakpoint
CREATE TRIGGER "securities_read_model_insert"
	AFTER INSERT ON "securities" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_holders"();--> statement-breakpoint
CREATE TRIGGER "securities_read_model_update"
	AFTER UPDATE ON "securities" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_holders"();--> statement-breakpoint
CREATE TRIGGER "securities_read_model_delete"
	AFTER DELETE ON "securities" REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_holders"();--> statement-breakpoint
CREATE TRIGGER "securities_read_model_truncate"
	AFTER TRUNCATE ON "securities" FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();
