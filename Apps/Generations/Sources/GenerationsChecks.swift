import InvariantsSchema

/// The module's invariants as queries (`invariants check`, the torture tests).
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
