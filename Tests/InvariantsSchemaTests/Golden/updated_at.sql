-- trigger function: function invariants.touch_public_sessions_updated_at()
-- source: UpdatedAt(table: public.sessions, column: updated_at)
CREATE OR REPLACE FUNCTION "invariants"."touch_public_sessions_updated_at"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Invariant updated_at on column updated_at: the server clock owns it.
    IF TG_OP = 'INSERT' THEN
        NEW."updated_at" := pg_catalog.now();
        RETURN NEW;
    END IF;
    -- Keep the old value; bump it only when something else changed.
    -- Record-image equality (*=) works for every column type, json included.
    NEW."updated_at" := OLD."updated_at";
    -- Stored generated columns are NULL in NEW until after this trigger.
    NEW."title_lower" := OLD."title_lower";
    IF NEW *= OLD THEN
        RETURN NEW;
    END IF;
    NEW."updated_at" := pg_catalog.now();
    RETURN NEW;
END
$fn$;
REVOKE EXECUTE ON FUNCTION "invariants"."touch_public_sessions_updated_at"() FROM PUBLIC;
-- drop:
-- DROP FUNCTION IF EXISTS "invariants"."touch_public_sessions_updated_at"()

-- trigger function: function invariants.touch_updated_at()
-- source: UpdatedAt(column: updated_at)
CREATE OR REPLACE FUNCTION "invariants"."touch_updated_at"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Invariant updated_at on column updated_at: the server clock owns it.
    IF TG_OP = 'INSERT' THEN
        NEW."updated_at" := pg_catalog.now();
        RETURN NEW;
    END IF;
    -- Keep the old value; bump it only when something else changed.
    -- Record-image equality (*=) works for every column type, json included.
    NEW."updated_at" := OLD."updated_at";
    IF NEW *= OLD THEN
        RETURN NEW;
    END IF;
    NEW."updated_at" := pg_catalog.now();
    RETURN NEW;
END
$fn$;
REVOKE EXECUTE ON FUNCTION "invariants"."touch_updated_at"() FROM PUBLIC;
-- drop:
-- DROP FUNCTION IF EXISTS "invariants"."touch_updated_at"()

-- trigger: trigger public.sessions.zz_invariants_updated_at
-- source: UpdatedAt(table: public.sessions, column: updated_at)
CREATE OR REPLACE TRIGGER "zz_invariants_updated_at"
    BEFORE INSERT OR UPDATE ON "public"."sessions"
    FOR EACH ROW
    EXECUTE FUNCTION "invariants"."touch_public_sessions_updated_at"();
-- drop:
-- DROP TRIGGER IF EXISTS "zz_invariants_updated_at" ON "public"."sessions"

-- trigger: trigger public.documents.zz_invariants_updated_at
-- source: UpdatedAt(table: public.documents, column: updated_at)
CREATE OR REPLACE TRIGGER "zz_invariants_updated_at"
    BEFORE INSERT OR UPDATE ON "public"."documents"
    FOR EACH ROW
    EXECUTE FUNCTION "invariants"."touch_updated_at"();
-- drop:
-- DROP TRIGGER IF EXISTS "zz_invariants_updated_at" ON "public"."documents"
