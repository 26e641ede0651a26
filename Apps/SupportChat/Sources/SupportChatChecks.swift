import InvariantsSchema

/// The module's invariants as queries (`invariants check`, the torture tests).
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
