import InvariantsSchema

/// Seed 001's analytics views, `security_invoker` (the reader's RLS applies).
///
/// Seed 001 (`v_session_stats`, `v_cost_by_category`, `v_pipeline_funnel`) are the seed's text,
/// schema-qualified: readable by `service_role` only, like their tables. Their days are
/// `date_trunc('day', created_at)` in the reader's `TimeZone`, as in the seed.
///
enum SupportChatViews {
    static let source = "SupportChat.SupportChatViews"

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

    static var repeatables: [RepeatableObject] { [sessionStats, costByCategory, pipelineFunnel] }
}
