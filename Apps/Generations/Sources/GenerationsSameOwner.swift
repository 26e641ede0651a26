public import InvariantsSchema

/// Issue 16, finding 9: a job's source card is one of the job's own user's cards.
///
/// Release 0.3 keyed `source_generation_id → generations (id)`: a job of user B could name A's
/// card, which told B the card exists (an unknown id is refused, A's was accepted) and B's open
/// transaction held a `FOR KEY SHARE` lock on A's row, so A's `DELETE` of the card waited for
/// B. The key is now `(user_id, source_generation_id) → generations (user_id, id)`: the lookup
/// matches no row for another user's card, so it is refused exactly as an unknown id is (23503,
/// the same constraint, the same message) and locks nothing of A's. `ON DELETE SET NULL
/// (source_generation_id)` (PostgreSQL 15) clears only the source column: the owner stays.
///
/// Three migrations, none of them blocking writers for long:
/// 4. the two indexes, built concurrently: `UNIQUE (user_id, id)` on `generations` (the key's
///    target) and `(user_id, source_generation_id)` on `generation_jobs` (for the cascade).
/// 5. existing cross-user references are cleared (with a NOTICE naming how many), the unique
///    index becomes a constraint, the old key is dropped and the new one added `NOT VALID`.
/// 6. `VALIDATE CONSTRAINT` (SHARE UPDATE EXCLUSIVE: writes go on).
public enum GenerationsSameOwner {
    static let generations = GenerationsModule.generations
    static let jobs = GenerationsModule.generationJobs

    /// The key's target on `generations`.
    static let ownerKey = Unique("user_id", "id")
    static let ownerKeyIndex = Index("user_id", "id", unique: true, concurrently: true, name: ownerKey.resolvedName(table: "generations"))
    /// The index the new key's cascade (and `invariants lint`'s foreign-key rule) needs.
    static let sourceIndex = Index("user_id", "source_generation_id", concurrently: true)
    static let oldKey = "generation_jobs_source_generation_id_fkey"
    static let sourceKey = ForeignKey(
        ["user_id", "source_generation_id"], references: GenerationsModule.generationsName, ["user_id", "id"],
        onDelete: .setNull(columns: ["source_generation_id"]))

    /// Migrations 4, 5 and 6 of `generations`.
    public static var migrations: [Migration] { [indexesMigration, keyMigration, validateMigration] }

    /// The key's indexes, concurrently (a migration of its own: its steps run outside a transaction).
    public static var indexesMigration: Migration {
        Migration(
            module: "generations", version: 4, name: "same_owner_source_indexes",
            source: "Generations.GenerationsSameOwner.indexesMigration",
            steps: generations.createIndexSteps(ownerKeyIndex) + jobs.createIndexSteps(sourceIndex))
    }

    /// Existing cross-user references are cleared, not refused: they never had an effect (the
    /// history trigger appends to the job's own user's cards only; such a job became a new
    /// card), the fixed schema says they mean "no source", and refusing would let any user
    /// block every upgrade with one job naming someone else's card. The NOTICE says how many.
    /// The new key is added first, so no new such row can appear while they are cleared.
    static let clearCrossUserSources = MigrationStep("""
        DO $clear$
        DECLARE
            cleared bigint;
        BEGIN
            UPDATE "public"."generation_jobs" AS j SET "source_generation_id" = NULL
              FROM "public"."generations" AS g
             WHERE g."id" = j."source_generation_id" AND g."user_id" <> j."user_id";
            GET DIAGNOSTICS cleared = ROW_COUNT;
            IF cleared > 0 THEN
                RAISE NOTICE 'generations: cleared source_generation_id of % job(s) that named another user''s card', cleared;
            END IF;
        END
        $clear$
        """)

    /// The unique index becomes `generations_user_id_id_key`; the old key goes, the new one comes `NOT VALID`.
    public static var keyMigration: Migration {
        Migration(
            module: "generations", version: 5, name: "same_owner_source_key",
            source: "Generations.GenerationsSameOwner.keyMigration",
            steps: [MigrationStep("""
                ALTER TABLE \(generations.qualifiedName.sql)
                    ADD CONSTRAINT \(SQLText.identifier(ownerKey.resolvedName(table: "generations"))) UNIQUE USING INDEX \
                \(SQLText.identifier(ownerKeyIndex.resolvedName(table: "generations")))
                """)]
                + jobs.dropConstraintSteps(oldKey)
                + jobs.addConstraintSteps(.foreignKey(sourceKey), notValid: true)
                + [clearCrossUserSources])
    }

    /// `VALIDATE CONSTRAINT` of the new key: migration 5 cleared every row it could refuse.
    public static var validateMigration: Migration {
        Migration(
            module: "generations", version: 6, name: "validate_same_owner_source_key",
            source: "Generations.GenerationsSameOwner.validateMigration",
            steps: jobs.validateConstraintSteps(sourceKey.resolvedName(table: "generation_jobs")))
    }
}
