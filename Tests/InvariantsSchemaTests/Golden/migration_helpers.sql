ALTER TABLE "public"."sessions"
    ADD COLUMN "summary" text;

COMMENT ON COLUMN "public"."sessions"."summary" IS 'Short summary.';

ALTER TABLE "public"."sessions"
    DROP COLUMN "summary";

ALTER TABLE "public"."sessions"
    ADD CONSTRAINT "sessions_messages_check" CHECK (messages >= 0) NOT VALID;

ALTER TABLE "public"."sessions"
    VALIDATE CONSTRAINT "sessions_messages_check";

ALTER TABLE "public"."sessions"
    ADD CONSTRAINT "sessions_title_user_id_key" UNIQUE ("title", "user_id");

ALTER TABLE "public"."sessions"
    DROP CONSTRAINT "sessions_title_user_id_key";

-- outside transaction; rebuilds invalid index public.sessions_status_idx
CREATE INDEX CONCURRENTLY IF NOT EXISTS "sessions_status_idx"
    ON "public"."sessions" USING btree ("status")
    WHERE archived = false;

-- outside transaction
DROP INDEX CONCURRENTLY IF EXISTS "public"."sessions_status_idx";

CREATE SCHEMA IF NOT EXISTS "invariants";

DROP TABLE "public"."sessions";
