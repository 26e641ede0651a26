import InvariantsSchema

/// The analytics views of seeds 001 and 003, all `security_invoker` (the reader's RLS applies).
///
/// Seed 001 (`v_session_stats`, `v_cost_by_category`, `v_pipeline_funnel`) are the seed's text,
/// schema-qualified: readable by `service_role` only, like their tables. Their days are
/// `date_trunc('day', created_at)` in the reader's `TimeZone`, as in the seed.
///
/// Seed 003's analytics queries, as views over `chat_logs` readable by `service_role` (every
/// user) and by `authenticated` (RLS: the user's own logs):
/// - `v_chat_activity_by_user`: grouped by user (`user_id`, showing `display_name`). The seed's
///   query groups by `display_name` alone, so users who share a name (or have none) are merged
///   into one row; here they stay apart. Users without a profile are left out, as in the seed.
/// - `v_chat_popular_tools`: `avg_duration` averages `duration_ms` values that are JSON numbers;
///   the seed's `(tool->>'duration_ms')::float` fails the whole query on one non-numeric string.
/// - `v_chat_daily_costs`: days are UTC calendar days (as `usage_daily`); the seed's
///   `DATE(created_at)` follows the reader's `TimeZone` setting.
/// - `v_chat_most_expensive`: the 20 most expensive logs with a known cost (ties: newest id
///   first), read from `idx_chat_logs_cost`. The seed's `ORDER BY cost DESC` puts logs without
///   a cost (NULL) first.
///
/// On data without those differences (distinct display names, numeric durations, UTC sessions,
/// known distinct costs) each view returns exactly the seed query's rows; the tests check that.
enum SupportChatViews {
    static let source = "InvariantsCatalog.SupportChatViews"

    static func view(_ name: String, readers: [DatabaseRole], _ body: String) -> RepeatableObject {
        View(QualifiedName("public", name), readers: readers, query: body).repeatableObject(source: source)
    }

    static let sessionStats = view("v_session_stats", readers: [.serviceRole], """
        SELECT
            DATE_TRUNC('day', created_at) AS day,
            primary_category,
            channel,
            COUNT(*) AS total_sessions,
            COUNT(*) FILTER (WHERE status = 'resolved') AS resolved,
            COUNT(*) FILTER (WHERE status = 'escalated') AS escalated,
            AVG(first_response_time_ms) AS avg_first_response_ms,
            AVG(resolution_time_seconds) AS avg_resolution_sec,
            AVG(csat_score) AS avg_csat
        FROM public.chat_sessions
        GROUP BY 1, 2, 3
        """)

    static let costByCategory = view("v_cost_by_category", readers: [.serviceRole], """
        SELECT
            cs.primary_category,
            COUNT(DISTINCT cs.id) AS sessions,
            SUM(cm.cost_usd) AS total_cost,
            AVG(cm.cost_usd) AS avg_cost_per_message,
            SUM(cm.cost_usd) / NULLIF(COUNT(DISTINCT cs.id), 0) AS avg_cost_per_session
        FROM public.chat_sessions cs
        JOIN public.chat_messages cm ON cm.session_id = cs.session_id
        WHERE cm.role = 'assistant'
        GROUP BY 1
        """)

    static let pipelineFunnel = view("v_pipeline_funnel", readers: [.serviceRole], """
        SELECT
            cs.primary_category,
            COUNT(*) AS total,
            COUNT(*) FILTER (WHERE cs.eval_decision = 'send') AS auto_sent,
            COUNT(*) FILTER (WHERE cs.eval_decision = 'draft') AS drafted,
            COUNT(*) FILTER (WHERE cs.eval_decision = 'escalate') AS escalated,
            ROUND(
                COUNT(*) FILTER (WHERE cs.eval_decision = 'send') * 100.0 / NULLIF(COUNT(*), 0),
                1
            ) AS auto_send_rate
        FROM public.chat_sessions cs
        WHERE cs.created_at >= NOW() - INTERVAL '30 days'
        GROUP BY 1
        """)

    static let activityByUser = view("v_chat_activity_by_user", readers: [.authenticated, .serviceRole], """
        SELECT
            cl.user_id,
            p.display_name,
            COUNT(*) AS questions,
            SUM(cl.cost) AS total_cost,
            AVG(cl.input_tokens + cl.output_tokens) AS avg_tokens
        FROM public.chat_logs cl
        JOIN public.profiles p ON cl.user_id = p.id
        GROUP BY cl.user_id, p.display_name
        ORDER BY questions DESC, cl.user_id
        """)

    static let popularTools = view("v_chat_popular_tools", readers: [.authenticated, .serviceRole], """
        SELECT
            tool->>'name' AS tool_name,
            COUNT(*) AS usage_count,
            AVG(CASE WHEN jsonb_typeof(tool->'duration_ms') = 'number' THEN (tool->>'duration_ms')::float END) AS avg_duration
        FROM public.chat_logs,
             jsonb_array_elements(tools_used) AS tool
        GROUP BY tool_name
        ORDER BY usage_count DESC, tool_name
        """)

    static let dailyCosts = view("v_chat_daily_costs", readers: [.authenticated, .serviceRole], """
        SELECT
            (created_at AT TIME ZONE 'UTC')::date AS day,
            COUNT(*) AS requests,
            SUM(cost) AS daily_cost
        FROM public.chat_logs
        GROUP BY 1
        ORDER BY day DESC
        """)

    static let mostExpensive = view("v_chat_most_expensive", readers: [.authenticated, .serviceRole], """
        SELECT
            id,
            user_id,
            question,
            cost,
            input_tokens + output_tokens AS total_tokens,
            created_at
        FROM public.chat_logs
        WHERE cost IS NOT NULL
        ORDER BY cost DESC, id DESC
        LIMIT 20
        """)

    /// Seed 001's views (module support_chat).
    static var supportChatRepeatables: [RepeatableObject] { [sessionStats, costByCategory, pipelineFunnel] }

    /// Seed 003's views over chat_logs (module chat_logs).
    static var chatLogsRepeatables: [RepeatableObject] { [activityByUser, popularTools, dailyCosts, mostExpensive] }
}
