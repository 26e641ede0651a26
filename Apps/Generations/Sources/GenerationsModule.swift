public import InvariantsSchema

/// Seed 002 (an image-generation app on Supabase): the history cards (`generations`) and the
/// jobs that produce them (`generation_jobs`). An edit's result joins the card it was edited
/// from, exactly once, and listeners are told — replacing the app's 3-second poller.
///
/// What the database enforces, whoever writes:
/// - a job's `status` moves only `pending → processing → completed | failed` (also
///   `pending → completed | failed`); `completed` and `failed` are terminal; an illegal move
///   raises IV001 naming both states (``jobStatus``). Entering `completed` needs `image_url`
///   (IV422, column `image_url`); timestamps `started_at` / `finished_at` are set by the database.
/// - `save_completed_generation_to_history` (``history``, an ``AppendToSource``): a job entering
///   `completed` appends `{url, job_id, edited, at}` to its source card's `output_data.images` and
///   adds `tokens_cost` to `tokens_used` in one statement; exactly once; same owner only;
///   otherwise a new card for the job's owner. The card is recorded in `generation_jobs.generation_id`.
/// - `source_generation_id` names a card of the job's own user (``GenerationsSameOwner``): the
///   key is `(user_id, source_generation_id) → generations (user_id, id)`, so another user's card
///   is refused exactly like an unknown id (23503, same constraint and message), and deleting a
///   card nulls only `source_generation_id` of its owner's jobs.
/// - the source id may come from `source_generation_id`, or — for the seed's edge functions,
///   which put it "in description or in product_images as metadata" — from
///   ``GenerationsHistory/legacySourceFunction``'s documented formats.
/// - a job reaching `completed` or `failed` notifies channel ``GenerationsHistory/channel`` with ids
///   only; `public.notification_queue_usage()` is the health check for the notify queue.
/// - owner RLS on both tables; users read their cards and jobs, delete their cards, and create
///   jobs (only `pending`, only the input columns); status, results and costs are the service's.
/// - `generation_tasks` is the seed poller's name: a `security_invoker` view over the jobs.
public enum GenerationsModule {
    public static var module: Module {
        Module("generations", dependsOn: ["core", "auth"], summary: "seed 002: generation jobs, history cards, edits appended to their source",
               migrations: [migration, inputLimitsMigration, validateInputLimitsMigration]
                   + GenerationsSameOwner.migrations,
               repeatables: repeatables, checks: checks,
               tables: [generationJobs, generations].map(\.qualifiedName),
               declaredTables: [generationJobs, generations], adoption: adoption)
    }

    public static var migration: Migration {
        Migration(
            module: "generations", version: 1, name: "generations", source: "Generations.GenerationsModule.migration",
            steps: generations.createSteps() + generationJobs.createSteps()
        )
    }

    /// Limits on what a user sends with a job: 1 MB descriptions and image lists were accepted.
    /// A description holds a prompt (10,000 characters); `product_images` a short list of image
    /// references (64 KiB as JSON text).
    static let inputLimits = [
        Check("char_length(description) <= 10000", name: "generation_jobs_description_length"),
        Check("octet_length(product_images::text) <= 65536", name: "generation_jobs_product_images_size"),
    ]

    /// The limits, `NOT VALID` (new rows only; existing ones are checked by the next migration).
    public static var inputLimitsMigration: Migration {
        Migration(
            module: "generations", version: 2, name: "job_input_limits",
            source: "Generations.GenerationsModule.inputLimitsMigration",
            steps: inputLimits.flatMap { generationJobs.addConstraintSteps(.check($0), notValid: true) })
    }

    /// `VALIDATE CONSTRAINT` of each limit (SHARE UPDATE EXCLUSIVE: writes go on).
    public static var validateInputLimitsMigration: Migration {
        Migration(
            module: "generations", version: 3, name: "validate_job_input_limits",
            source: "Generations.GenerationsModule.validateInputLimitsMigration",
            steps: inputLimits.flatMap { generationJobs.validateConstraintSteps($0.resolvedName(table: generationJobs.name)) })
    }

    public static var repeatables: [RepeatableObject] {
        jobStatus.repeatableObjects() + history.repeatableObjects() + GenerationsHistory.repeatables
            + UpdatedAt(generations).repeatableObjects() + UpdatedAt(generationJobs).repeatableObjects()
            // Cards: the owner reads and deletes them; only the trigger (definer) writes them.
            + RowLevelSecurity.owner(generations, delete: true).repeatableObjects()
            // Jobs: the owner reads them and may create one (pending, input columns only);
            // the service moves them along and records results and costs.
            + RowLevelSecurity.owner(
                generationJobs,
                insertColumns: ["user_id", "category", "source_generation_id", "description", "product_images"]
            ).repeatableObjects()
    }

    static let authUsers = QualifiedName("auth", "users")
    static let generationsName = QualifiedName("public", "generations")
    static let jobsName = QualifiedName("public", "generation_jobs")

