CREATE TABLE "transaction_edits_kept" (
	"user_id" uuid NOT NULL,
	"plaid_transaction_id" text NOT NULL,
	"user_note" text,
	"user_category" text,
	"user_tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"excluded" boolean DEFAULT false NOT NULL,
	"excluded_reason" text,
	"user_merchant_name" text,
	"manual_fields" text[] DEFAULT '{}'::text[] NOT NULL,
	"edit_version" integer DEFAULT 1 NOT NULL,
	"kept_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "transaction_edits_kept_pkey" PRIMARY KEY("user_id","plaid_transaction_id")
);
--> statement-breakpoint
CREATE TABLE "transaction_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"match_field" text NOT NULL,
	"match_kind" text NOT NULL,
	"match_text" text NOT NULL,
	"min_amount" numeric(20, 4),
	"max_amount" numeric(20, 4),
	"account_id" uuid,
	"set_category" text,
	"add_tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"exclude" boolean DEFAULT false NOT NULL,
	"excluded_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "user_tags" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "excluded" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "excluded_reason" text;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "user_merchant_name" text;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "manual_fields" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "edit_version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "transaction_edits_kept" ADD CONSTRAINT "transaction_edits_kept_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transaction_rules" ADD CONSTRAINT "transaction_rules_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transaction_rules" ADD CONSTRAINT "transaction_rules_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "transaction_rules_user_created_idx" ON "transaction_rules" USING btree ("user_id","created_at","id");--> statement-breakpoint
-- The note and category set before owner edits had an API were the owner's: mark them so (rules leave them).
UPDATE "transactions" SET "manual_fields" = array_remove(ARRAY[
		CASE WHEN "user_note" IS NOT NULL THEN 'note' END,
		CASE WHEN "user_category" IS NOT NULL THEN 'category' END], NULL)
	WHERE "user_note" IS NOT NULL OR "user_category" IS NOT NULL;
