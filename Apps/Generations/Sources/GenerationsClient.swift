public import Foundation
import PostgresNIO
import InvariantsSchema
public import Invariants

// Seed 002's typed client: generation jobs, history cards with their images, waiting for an
// edit without a poller, and a stream of the user's card updates. The database enforces every
// rule (Generations.GenerationsModule); these methods only call it.

/// A job's status: `pending → processing → completed | failed`; the last two are terminal.
public enum GenerationJobStatus: String, Sendable, Hashable, CaseIterable {
    case pending, processing, completed, failed
}

/// One row of `generation_jobs`.
public struct GenerationJob: Sendable, Hashable {
    public var id: UUID
    public var userID: UUID
    public var category: String
    public var status: GenerationJobStatus
    public var sourceGenerationID: UUID?
    /// The card the result landed in (the source for an edit, else a new card); set on completion.
    public var generationID: UUID?
    public var imageURL: String?
    public var tokensCost: Int64
    public var errorMessage: String?
    public var createdAt: Date
    public var updatedAt: Date
}

/// One image of a card. Older cards may hold plain URL strings: those decode with `edited == false`.
public struct GenerationImage: Sendable, Hashable {
    public var url: String
    /// The job that produced it, when recorded.
    public var jobID: UUID?
    /// An edit's result (the app's "Ред." badge).
    public var edited: Bool
    public var at: Date?
}

/// One history card (`generations`) with its images in order.
public struct Generation: Sendable, Hashable {
    public var id: UUID
    public var userID: UUID
    public var category: String
    public var prompt: String?
    public var images: [GenerationImage]
    /// The original's cost plus every edit's.
    public var tokensUsed: Int64
    public var createdAt: Date
    public var updatedAt: Date
}

/// A job to create. `productImagesJSON` is stored as `jsonb`; an edit names its source card in
/// `sourceGenerationID` (older callers may instead put `sourceGenerationId=<uuid>` in the
/// description or `{"sourceGenerationId": "<uuid>"}` in product images).
public struct NewGenerationJob: Sendable, Hashable {
    public var userID: UUID
    public var category: String
    public var sourceGenerationID: UUID?
    public var description: String?
    public var productImagesJSON: String?

    public init(
        userID: UUID, category: String = "generation", sourceGenerationID: UUID? = nil,
        description: String? = nil, productImagesJSON: String? = nil
    ) {
        self.userID = userID
        self.category = category
        self.sourceGenerationID = sourceGenerationID
        self.description = description
        self.productImagesJSON = productImagesJSON
    }

    /// An edit of the card `source`.
    public static func edit(of source: UUID, for userID: UUID, description: String? = nil) -> NewGenerationJob {
        NewGenerationJob(userID: userID, category: "edit", sourceGenerationID: source, description: description)
    }
}

/// How a client learns that a job finished: a setting, not something detected.
///
/// Use ``polling(every:)`` behind a transaction-mode pooler (PgBouncer, Supabase's port 6543):
/// there LISTEN is accepted and notifications are silently lost.
public enum GenerationDelivery: Sendable, Hashable {
    /// LISTEN on a dedicated connection (needs a direct or session-mode connection).
    case listen
    /// Re-read every `interval`.
    case polling(every: Duration)

    /// Polling every 3 seconds, as the seed's app did.
    public static let poll = GenerationDelivery.polling(every: .seconds(3))
}

/// Why ``InvariantsClient/awaitEdit(job:as:timeout:delivery:)`` returned no card.
public enum AwaitEditError: Error, Sendable {
    /// The job failed; `reason` is its `error_message`.
    case failed(reason: String)
    /// The job did not finish in time (it may still finish later).
    case timedOut
    /// A database error: the job or its card is not visible to the user (`.notFound`), the
    /// connection failed…
    case database(InvariantsError)
}

