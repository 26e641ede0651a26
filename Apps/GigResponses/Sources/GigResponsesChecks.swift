import InvariantsSchema

/// The module's invariants as queries (`invariants check`, the torture tests).
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
