CREATE TABLE "account_flows_daily" (
	"user_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"class" text NOT NULL,
	"date" date NOT NULL,
	"running_total" numeric(20, 4) NOT NULL,
	"running_inflow" numeric(20, 4) NOT NULL,
	"running_count" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "funding_candidates" (
	"user_id" uuid NOT NULL,
	"transaction_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"date" date NOT NULL,
	"amount" numeric(20, 4) NOT NULL,
	"class" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "account_flows_daily" ADD CONSTRAINT "account_flows_daily_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "funding_candidates" ADD CONSTRAINT "funding_candidates_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "account_flows_daily_key" ON "account_flows_daily" USING btree ("user_id","account_id","class","date");--> statement-breakpoint
CREATE UNIQUE INDEX "funding_candidates_key" ON "funding_candidates" USING btree ("user_id","transaction_id");--> statement-breakpoint
CREATE INDEX "funding_candidates_user_date_idx" ON "funding_candidates" USING btree ("user_id","date");--> statement-breakpoint
-- Written with the read model, so they announce their owners like its other tables (migration 0014).
CREATE TRIGGER "account_flows_daily_read_model_insert"
	AFTER INSERT ON "account_flows_daily" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "account_flows_daily_read_model_update"
	AFTER UPDATE ON "account_flows_daily" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "account_flows_daily_read_model_delete"
	AFTER DELETE ON "account_flows_daily" REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "account_flows_daily_read_model_truncate"
	AFTER TRUNCATE ON "account_flows_daily" FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();--> statement-breakpoint
CREATE TRIGGER "funding_candidates_read_model_insert"
	AFTER INSERT ON "funding_candidates" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "funding_candidates_read_model_update"
	AFTER UPDATE ON "funding_candidates" REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "funding_candidates_read_model_delete"
	AFTER DELETE ON "funding_candidates" REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_owners"();--> statement-breakpoint
CREATE TRIGGER "funding_candidates_read_model_truncate"
	AFTER TRUNCATE ON "funding_candidates" FOR EACH STATEMENT EXECUTE FUNCTION "read_model_announce_change"();