/// A notification on ``channel``: ids only (any connection may listen); re-read the rows under RLS.
public struct GenerationNotification: Sendable, Hashable, Decodable {
    /// The NOTIFY channel (`GenerationsHistory.channel` in the catalog).
    public static let channel = "invariants_generations"

    public var jobID: UUID
    /// The card the result landed in; `nil` for a failed job.
    public var generationID: UUID?

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case generationID = "generation_id"
    }

    /// Decodes a payload; `nil` when it is not a generation notification.
    public init?(payload: String) {
        guard let value = try? JSONDecoder().decode(GenerationNotification.self, from: Data(payload.utf8)) else { return nil }
        self = value
    }
}

extension InvariantsClient {
    static let jobColumns = """
        id, user_id, category, status, source_generation_id, generation_id, image_url, tokens_cost, error_message, created_at, updated_at
        """

    static func decodeJob(_ row: PostgresRow) throws -> GenerationJob {
        let (id, userID, category, status, source, generation, url, cost, error, createdAt, updatedAt) = try row.decode(
            (UUID, UUID, String, String, UUID?, UUID?, String?, Int64, String?, Date, Date).self)
        guard let state = GenerationJobStatus(rawValue: status) else {
            throw InvariantsError(.other, "unknown job status \(status)")
        }
        return GenerationJob(
            id: id, userID: userID, category: category, status: state, sourceGenerationID: source, generationID: generation,
            imageURL: url, tokensCost: cost, errorMessage: error, createdAt: createdAt, updatedAt: updatedAt)
    }

    static func decodeGeneration(_ row: PostgresRow) throws -> Generation {
        let (id, userID, category, prompt, images, tokens, createdAt, updatedAt) = try row.decode(
            (UUID, UUID, String, String?, String, Int64, Date, Date).self)
        return Generation(
            id: id, userID: userID, category: category, prompt: prompt, images: Self.decodeImages(images),
            tokensUsed: tokens, createdAt: createdAt, updatedAt: updatedAt)
    }

    static let generationColumns =
        "id, user_id, category, prompt, COALESCE(output_data -> 'images', '[]'::jsonb)::text, tokens_used, created_at, updated_at"

