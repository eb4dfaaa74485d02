ALTER TABLE "transactions" ADD COLUMN "transfer_reason" text;--> statement-breakpoint
-- Legs paired before this column existed: a pair in one currency can only come from the first rule. A pair
-- across currencies (rule 2 or 3, depending on the rate bands in the code) keeps a null reason until the
-- person's next read-model refresh recomputes it.
UPDATE "transactions" AS t SET "transfer_reason" = 'same_currency_amount'
	FROM "transactions" AS o
	WHERE t."transfer_pair_id" = o."id" AND t."transfer_kind" IS NOT NULL AND t."user_id" = o."user_id"
	AND coalesce(t."iso_currency_code", t."unofficial_currency_code", 'XXX')
		= coalesce(o."iso_currency_code", o."unofficial_currency_code", 'XXX');
