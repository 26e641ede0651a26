import InvariantsSchema

/// The module's invariants as queries (`invariants check`, the torture tests).
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