    /// `output_data.images` as text → images; strings are plain URLs, objects `{url, job_id, edited, at}`.
    static func decodeImages(_ json: String) -> [GenerationImage] {
        guard let array = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any] else { return [] }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return array.compactMap { element in
            if let url = element as? String { return GenerationImage(url: url, jobID: nil, edited: false, at: nil) }
            guard let object = element as? [String: Any], let url = object["url"] as? String else { return nil }
            return GenerationImage(
                url: url, jobID: (object["job_id"] as? String).flatMap(UUID.init(uuidString:)),
                edited: object["edited"] as? Bool ?? false, at: (object["at"] as? String).flatMap(iso.date(from:)))
        }
    }

    /// Creates a job (`pending`); returns its id (the seed's task id). As a user, RLS makes it the
    /// user's own; as `.service`, any user's.
    ///
    /// - Throws: `.invalidInput` (column `product_images`) for text that is not JSON,
    ///   `.foreignKeyViolation` for a source card that does not exist, `.insufficientPrivilege`
    ///   or an RLS violation for a job owned by someone else.
    public func createGenerationJob(_ job: NewGenerationJob, as user: UserContext) async throws(InvariantsError) -> UUID {
        if let json = job.productImagesJSON,
           (try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])) == nil {
            throw InvariantsError(.invalidInput, "product_images is not valid JSON", sqlState: "IV422", column: "product_images")
        }
        let logger = self.logger
        return try await run(as: user) { conn in
            let rows = try await conn.query(
                """
                INSERT INTO public.generation_jobs (user_id, category, source_generation_id, description, product_images)
                VALUES (\(job.userID)::uuid, \(job.category)::text, \(job.sourceGenerationID)::uuid, \(job.description)::text,
                        \(job.productImagesJSON)::jsonb)
                RETURNING id
                """, logger: logger)
            return try await Self.single(rows, as: UUID.self)
        }
    }

    /// The worker's call: the job starts (`pending → processing`), as `service_role`.
    ///
    /// - Throws: `.notFound` for an unknown job, `.illegalTransition` when it is not pending.
    @discardableResult
    public func markGenerationJobProcessing(_ id: UUID) async throws(InvariantsError) -> GenerationJob {
        try await updateJob(id, to: .processing, set: "status = 'processing'")
    }

    /// The worker's call: the job completed with `imageURL` costing `tokensCost`, as `service_role`.
    /// The result joins its card in the same transaction (see `save_completed_generation_to_history`).
    ///
    /// - Throws: `.illegalTransition` when the job is already completed or failed (nothing is
    ///   appended twice), `.invalidInput` (column `image_url`) for an empty URL,
    ///   `.checkViolation` for a negative cost, `.notFound` for an unknown job.
    @discardableResult
    public func completeGenerationJob(_ id: UUID, imageURL: String, tokensCost: Int64) async throws(InvariantsError) -> GenerationJob {
        try await updateJob(
            id, to: .completed, set: "status = 'completed', image_url = $2, tokens_cost = $3::bigint",
            binds: [imageURL, String(tokensCost)])
    }

    /// The worker's call: the job failed with `reason`, as `service_role`.
    ///
    /// - Throws: `.illegalTransition` when the job already finished, `.notFound` for an unknown job.
    @discardableResult
    public func failGenerationJob(_ id: UUID, reason: String) async throws(InvariantsError) -> GenerationJob {
        try await updateJob(id, to: .failed, set: "status = 'failed', error_message = $2", binds: [reason])
    }

    /// Moves a job to `target`. A job already in `target` is refused like any illegal transition
    /// (a repeated completion must not overwrite the recorded result).
    private func updateJob(_ id: UUID, to target: GenerationJobStatus, set: String, binds: [String] = []) async throws(InvariantsError) -> GenerationJob {
        let logger = self.logger
        return try await run(as: .service) { conn in
            var bindings = PostgresBindings()
            bindings.append(id)
            for bind in binds { bindings.append(bind) }
            let rows = try await conn.query(PostgresQuery(
                unsafeSQL: """
                    UPDATE public.generation_jobs SET \(set)
                    WHERE id = $1 AND status <> \("'" + target.rawValue + "'") RETURNING \(Self.jobColumns)
                    """,
                binds: bindings), logger: logger).collect()
            if let row = rows.first { return try Self.decodeJob(row) }
            let current = try await conn.query(
                "SELECT status FROM public.generation_jobs WHERE id = \(id)", logger: logger).collect().first
            guard let current else {
                throw InvariantsError(.notFound, "generation job \(id) not found", sqlState: "IV404", column: "id")
            }
            let state = try current.decode(String.self)
            throw InvariantsError(
                .illegalTransition, "illegal transition of generation_jobs.status: \(state) -> \(target.rawValue)",
                sqlState: ProjectErrorCode.illegalTransition.rawValue, column: "status")
        }
    }

    /// A job as `user` sees it (RLS).
    ///
    /// - Throws: `.notFound` for a missing job or another user's.
    public func generationJob(_ id: UUID, as user: UserContext) async throws(InvariantsError) -> GenerationJob {
        let logger = self.logger
        return try await run(as: user) { conn in
            let rows = try await conn.query(
                PostgresQuery(unsafeSQL: "SELECT \(Self.jobColumns) FROM public.generation_jobs WHERE id = $1",
                              binds: { var b = PostgresBindings(); b.append(id); return b }()),
                logger: logger).collect()
            guard let row = rows.first else {
                throw InvariantsError(.notFound, "generation job \(id) not found", sqlState: "IV404", column: "id")
            }
            return try Self.decodeJob(row)
        }
    }

    /// A card with its images, as `user` sees it (RLS).
    ///
    /// - Throws: `.notFound` for a missing card or another user's.
    public func generation(_ id: UUID, as user: UserContext) async throws(InvariantsError) -> Generation {
        guard let generation = try await generationIfVisible(id, as: user) else {
            throw InvariantsError(.notFound, "generation \(id) not found", sqlState: "IV404", column: "id")
        }
        return generation
    }

    func generationIfVisible(_ id: UUID, as user: UserContext) async throws(InvariantsError) -> Generation? {
        let logger = self.logger
        return try await run(as: user) { conn in
            let rows = try await conn.query(
                PostgresQuery(unsafeSQL: "SELECT \(Self.generationColumns) FROM public.generations WHERE id = $1",
                              binds: { var b = PostgresBindings(); b.append(id); return b }()),
                logger: logger).collect()
            return try rows.first.map(Self.decodeGeneration)
        }
    }

    /// The user's cards, newest first.
    public func generations(as user: UserContext, limit: Int = 50) async throws(InvariantsError) -> [Generation] {
        let logger = self.logger
        return try await run(as: user) { conn in
            let rows = try await conn.query(
                PostgresQuery(unsafeSQL: "SELECT \(Self.generationColumns) FROM public.generations ORDER BY created_at DESC, id LIMIT $1",
                              binds: { var b = PostgresBindings(); b.append(Int64(limit)); return b }()),
                logger: logger).collect()
            return try rows.map(Self.decodeGeneration)
        }
    }

    /// The notify queue's usage, 0…1 (`pg_notification_queue_usage()`), as `service_role`: the
    /// health check. Near 1, a listener is stuck in a transaction and notifying commits will fail.
    public func notificationQueueUsage() async throws(InvariantsError) -> Double {
        let logger = self.logger
        return try await run(as: .service) { conn in
            try await Self.single(try await conn.query("SELECT public.notification_queue_usage()", logger: logger), as: Double.self)
        }
    }

    /// Waits for job `job` to finish and returns the card its result landed in, read under the
    /// user's RLS (for an edit: the source card, now with the new image).
    ///
    /// With ``GenerationDelivery/listen`` it LISTENs on a dedicated connection and checks the job
    /// right after LISTEN is active, so a completion that committed before is not missed; each
    /// notification for the job re-reads it. With ``GenerationDelivery/polling(every:)`` it re-reads
    /// the job every interval.
    ///
    /// - Throws: ``AwaitEditError/failed(reason:)`` when the job fails, ``AwaitEditError/timedOut``
    ///   after `timeout` (default 5 minutes, as the seed's poller), ``AwaitEditError/database(_:)``
    ///   otherwise (`.notFound` for a job the user cannot see).
    public func awaitEdit(
        job: UUID, as user: UserContext, timeout: Duration = .seconds(300), delivery: GenerationDelivery = .listen
    ) async throws(AwaitEditError) -> Generation {
        do {
            switch delivery {
            case .listen:
                let connection = try await Self.openConnection(url: url, logger: logger)
                do {
                    let result = try await connection.listen(on: GenerationNotification.channel) { notifications -> Generation in
                        // LISTEN is active now: anything that committed before is visible to this read.
                        if let done = try await self.finishedEdit(job, as: user) { return done }
                        return try await Self.race(timeout: timeout) { () async throws -> Generation in
                            for try await notification in notifications {
                                guard GenerationNotification(payload: notification.payload)?.jobID == job else { continue }
                                if let done = try await self.finishedEdit(job, as: user) { return done }
                            }
                            throw InvariantsError(.connectionLost, "the notification connection closed")
                        }
                    }
                    try? await connection.close()
                    return result
                } catch {
                    try? await connection.close()
                    throw error
                }
            case .polling(let interval):
                return try await Self.race(timeout: timeout) { () async throws -> Generation in
                    while true {
                        if let done = try await self.finishedEdit(job, as: user) { return done }
                        try await Task.sleep(for: interval)
                    }
                }
            }
        } catch let error as AwaitEditError {
            throw error
        } catch let error as InvariantsError {
            throw .database(error)
        } catch {
            throw .database(InvariantsError(error))
        }
    }

    /// The card when the job completed, `nil` while it runs; throws `failed` when it failed.
    private func finishedEdit(_ job: UUID, as user: UserContext) async throws -> Generation? {
        let current = try await generationJob(job, as: user)
        switch current.status {
        case .pending, .processing:
            return nil
        case .failed:
            throw AwaitEditError.failed(reason: current.errorMessage ?? "failed")
        case .completed:
            guard let card = current.generationID else {
                throw InvariantsError(.notFound, "the card of job \(job) was deleted", sqlState: "IV404", column: "generation_id")
            }
            return try await generation(card, as: user)
        }
    }

    /// `work`, or ``AwaitEditError/timedOut`` after `timeout`, whichever comes first.
    private static func race<T: Sendable>(timeout: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw AwaitEditError.timedOut
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw AwaitEditError.timedOut }
            return first
        }
    }

    /// Updates of the user's cards (an image appended, a new card), each re-read under the user's
    /// RLS. It is active when this returns: with ``GenerationDelivery/listen`` LISTEN has started;
    /// with polling, the baseline was read. Notifications for other users' cards are skipped (they
    /// are not visible). Ends with an error when the connection fails; cancel the iterating task
    /// (or drop the stream) to stop it and close its connection.
    public func generationUpdates(
        as user: UserContext, delivery: GenerationDelivery = .listen
    ) async throws(InvariantsError) -> AsyncThrowingStream<Generation, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Generation, any Error>.makeStream()
        let (ready, readyContinuation) = AsyncStream<Result<Void, InvariantsError>>.makeStream()
        let task = Task {
            do {
                switch delivery {
                case .listen:
                    let connection = try await Self.openConnection(url: self.url, logger: self.logger)
                    do {
                        try await connection.listen(on: GenerationNotification.channel) { notifications in
                            readyContinuation.yield(.success(()))
                            for try await notification in notifications {
                                guard let card = GenerationNotification(payload: notification.payload)?.generationID else { continue }
                                if let generation = try await self.generationIfVisible(card, as: user) {
                                    continuation.yield(generation)
                                }
                            }
                        }
                    } catch {
                        try? await connection.close()
                        throw error
                    }
                    try? await connection.close()
                case .polling(let interval):
                    try await self.pollGenerations(as: user, every: interval, ready: readyContinuation, into: continuation)
                }
                continuation.finish()
            } catch {
                let mapped = error as? InvariantsError ?? InvariantsError(error)
                readyContinuation.yield(.failure(mapped))
                continuation.finish(throwing: Task.isCancelled ? nil : mapped)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        for await started in ready {
            if case .failure(let error) = started { throw error }
            break
        }
        return stream
    }

    private func pollGenerations(
        as user: UserContext, every interval: Duration,
        ready: AsyncStream<Result<Void, InvariantsError>>.Continuation,
        into continuation: AsyncThrowingStream<Generation, any Error>.Continuation
    ) async throws {
        // updated_at is the writer's transaction start: look back a window and remember what was seen.
        var seen: [UUID: Date] = [:]
        var first = true
        while !Task.isCancelled {
            let logger = self.logger
            let recent = try await run(as: user) { conn in
                try await conn.query(
                    PostgresQuery(unsafeSQL: """
                        SELECT \(Self.generationColumns) FROM public.generations
                        WHERE updated_at > now() - interval '10 minutes' ORDER BY updated_at, id
                        """), logger: logger).collect().map(Self.decodeGeneration)
            }
            for generation in recent where seen[generation.id] != generation.updatedAt {
                seen[generation.id] = generation.updatedAt
                if !first { continuation.yield(generation) }
            }
            if first {
                ready.yield(.success(()))
                first = false
            }
            try await Task.sleep(for: interval)
        }
    }
}
