import InvariantsSchema

/// Per-user daily usage kept by the database, and the cost alert.
///
/// An AFTER row trigger on `chat_logs` adds each log to `usage_daily (user_id, day)` with one
/// `INSERT … ON CONFLICT DO UPDATE` (exact under concurrent loggers: the upsert serializes
/// on the row and adds to the latest version), and subtracts a deleted log (or the old image
/// of an updated one). Days are UTC calendar days of `created_at`.
///
/// It is SECURITY DEFINER with `search_path = ''`: users hold no write right on
/// `usage_daily`, and as the invoker an RLS-filtered update would silently change 0 rows.
/// It raises when the usage row count is not exactly 1, so a counter never silently stays 0.
/// It touches only the row of the log's own `user_id` (the tenant key), nothing else.
///
/// Cost alert: when a user's cost for a day goes from ≤ `usage_thresholds.daily_cost_limit`
/// to above it, a row in `public.cost_alerts` and `pg_notify('invariants_cost_alerts',
/// '{"alert_id": …}')` — the alert's id only: any connection may LISTEN to a channel, anon
/// included, and a user id with a day told who crossed a spending limit. The client reads the
/// alert by its id under RLS (its owner only). Exactly one
/// transaction sees the crossing, because each upsert sees the previous committed total; a
/// rolled-back crossing notifies nothing. Listeners should set
/// `idle_in_transaction_session_timeout`: a listener stuck in a transaction fills the notify
/// queue, after which every commit that notifies fails.
public enum ChatLogsUsage {
    /// The channel cost alerts are sent on.
    public static let costAlertChannel = "invariants_cost_alerts"

    static let track = StoredFunction(
        Schema.invariants("chat_logs_usage"), returns: "trigger", securityDefiner: true,
        body: """
            DECLARE
                alert_id uuid;
                changed bigint;
                total numeric;
                cost_limit numeric;
                log_day date;
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    -- When the owner itself is being deleted, usage_daily goes by the same cascade
                    -- (in either order): there is nothing left to keep exact.
                    IF EXISTS (SELECT 1 FROM auth.users AS u WHERE u.id = OLD.user_id) THEN
                        log_day := (OLD.created_at AT TIME ZONE 'UTC')::date;
                        UPDATE public.usage_daily AS d
                           SET requests = d.requests - 1,
                               input_tokens = d.input_tokens - COALESCE(OLD.input_tokens, 0),
                               output_tokens = d.output_tokens - COALESCE(OLD.output_tokens, 0),
                               cost = d.cost - COALESCE(OLD.cost, 0)
                         WHERE d.user_id = OLD.user_id AND d.day = log_day;
                        GET DIAGNOSTICS changed = ROW_COUNT;
                        IF changed <> 1 THEN
                            RAISE EXCEPTION 'usage_daily for user % on % matched % rows, expected 1',
                                OLD.user_id, log_day, changed
                                USING HINT = 'usage_daily drifted from chat_logs; repair it before retrying';
                        END IF;
                    END IF;
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    log_day := (NEW.created_at AT TIME ZONE 'UTC')::date;
                    INSERT INTO public.usage_daily AS d (user_id, day, requests, input_tokens, output_tokens, cost)
                    VALUES (NEW.user_id, log_day, 1, COALESCE(NEW.input_tokens, 0),
                            COALESCE(NEW.output_tokens, 0), COALESCE(NEW.cost, 0))
                    ON CONFLICT (user_id, day) DO UPDATE
                       SET requests = d.requests + 1,
                           input_tokens = d.input_tokens + EXCLUDED.input_tokens,
                           output_tokens = d.output_tokens + EXCLUDED.output_tokens,
                           cost = d.cost + EXCLUDED.cost
                    RETURNING d.cost INTO total;
                    GET DIAGNOSTICS changed = ROW_COUNT;
                    IF changed <> 1 THEN
                        RAISE EXCEPTION 'usage_daily for user % on % matched % rows, expected 1',
                            NEW.user_id, log_day, changed;
                    END IF;
                    IF COALESCE(NEW.cost, 0) > 0 THEN
                        SELECT t.daily_cost_limit INTO cost_limit
                          FROM public.usage_thresholds AS t
                         WHERE t.user_id = NEW.user_id;
                        -- Only the log that takes the total across the limit notifies.
                        IF cost_limit IS NOT NULL AND total > cost_limit AND total - NEW.cost <= cost_limit THEN
                            INSERT INTO public.cost_alerts (user_id, day, cost, daily_cost_limit)
                            VALUES (NEW.user_id, log_day, total, cost_limit)
                            RETURNING id INTO alert_id;
                            PERFORM pg_catalog.pg_notify(\(SQLText.literal(costAlertChannel)),
                                pg_catalog.json_build_object('alert_id', alert_id)::text);
                        END IF;
                    END IF;
                END IF;
                RETURN NULL;
            END
            """)

    static let trackTrigger = Trigger(
        "chat_logs_usage", on: QualifiedName("public", "chat_logs"), .after,
        [.insert, .delete, .update(of: ["user_id", "created_at", "input_tokens", "output_tokens", "cost"])],
        executing: track)

    static var repeatables: [RepeatableObject] {
        [
            track.repeatableObject(source: "ChatLogs.ChatLogsUsage", executableBy: []),
            trackTrigger.repeatableObject(source: "ChatLogs.ChatLogsUsage"),
        ]
    }
}
