CREATE TABLE "net_worth_daily" (
	"user_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"date" date NOT NULL,
	"assets" numeric(20, 4) NOT NULL,
	"liabilities" numeric(20, 4) NOT NULL,
	"net_worth" numeric(20, 4) NOT NULL,
	"estimated" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "net_worth_daily_user_id_currency_date_pk" PRIMARY KEY("user_id","currency","date")
);
--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "transfer_kind" text;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "transfer_pair_id" uuid;--> statement-breakpoint
ALTER TABLE "net_worth_daily" ADD CONSTRAINT "net_worth_daily_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "net_worth_daily_user_date_idx" ON "net_worth_daily" USING btree ("user_id","date");