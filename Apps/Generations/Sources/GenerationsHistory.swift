import InvariantsSchema

/// Seed 002's stored logic besides the two kinds: the legacy source id, the notification, the
/// seed poller's `generation_tasks` view and the notify-queue health check.
///
/// **Legacy source id** (`invariants.legacy_source_generation_id(description, product_images)`),
/// used only when `source_generation_id` is NULL, first match wins:
/// 1. `description` containing `sourceGenerationId` (or `source_generation_id`), then `:` or `=`,
///    then the UUID, optionally quoted — e.g. `Edit: brighter [sourceGenerationId=6f1c…]` or a
///    JSON text `{"sourceGenerationId": "6f1c…"}`;
/// 2. `product_images` (jsonb): key `sourceGenerationId` (or `source_generation_id`) on the top
///    object, on an object element of a top array, or under `metadata` of either — e.g.
///    `[{"url": "…"}, {"sourceGenerationId": "6f1c…"}]` or `{"metadata": {"sourceGenerationId": "6f1c…"}}`.
/// Anything malformed gives NULL (never an error): the job then becomes a new card, nothing lost.
///
/// **Notification**: when a job enters `completed` or `failed`, `pg_notify('invariants_generations',
/// '{"job_id": …, "generation_id": …}')` — ids only, since any connection may LISTEN to any channel;
/// clients re-read under RLS. Sent at commit, never for a rolled-back change. A listener stuck in
/// an open transaction stops the queue from draining; when it is full every notifying commit fails.
/// Set `idle_in_transaction_session_timeout` (e.g. `'1min'`) for listener roles, and watch
/// `public.notification_queue_usage()` (0…1, service_role only).
public enum GenerationsHistory {
    /// The NOTIFY channel.
    public static let channel = "invariants_generations"

    static let uuidPattern = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"

    static let legacySourceFunction = StoredFunction(
        Schema.invariants("legacy_source_generation_id"),
        arguments: [.init("p_description", .text), .init("p_product_images", .jsonb)],
        returns: "uuid", volatility: .immutable,
        body: """
            DECLARE
                found text;
            BEGIN
                -- 1. description: sourceGenerationId (or source_generation_id), ':' or '=', the UUID.
                found := (pg_catalog.regexp_match(p_description,
                    '(?:sourceGenerationId|source_generation_id)["'']?\\s*[:=]\\s*["'']?'
                    || '(\(uuidPattern))'))[1];
                IF found IS NULL AND p_product_images IS NOT NULL THEN
                    -- 2. product_images: lax mode looks into a top-level array's elements too.
                    found := COALESCE(
                        pg_catalog.jsonb_path_query_first(p_product_images, 'lax $.sourceGenerationId'),
                        pg_catalog.jsonb_path_query_first(p_product_images, 'lax $.source_generation_id'),
                        pg_catalog.jsonb_path_query_first(p_product_images, 'lax $.metadata.sourceGenerationId'),
                        pg_catalog.jsonb_path_query_first(p_product_images, 'lax $.metadata.source_generation_id')
                    ) #>> '{}';
                    IF found !~ '^\(uuidPattern)$' THEN
                        found := NULL;
                    END IF;
                END IF;
                RETURN found::uuid;
            END
            """)

    static let notify = StoredFunction(
        Schema.invariants("generation_jobs_notify"), returns: "trigger",
        body: """
            BEGIN
                -- Ids only: any connection can LISTEN; clients re-read the rows under RLS.
                IF NEW.status IN ('completed', 'failed')
                   AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status) THEN
                    PERFORM pg_catalog.pg_notify(\(SQLText.literal(channel)),
                        pg_catalog.json_build_object('job_id', NEW.id, 'generation_id', NEW.generation_id)::text);
                END IF;
                RETURN NULL;
            END
            """)

    static let notifyTrigger = Trigger(
        "generation_jobs_notify", on: QualifiedName("public", "generation_jobs"), .after, [.insert, .update(of: ["status"])],
        executing: notify)

    /// `public.notification_queue_usage()`: the fraction of the notify queue in use (0…1).
    static let queueUsage = StoredFunction(
        QualifiedName("public", "notification_queue_usage"), returns: "double precision", language: "sql",
        volatility: .volatile, body: "SELECT pg_catalog.pg_notification_queue_usage()")

    /// The seed poller's `generation_tasks`, by task id = job id; security_invoker, so RLS applies.
    static let tasksView = View(
        QualifiedName("public", "generation_tasks"), readers: [.authenticated, .serviceRole], query: """
            SELECT j.id, j.user_id, j.category, j.status, j.image_url, j.error_message, j.tokens_cost,
                   j.source_generation_id, j.generation_id, j.created_at, j.updated_at
              FROM "public"."generation_jobs" AS j
        """)

    static var repeatables: [RepeatableObject] {
        let source = "Generations.GenerationsHistory"
        var notifyObject = notify.repeatableObject(source: source, executableBy: [])
        notifyObject.kind = .triggerFunction
        return [
            legacySourceFunction.repeatableObject(source: source, executableBy: []),
            notifyObject, notifyTrigger.repeatableObject(source: source),
            queueUsage.repeatableObject(source: source, executableBy: [.serviceRole]),
            tasksView.repeatableObject(source: source),
        ]
    }
}
