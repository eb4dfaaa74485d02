-- Net-worth history points rendered once, by the materializer, as the API shows them (netWorthPointJson in
-- src/domain/analytics/net-worth.ts), and joined per month: a five-year daily history is then about sixty
-- rows to concatenate instead of thousands of values to format per request.
CREATE TABLE "net_worth_points_monthly" (
	"user_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"month" date NOT NULL,
	"points" text NOT NULL,
	CONSTRAINT "net_worth_points_monthly_user_id_currency_month_pk" PRIMARY KEY("user_id","currency","month")
);
--> statement-breakpoint
ALTER TABLE "net_worth_points_monthly" ADD CONSTRAINT "net_worth_points_monthly_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Read whole, a month's points are not worth compressing: keep them uncompressed (out of line when large).
ALTER TABLE "net_worth_points_monthly" ALTER COLUMN "points" SET STORAGE EXTERNAL;--> statement-breakpoint
ALTER TABLE "net_worth_daily" ADD COLUMN "point_json" text;--> statement-breakpoint
-- Days materialized before this migration: rendered here exactly as netWorthPointJson renders them
-- (money: at least two decimals, no trailing zeros past them; test/integration/net-worth-points.test.ts).
UPDATE "net_worth_daily" SET "point_json" =
	'{"currency":' || to_json("currency")::text
	|| ',"date":' || to_json("date")::text
	|| ',"assets":"' || (CASE WHEN scale(trim_scale("assets")) < 2 THEN round("assets", 2) ELSE trim_scale("assets") END)::text
	|| '","liabilities":"' || (CASE WHEN scale(trim_scale("liabilities")) < 2 THEN round("liabilities", 2) ELSE trim_scale("liabilities") END)::text
	|| '","net_worth":"' || (CASE WHEN scale(trim_scale("net_worth")) < 2 THEN round("net_worth", 2) ELSE trim_scale("net_worth") END)::text
	|| '","estimated":' || "estimated"::text || '}';--> statement-breakpoint
ALTER TABLE "net_worth_daily" ALTER COLUMN "point_json" SET NOT NULL;--> statement-breakpoint
INSERT INTO "net_worth_points_monthly" ("user_id", "currency", "month", "points")
	SELECT "user_id", "currency", date_trunc('month', "date"::timestamp)::date, string_agg("point_json", ',' ORDER BY "date")
	FROM "net_worth_daily" GROUP BY 1, 2, 3;
