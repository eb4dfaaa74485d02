CREATE TABLE "cashflow_monthly" (
	"user_id" uuid NOT NULL,
	"month" date NOT NULL,
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
ALTER TABLE "cashflow_monthly" ADD CONSTRAINT "cashflow_monthly_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cashflow_monthly_user_month_idx" ON "cashflow_monthly" USING btree ("user_id","month");