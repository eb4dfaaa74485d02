-- API processes cache authenticated personal access tokens (src/domain/auth/token-cache.ts). Every change
-- that can make a token invalid, or change what it grants, announces the token's id on the channel
-- `api_token_revocations` from inside the changing transaction (delivered at commit, never for a rollback),
-- whichever code path or tool made it: the API, the CLI, raw SQL, and the cascade of a deleted user.
-- Touching `last_used_at` announces nothing. TRUNCATE announces '*': forget every token.
CREATE FUNCTION "api_tokens_announce_revocation"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		PERFORM pg_notify('api_token_revocations', '*');
	ELSE
		PERFORM pg_notify('api_token_revocations', OLD.id::text);
	END IF;
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "api_tokens_revocation_on_update"
	AFTER UPDATE OF "id", "user_id", "token_hash", "scope", "expires_at", "revoked_at" ON "api_tokens"
	FOR EACH ROW
	WHEN ((OLD."id", OLD."user_id", OLD."token_hash", OLD."scope", OLD."expires_at", OLD."revoked_at")
		IS DISTINCT FROM (NEW."id", NEW."user_id", NEW."token_hash", NEW."scope", NEW."expires_at", NEW."revoked_at"))
	EXECUTE FUNCTION "api_tokens_announce_revocation"();--> statement-breakpoint
CREATE TRIGGER "api_tokens_revocation_on_delete"
	AFTER DELETE ON "api_tokens"
	FOR EACH ROW EXECUTE FUNCTION "api_tokens_announce_revocation"();--> statement-breakpoint
CREATE TRIGGER "api_tokens_revocation_on_truncate"
	AFTER TRUNCATE ON "api_tokens"
	FOR EACH STATEMENT EXECUTE FUNCTION "api_tokens_announce_revocation"();
