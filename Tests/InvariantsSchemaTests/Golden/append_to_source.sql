-- trigger function: function invariants.append_jobs_to_cards()
-- source: AppendToSource(child: public.jobs, parent: public.cards)
CREATE OR REPLACE FUNCTION "invariants"."append_jobs_to_cards"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    source_id uuid;
    target uuid;
    item jsonb;
BEGIN
    -- Invariant append to source: public.jobs entering done adds to public.cards, exactly once.
    IF NEW."status" IS DISTINCT FROM 'done' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD."status" IS NOT DISTINCT FROM 'done' OR OLD."result_card_id" IS NOT NULL THEN
            RETURN NEW;
        END IF;
    END IF;
    item := pg_catalog.jsonb_build_object('url', NEW.url, 'job', NEW.id);
    IF (NEW.kind = 'edit') IS TRUE THEN
        source_id := COALESCE(NEW."card_id", NULLIF(NEW.note, '')::uuid);
        IF source_id IS NOT NULL THEN
            -- One statement: the row lock serializes concurrent appends to one parent.
            -- Same owner only: the definer bypasses RLS, so the owner is checked here.
            UPDATE "public"."cards" AS p
               SET "data" = pg_catalog.jsonb_set(
                       COALESCE(p."data", '{}'::jsonb), '{"items"}',
                       COALESCE(p."data" -> 'items', '[]'::jsonb) || pg_catalog.jsonb_build_array(item)),
                   "total" = COALESCE(p."total", 0) + COALESCE(NEW."cost", 0)
             WHERE p."id" = source_id AND p."user_id" = NEW."user_id"
            RETURNING p."id" INTO target;
        END IF;
    END IF;
    IF target IS NULL THEN
        -- No valid source (none, missing, deleted, another owner's): a new parent for the child's owner.
        INSERT INTO "public"."cards" ("user_id", "data", "total", "title")
        VALUES (
            NEW."user_id",
            pg_catalog.jsonb_build_object('items', pg_catalog.jsonb_build_array(item)),
            COALESCE(NEW."cost", 0),
            NEW.kind
        )
        RETURNING "id" INTO target;
    END IF;
    NEW."result_card_id" := target;
    RETURN NEW;
END
$fn$;
REVOKE EXECUTE ON FUNCTION "invariants"."append_jobs_to_cards"() FROM PUBLIC, "anon", "authenticated", "service_role";
-- drop:
-- DROP FUNCTION IF EXISTS "invariants"."append_jobs_to_cards"()

-- trigger: trigger public.jobs.append_jobs_to_cards
-- source: AppendToSource(child: public.jobs, parent: public.cards)
CREATE OR REPLACE TRIGGER "append_jobs_to_cards"
    BEFORE INSERT OR UPDATE OF "status" ON "public"."jobs"
    FOR EACH ROW
    EXECUTE FUNCTION "invariants"."append_jobs_to_cards"();
-- drop:
-- DROP TRIGGER IF EXISTS "append_jobs_to_cards" ON "public"."jobs"
