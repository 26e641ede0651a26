-- trigger function: function invariants.state_public_tool_runs_status()
-- source: StateMachine(table: public.tool_runs, column: status)
CREATE OR REPLACE FUNCTION "invariants"."state_public_tool_runs_status"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Invariant state machine on tool_runs.status: initial pending; terminal succeeded, failed.
    IF TG_OP = 'INSERT' THEN
        IF NEW."status" IS NULL OR NEW."status"::text NOT IN ('pending') THEN
            RAISE EXCEPTION 'illegal initial state of tool_runs.status: %', COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status',
                      HINT = 'a row starts in pending';
        END IF;
    ELSIF NEW."status" IS DISTINCT FROM OLD."status" THEN
        IF OLD."status"::text IN ('pending') AND NEW."status"::text = 'executing' THEN
            IF (NOT NEW.requires_approval OR NEW.approval = 'approved') IS NOT TRUE THEN
                RAISE EXCEPTION 'illegal transition of tool_runs.status: % -> %: approval required',
                        OLD."status", NEW."status"
                    USING ERRCODE = 'IV001', COLUMN = 'status';
            END IF;
        ELSIF OLD."status"::text IN ('pending', 'executing') AND NEW."status"::text = 'failed' THEN
            NULL;
        ELSIF OLD."status"::text IN ('executing') AND NEW."status"::text = 'succeeded' THEN
            NEW."attempts" := OLD.attempts + 1;
        ELSE
            RAISE EXCEPTION 'illegal transition of tool_runs.status: % -> %',
                    COALESCE(OLD."status"::text, 'NULL'), COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status',
                      DETAIL = CASE WHEN OLD."status"::text IN ('succeeded', 'failed')
                                    THEN OLD."status"::text || ' is a terminal state' ELSE '' END;
        END IF;
    ELSE
        -- Same state: not a transition.
        RETURN NEW;
    END IF;
    IF NEW."status"::text = 'succeeded' THEN
        IF (NEW.output IS NOT NULL) IS NOT TRUE THEN
            RAISE EXCEPTION 'cannot enter tool_runs.status %: output is required', NEW."status"
                USING ERRCODE = 'IV422', COLUMN = 'output';
        END IF;
        NEW."resolved_at" := pg_catalog.now();
    END IF;
    IF NEW."status"::text = 'failed' THEN
        NEW."resolved_at" := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$fn$;
REVOKE EXECUTE ON FUNCTION "invariants"."state_public_tool_runs_status"()
    FROM PUBLIC, "anon", "authenticated", "service_role";
-- drop:
-- DROP FUNCTION IF EXISTS "invariants"."state_public_tool_runs_status"()

-- trigger: trigger public.tool_runs.invariants_state_status
-- source: StateMachine(table: public.tool_runs, column: status)
CREATE OR REPLACE TRIGGER "invariants_state_status"
    BEFORE INSERT OR UPDATE OF "status" ON "public"."tool_runs"
    FOR EACH ROW
    EXECUTE FUNCTION "invariants"."state_public_tool_runs_status"();
-- drop:
-- DROP TRIGGER IF EXISTS "invariants_state_status" ON "public"."tool_runs"
