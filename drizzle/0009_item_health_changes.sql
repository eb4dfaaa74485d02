-- API processes cache each user's item health (the `freshness` of every read response,
-- src/domain/accounts/service.ts). Every change to what it shows announces the user's id on the channel
-- `item_health_changes` from inside the changing transaction (delivered at commit), whichever process
-- made it: a sync finishing, an item linked, repaired or removed, a user deleted. TRUNCATE and a renamed
-- institution announce '*': forget everything. Lease renewals and other bookkeeping announce nothing.
CREATE FUNCTION "plaid_items_announce_health_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'TRUNCATE' OR TG_TABLE_NAME = 'institutions' THEN
		PERFORM pg_notify('item_health_changes', '*');
	ELSIF TG_OP = 'INSERT' THEN
		PERFORM pg_notify('item_health_changes', NEW.user_id::text);
	ELSE
		PERFORM pg_notify('item_health_changes', OLD.user_id::text);
		IF TG_OP = 'UPDATE' AND NEW.user_id IS DISTINCT FROM OLD.user_id THEN
			PERFORM pg_notify('item_health_changes', NEW.user_id::text);
		END IF;
	END IF;
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "plaid_items_health_on_insert_or_delete"
	AFTER INSERT OR DELETE ON "plaid_items"
	FOR EACH ROW EXECUTE FUNCTION "plaid_items_announce_health_change"();--> statement-breakpoint
CREATE TRIGGER "plaid_items_health_on_update"
	AFTER UPDATE OF "id", "user_id", "status", "last_synced_at", "institution_id", "created_at" ON "plaid_items"
	FOR EACH ROW
	WHEN ((OLD."id", OLD."user_id", OLD."status", OLD."last_synced_at", OLD."institution_id", OLD."created_at")
		IS DISTINCT FROM (NEW."id", NEW."user_id", NEW."status", NEW."last_synced_at", NEW."institution_id", NEW."created_at"))
	EXECUTE FUNCTION "plaid_items_announce_health_change"();--> statement-breakpoint
CREATE TRIGGER "plaid_items_health_on_truncate"
	AFTER TRUNCATE ON "plaid_items"
	FOR EACH STATEMENT EXECUTE FUNCTION "plaid_items_announce_health_change"();--> statement-breakpoint
CREATE TRIGGER "institutions_health_on_rename"
	AFTER UPDATE OF "name" ON "institutions"
	FOR EACH ROW WHEN (OLD."name" IS DISTINCT FROM NEW."name")
	EXECUTE FUNCTION "plaid_items_announce_health_change"();
