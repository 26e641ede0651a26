import InvariantsSchema

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
enum ChatLogsViews {
    static let source = "ChatLogs.ChatLogsViews"

    static func view(_ name: String, readers: [DatabaseRole], _ body: String) -> View {
        View(QualifiedName("public", name), readers: readers, query: body)
    }

    /// Seed 003's "most expensive queries" index (built concurrently: migration 2 of chat_logs).
    static let mostExpensiveIndex = Index(
        .descending("cost"), .descending("id"), where: "cost IS NOT NULL", concurrently: true, name: "idx_chat_logs_cost")

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

    static var repeatables: [RepeatableObject] {
        [activityByUser, popularTools, dailyCosts, mostExpensive].map { $0.repeatableObject(source: source) }
    }
}
