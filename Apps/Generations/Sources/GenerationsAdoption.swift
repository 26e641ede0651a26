public import InvariantsSchema

/// Seed 002's app already has `generation_jobs`, `generations` and its INSERT-only trigger
/// `save_completed_generation_to_history` (every completed job became a new card holding its
/// URL as a plain string). Adoption takes the tables over in place:
/// - the missing columns (`source_generation_id`, `generation_id`, `started_at`,
///   `finished_at`), keys and checks are added online, as for seed 004;
/// - the app's trigger is recognised by what its function does (it inserts into
///   `generations`), not by its name, which is ours too: it and its function are dropped in
///   the transaction that installs ours, so a job completing meanwhile lands in exactly one card;
/// - the cards made before carry no job link: ``linkLegacyCards`` links each job to the one
///   card of its owner that holds its URL, and turns that URL into the `{url, job_id, edited,
///   at}` element new cards have. Where the history is ambiguous (the URL in no card, in
///   several, or shared by two jobs) the job stays unlinked — exempt, explicitly, as a job whose
///   card the user deleted is: the checker requires a job without a link to be in no card.
extension GenerationsModule {
    /// `generations` as a fresh database has it after every migration (the same-owner key's target).
    public static var generationsCurrent: Table {
        var table = generations
        table.constraints.append(.unique(GenerationsSameOwner.ownerKey))
        return table
    }

    /// `generation_jobs` after every migration: the input limits, the same-owner source key
    /// (instead of version 1's key on `source_generation_id` alone) and its index.
    public static var generationJobsCurrent: Table {
        var table = generationJobs
        table.constraints.removeAll { constraint in
            if case .foreignKey(let key) = constraint { key.columns == ["source_generation_id"] } else { false }
        }
        table.constraints.append(.foreignKey(GenerationsSameOwner.sourceKey))
        table.constraints += inputLimits.map { .check($0) }
        var index = GenerationsSameOwner.sourceIndex
        index.concurrently = false
        table.indexes.append(index)
        return table
    }

    /// The adoption of seed 002's tables at version 6.
    public static var adoption: Adoption {
        Adoption(
            module: "generations", version: 6, source: "Generations.GenerationsModule.adoption",
            tables: [
                AdoptedTable(generationsCurrent, expects: ["id", "user_id", "output_data"]),
                AdoptedTable(generationJobsCurrent, expects: ["id", "user_id", "category", "status", "image_url"],
                             supersedingTriggers: [SupersededTrigger(on: jobsName, writes: generationsName)]),
            ],
            backfills: [linkLegacyCards])
    }

    /// Jobs completed before adoption, linked to their card where the history allows (see the
    /// extension's documentation), 500 jobs a batch in id order, resumable.
    static var linkLegacyCards: Adoption.Step {
        let jobs = jobsName.sql, cards = generationsName.sql
        let fill = """
            WITH batch AS (
                SELECT j."id" FROM \(jobs) AS j
                WHERE :cursor IS NULL OR j."id" > CAST(:cursor AS uuid)
                ORDER BY j."id"
                LIMIT 500
            ), legacy AS (
                -- Completed without a card link: the app's trigger made a card holding the URL.
                SELECT j."id" AS job_id, j."user_id", j."image_url", j."category", j."updated_at",
                       (SELECT pg_catalog.array_agg(g."id") FROM \(cards) AS g
                        WHERE g."user_id" = j."user_id"
                          AND g."output_data" -> 'images' @> pg_catalog.jsonb_build_array(j."image_url")) AS holders
                FROM \(jobs) AS j
                JOIN batch AS b ON b."id" = j."id"
                WHERE j."status" = 'completed' AND j."generation_id" IS NULL AND j."image_url" IS NOT NULL
            ), linked AS (
                -- Unambiguous only: one card of the owner holds the URL, once, and no other
                -- unlinked job of the owner has that URL.
                SELECT l.job_id, l."image_url", l."category", l."updated_at", l.holders[1] AS card
                FROM legacy AS l
                WHERE pg_catalog.cardinality(l.holders) = 1
                  AND (SELECT pg_catalog.count(*)
                       FROM \(cards) AS g, pg_catalog.jsonb_array_elements(g."output_data" -> 'images') AS e (element)
                       WHERE g."id" = l.holders[1] AND e.element = pg_catalog.to_jsonb(l."image_url")) = 1
                  AND NOT EXISTS (SELECT FROM \(jobs) AS o
                                  WHERE o."user_id" = l."user_id" AND o."image_url" = l."image_url" AND o."id" <> l.job_id
                                    AND o."status" = 'completed' AND o."generation_id" IS NULL)
            ), elements AS (
                -- The plain URL becomes the element new cards have.
                UPDATE \(cards) AS g
                SET "output_data" = pg_catalog.jsonb_set(g."output_data", '{images}', (
                    SELECT pg_catalog.jsonb_agg(COALESCE((
                               SELECT pg_catalog.jsonb_build_object(
                                          'url', l."image_url", 'job_id', l.job_id, 'edited', l."category" = 'edit',
                                          'at', pg_catalog.to_char(l."updated_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                               FROM linked AS l
                               WHERE l.card = g."id" AND pg_catalog.to_jsonb(l."image_url") = x.element), x.element)
                           ORDER BY x.position)
                    FROM pg_catalog.jsonb_array_elements(g."output_data" -> 'images') WITH ORDINALITY AS x (element, position)))
                WHERE g."id" IN (SELECT l.card FROM linked AS l)
                RETURNING g."id"
            ), links AS (
                UPDATE \(jobs) AS j SET "generation_id" = l.card
                FROM linked AS l
                WHERE j."id" = l.job_id
                RETURNING 1
            )
            SELECT (SELECT b."id"::text FROM batch AS b ORDER BY b."id" DESC LIMIT 1) AS cursor,
                   (SELECT pg_catalog.count(*) FROM links) AS rows
            """
        return .init(.after, .batches, "link jobs completed before adoption to their cards, 500 per batch", statements: [fill], table: jobsName)
    }
}
