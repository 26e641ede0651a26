import InvariantsSchema

/// The module's invariants as queries (`invariants check`, the torture tests).
extension ChatLogsModule {
    static var checks: [InvariantCheck] {
        [
            InvariantCheck("usage_daily equals the sums of chat_logs per user and UTC day", """
                SELECT coalesce(d.user_id, l.user_id) AS user_id, coalesce(d.day, l.day) AS day
                FROM public.usage_daily AS d
                FULL JOIN (
                    SELECT user_id, (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS requests,
                           coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens,
                           coalesce(sum(cost), 0) AS cost
                    FROM public.chat_logs GROUP BY 1, 2
                ) AS l ON l.user_id = d.user_id AND l.day = d.day
                WHERE coalesce(d.requests, 0) <> coalesce(l.requests, 0)
                   OR coalesce(d.input_tokens, 0) <> coalesce(l.input_tokens, 0)
                   OR coalesce(d.output_tokens, 0) <> coalesce(l.output_tokens, 0)
                   OR coalesce(d.cost, 0) <> coalesce(l.cost, 0)
                """),
            InvariantCheck("saved_chats: a favorite of a log is the log owner's", """
                SELECT s.id FROM public.saved_chats AS s
                JOIN public.chat_logs AS l ON l.id = s.chat_log_id
                WHERE l.user_id <> s.user_id
                """),
        ]
    }
}
