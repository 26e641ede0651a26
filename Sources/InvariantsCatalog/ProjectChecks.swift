import InvariantsSchema

extension ModelWorkRecordModule {
    static var checks: [InvariantCheck] {
        [
            InvariantCheck("model_statistics: a session's rows belong to the session's owner", """
                SELECT s.id FROM public.model_statistics AS s
                JOIN public.sessions AS x ON x.id = s.session_id
                WHERE x.user_id <> s.user_id
                """),
            InvariantCheck("model_statistics: counters are not negative", """
                SELECT id FROM public.model_statistics
                WHERE response_count < 0 OR total_brains < 0 OR dismissal_count < 0
                """),
        ]
    }
}

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

extension GigResponsesModule {
    static var checks: [InvariantCheck] {
        [
            counters.check,
            InvariantCheck("responses: no orphans (every gig response has its gig)", """
                SELECT r.id FROM public.responses AS r
                WHERE r.entity_type = 'gig'
                  AND NOT EXISTS (SELECT 1 FROM public.gigs AS g WHERE g.id = r.entity_id)
                """),
            InvariantCheck("responses: in their gig's workspace", """
                SELECT r.id FROM public.responses AS r
                JOIN public.gigs AS g ON g.id = r.entity_id AND r.entity_type = 'gig'
                WHERE g.workspace_id <> r.workspace_id
                """),
        ]
    }
}

extension GenerationsModule {
    static var checks: [InvariantCheck] {
        [
            InvariantCheck("generation_jobs: a completed job's result is in exactly one card, its owner's, once", """
                SELECT j.id FROM public.generation_jobs AS j
                LEFT JOIN public.generations AS g ON g.id = j.generation_id
                WHERE j.status = 'completed'
                  AND (g.id IS NULL OR g.user_id <> j.user_id
                       OR (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_array_elements(g.output_data -> 'images') AS e
                           WHERE jsonb_typeof(e) = 'object' AND e ->> 'job_id' = j.id::text) <> 1)
                """),
            InvariantCheck("generation_jobs: only a completed job has a result card", """
                SELECT id FROM public.generation_jobs WHERE status <> 'completed' AND generation_id IS NOT NULL
                """),
        ]
    }
}

extension SupportChatModule {
    static var checks: [InvariantCheck] {
        [
            messageCounters.check,
            InvariantCheck("chat_sessions: first_response_time_ms is the first assistant message's delay", """
                SELECT s.id FROM public.chat_sessions AS s
                WHERE (s.first_response_time_ms IS NULL) <> NOT EXISTS (
                    SELECT 1 FROM public.chat_messages AS m WHERE m.session_id = s.session_id AND m.role = 'assistant')
                """),
            InvariantCheck("learning_records: successes never exceed applications", """
                SELECT id FROM public.learning_records WHERE times_succeeded > times_applied OR times_applied < 0
                """),
            InvariantCheck("no orphans: messages, traces and tool executions belong to a session", """
                SELECT 'chat_messages' AS t, m.id::text FROM public.chat_messages AS m
                WHERE NOT EXISTS (SELECT 1 FROM public.chat_sessions AS s WHERE s.session_id = m.session_id)
                UNION ALL
                SELECT 'tool_executions', x.id::text FROM public.tool_executions AS x
                WHERE NOT EXISTS (SELECT 1 FROM public.chat_sessions AS s WHERE s.session_id = x.session_id)
                """),
        ]
    }
}