    /// The job status machine.
    public static let jobStatus = StateMachine(
        table: jobsName, column: "status",
        // The seed's workers may also record a finished job in one insert.
        initial: ["pending", "processing", "completed", "failed"],
        transitions: [
            .init(from: ["pending"], to: "processing"),
            .init(from: ["pending", "processing"], to: "completed"),
            .init(from: ["pending", "processing"], to: "failed"),
        ],
        terminal: ["completed", "failed"],
        entering: [
            .init("processing", set: [.now("started_at")]),
            .init(
                "completed",
                when: .init(
                    "NEW.image_url IS NOT NULL AND pg_catalog.btrim(NEW.image_url) <> ''", "a completed job needs image_url",
                    code: .invalidInput, column: "image_url"),
                set: [.now("finished_at"), .null("error_message")]),
            .init("failed", set: [.now("finished_at")]),
        ],
        // A finished job's result is final: a second completion, a changed image or cost, a
        // cleared image_url are refused (the card keeps the first result, so the job must too).
        // generation_id and source_generation_id stay out: ON DELETE SET NULL writes them.
        finalColumns: ["image_url", "tokens_cost", "error_message", "started_at", "finished_at"])

    /// `save_completed_generation_to_history`: the completed job's image joins its source card.
    public static let history = AppendToSource(
        child: jobsName, stateColumn: "status", terminalState: "completed",
        sourceColumn: "source_generation_id",
        legacySource: "\(GenerationsHistory.legacySourceFunction.name.sql)(NEW.\"description\", NEW.\"product_images\")",
        appendWhen: "NEW.\"category\" = 'edit'",
        resultColumn: "generation_id", owner: "user_id", childCost: "tokens_cost",
        parent: generationsName, parentKey: "id", arrayColumn: "output_data", arrayKey: "images",
        parentTotal: "tokens_used",
        element: """
            pg_catalog.jsonb_build_object(
                'url', NEW."image_url", 'job_id', NEW."id", 'edited', NEW."category" = 'edit',
                'at', pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
            """,
        newParentValues: [
            .init("category", "NEW.\"category\""),
            .init("prompt", "NEW.\"description\""),
        ],
        triggerName: "save_completed_generation_to_history")

    /// `public.generations`: one history card; `output_data.images` holds its images.
    static let generations = Table(
        "public", "generations",
        comment: "Seed 002: a history card. output_data.images is an array of {url, job_id, edited, at}; edits of the card are appended to it by save_completed_generation_to_history."
    ) {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("user_id", .uuid, nullable: false, comment: "Owner and tenant key.")
        Column("category", .text, nullable: false, default: "'generation'")
        Column("prompt", .text)
        Column(
            "output_data", .jsonb, nullable: false, default: "'{\"images\": []}'::jsonb",
            comment: "A JSON object; images is an array of {url, job_id, edited, at} (older cards may hold plain URL strings).")
        Column("tokens_used", .bigint, nullable: false, default: "0", comment: "The card's cost: the original plus every edit.")
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        Column("updated_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["user_id"], references: authUsers, ["id"], onDelete: .cascade)
        // The append relies on this shape: images missing or an array, never a string.
        Check(
            "jsonb_typeof(output_data) = 'object' AND jsonb_typeof(COALESCE(output_data -> 'images', '[]'::jsonb)) = 'array'",
            columns: ["output_data"], name: "generations_output_data_images_array")
        Check("tokens_used >= 0", columns: ["tokens_used"])
        Index("user_id", .descending("created_at"))
    }

    /// `public.generation_jobs`: one generation or edit request and its outcome.
    static let generationJobs = Table(
        "public", "generation_jobs",
        comment: "Seed 002: a generation or edit job. status: pending -> processing -> completed | failed (terminal)."
    ) {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("user_id", .uuid, nullable: false, comment: "Owner and tenant key.")
        Column("category", .text, nullable: false, default: "'generation'", comment: "'edit' for an edit of a history card.")
        Column("status", .text, nullable: false, default: "'pending'")
        Column(
            "source_generation_id", .uuid,
            comment: "An edit's source card. Older callers may put it in description or product_images instead (see invariants.legacy_source_generation_id).")
        Column("description", .text)
        Column("product_images", .jsonb)
        Column("image_url", .text, comment: "The result; required to enter completed.")
        Column("tokens_cost", .bigint, nullable: false, default: "0")
        Column("error_message", .text)
        Column("generation_id", .uuid, comment: "The card the result landed in (set by save_completed_generation_to_history).")
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        Column("updated_at", .timestamptz, nullable: false, default: "now()")
        Column("started_at", .timestamptz)
        Column("finished_at", .timestamptz)
        PrimaryKey("id")
        ForeignKey(["user_id"], references: authUsers, ["id"], onDelete: .cascade)
        ForeignKey(["source_generation_id"], references: generationsName, ["id"], onDelete: .setNull)
        ForeignKey(["generation_id"], references: generationsName, ["id"], onDelete: .setNull)
        jobStatus.check
        Check("char_length(category) BETWEEN 1 AND 50", columns: ["category"])
        Check("tokens_cost >= 0", columns: ["tokens_cost"])
        Index("user_id", .descending("created_at"))
        Index("source_generation_id")
        Index("generation_id")
    }
}
