import InvariantsSchema

/// The module's invariants as queries (`invariants check`, the torture tests).
extension GenerationsModule {
    static var checks: [InvariantCheck] {
        [
            // A job without a link (its card deleted by its owner, or completed before adoption
            // where the history named no single card) must be in no card.
            InvariantCheck("generation_jobs: a completed job's result is in its linked card once, the owner's, and in no other card", """
                SELECT j.id FROM public.generation_jobs AS j
                LEFT JOIN public.generations AS g ON g.id = j.generation_id
                WHERE j.status = 'completed'
                  AND ((j.generation_id IS NOT NULL AND g.user_id <> j.user_id)
                       OR (SELECT pg_catalog.count(*) FROM public.generations AS c, pg_catalog.jsonb_array_elements(c.output_data -> 'images') AS e
                           WHERE jsonb_typeof(e) = 'object' AND e ->> 'job_id' = j.id::text
                             AND c.id IS NOT DISTINCT FROM j.generation_id) <> CASE WHEN j.generation_id IS NULL THEN 0 ELSE 1 END
                       OR EXISTS (SELECT FROM public.generations AS c, pg_catalog.jsonb_array_elements(c.output_data -> 'images') AS e
                                  WHERE c.id IS DISTINCT FROM j.generation_id AND c.user_id = j.user_id
                                    AND jsonb_typeof(e) = 'object' AND e ->> 'job_id' = j.id::text))
                """),
            InvariantCheck("generation_jobs: only a completed job has a result card", """
                SELECT id FROM public.generation_jobs WHERE status <> 'completed' AND generation_id IS NOT NULL
                """),
        ]
    }
}
