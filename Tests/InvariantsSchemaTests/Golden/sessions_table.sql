CREATE TABLE "public"."users" (
    "id" uuid NOT NULL DEFAULT gen_random_uuid(),
    "email" text NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "users_email_key" UNIQUE ("email")
);

CREATE TABLE "public"."workspace_members" (
    "workspace_id" bigint NOT NULL,
    "user_id" uuid NOT NULL,
    CONSTRAINT "workspace_members_pkey" PRIMARY KEY ("workspace_id", "user_id"),
    CONSTRAINT "workspace_members_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "public"."users" ("id") ON DELETE CASCADE
);

CREATE TABLE "public"."sessions" (
    "id" uuid NOT NULL DEFAULT gen_random_uuid(),
    "user_id" uuid NOT NULL,
    "workspace_id" bigint,
    "reviewer_id_with_a_deliberately_long_name_for_truncation" uuid,
    "title" text NOT NULL DEFAULT '',
    "title_lower" text GENERATED ALWAYS AS (lower(title)) STORED,
    "status" character varying(16) NOT NULL DEFAULT 'open',
    "session_config" jsonb NOT NULL DEFAULT '{}'::jsonb,
    "raw_payload" json,
    "tags" text[] NOT NULL DEFAULT '{}',
    "price" numeric(12, 2),
    "score" double precision,
    "ratio" real,
    "position" smallint,
    "seq" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    "messages" integer NOT NULL DEFAULT 0,
    "archived" boolean NOT NULL DEFAULT false,
    "day" date,
    "thumbnail" bytea,
    "created_at" timestamp with time zone NOT NULL DEFAULT now(),
    "updated_at" timestamp with time zone NOT NULL DEFAULT now(),
    "deleted_at" timestamp with time zone,
    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "public"."users" ("id") ON DELETE CASCADE ON UPDATE RESTRICT,
    CONSTRAINT "sessions_workspace_id_user_id_fkey" FOREIGN KEY ("workspace_id", "user_id") REFERENCES "public"."workspace_members" ("workspace_id", "user_id") ON DELETE SET NULL ("workspace_id"),
    CONSTRAINT "sessions_reviewer_id_with_a_deliberately_long_name_for_3369af5a" FOREIGN KEY ("reviewer_id_with_a_deliberately_long_name_for_truncation") REFERENCES "public"."users" ("id") ON DELETE SET NULL,
    CONSTRAINT "sessions_user_id_workspace_id_key" UNIQUE NULLS NOT DISTINCT ("user_id", "workspace_id"),
    CONSTRAINT "sessions_status_check" CHECK (status IN ('open', 'closed')),
    CONSTRAINT "sessions_price_non_negative" CHECK (price >= 0)
);

COMMENT ON TABLE "public"."sessions" IS 'Chat sessions; the panel''s models live in session_config.';

COMMENT ON COLUMN "public"."sessions"."user_id" IS 'Owner (public.users.id).';

COMMENT ON COLUMN "public"."sessions"."session_config" IS 'Models on the panel: it''s a JSON object.';

CREATE INDEX "sessions_user_id_created_at_idx"
    ON "public"."sessions" USING btree ("user_id", "created_at" DESC);

-- outside transaction; rebuilds invalid index public.sessions_expr_idx
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "sessions_expr_idx"
    ON "public"."sessions" USING btree ((lower(title)))
    INCLUDE ("id")
    WHERE deleted_at IS NULL;

CREATE INDEX "sessions_config_gin"
    ON "public"."sessions" USING gin ("session_config");
