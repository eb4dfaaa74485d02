CREATE TABLE "item_products" (
	"item_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"product" text NOT NULL,
	"status" text NOT NULL,
	"since" timestamp with time zone NOT NULL,
	"checked_at" timestamp with time zone NOT NULL,
	"reason" jsonb,
	CONSTRAINT "item_products_item_id_product_pk" PRIMARY KEY("item_id","product")
);
--> statement-breakpoint
ALTER TABLE "plaid_items" ADD COLUMN "sync_lock_run_ids" uuid[];--> statement-breakpoint
ALTER TABLE "item_products" ADD CONSTRAINT "item_products_item_id_plaid_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."plaid_items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_products" ADD CONSTRAINT "item_products_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "item_products_user_idx" ON "item_products" USING btree ("user_id");