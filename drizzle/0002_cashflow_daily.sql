CREATE TABLE "cashflow_daily" (
	"user_id" uuid NOT NULL,
	"date" date NOT NULL,
	"currency" text NOT NULL,
	"kind" text NOT NULL,
	"category" text NOT NULL,
	"detailed" text NOT NULL,
	"merchant" text NOT NULL,
	"pending" boolean NOT NULL,
	"total" numeric(20, 4) NOT NULL,
	"inflow" numeric(20, 4) NOT NULL,
	"count" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "cashflow_daily" ADD CONSTRAINT "cashflow_daily_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cashflow_daily_user_date_idx" ON "cashflow_daily" USING btree ("user_id","date");