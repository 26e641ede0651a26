public import Foundation
public import Invariants
import PostgresNIO

// The forum's typed client. The database enforces every rule (ForumModule); these methods only
// call it, as the signed-in user (`call(as:)`, one round trip each) or as the backend.

/// Where a post stands in moderation: `draft → published ⇄ hidden | locked`, anything `→ removed`.
public enum PostStatus: String, Sendable, Hashable, CaseIterable {
    case draft, published, hidden, locked, removed
}

/// One row of `posts`, as its author (or the backend) sees it.
public struct Post: Sendable, Hashable {
    public var id: UUID
    public var userID: UUID
    public var title: String
    public var body: String
    public var status: PostStatus
    /// Visible comments, kept by the database.
    public var commentCount: Int64
    /// The sum of the votes, kept by the database.
    public var voteScore: Int64
    /// The newest completed summary.
    public var summary: String?
    public var updatedAt: Date
}

/// A vote on a post.
public enum Vote: Int16, Sendable, Hashable {
    case up = 1
    case down = -1
}

extension InvariantsClient {
    static let postColumns = "id, user_id, title, body, status, comment_count, vote_score, summary, updated_at"
    static let postColumnTypes = """
        id uuid, user_id uuid, title text, body text, status text, comment_count bigint, vote_score bigint, summary text, \
        updated_at timestamptz
        """

    static func decodePost(_ row: PostgresRow) throws(InvariantsError) -> Post {
        do {
            let (id, userID, title, body, status, comments, score, summary, updatedAt) = try row.decode(
                (UUID, UUID, String, String, String, Int64, Int64, String?, Date).self)
            guard let status = PostStatus(rawValue: status) else { throw InvariantsError(.other, "unknown post status \(status)") }
            return Post(id: id, userID: userID, title: title, body: body, status: status, commentCount: comments,
                        voteScore: score, summary: summary, updatedAt: updatedAt)
        } catch let error as InvariantsError {
            throw error
        } catch {
            throw InvariantsError(error)
        }
    }

    /// One post statement as `context`: the post it returns, or `.notFound` when none (another
    /// user's post is invisible under row-level security, so it is "not found" too).
    func postCall(as context: UserContext, _ statement: String, _ arguments: [String], id: UUID?) async throws(InvariantsError) -> Post {
        let rows = try await call(as: context, statement + " RETURNING " + Self.postColumns, arguments: arguments,
                                  returning: Self.postColumnTypes)
        guard let row = rows.first else {
            throw InvariantsError(.notFound, "post \(id.map { "\($0)" } ?? "") not found", sqlState: "IV404", column: "id")
        }
        return try Self.decodePost(row)
    }

    /// Writes a post as `user` (a draft unless `publish`).
    public func createPost(title: String, body: String, publish: Bool = false, as user: UUID) async throws(InvariantsError) -> Post {
        try await postCall(
            as: .user(user),
            "INSERT INTO public.posts (user_id, title, body, status) VALUES (auth.uid(), ($1)[1], ($1)[2], ($1)[3])",
            [title, body, publish ? "published" : "draft"], id: nil)
    }

    /// The post, as `context` sees it; `nil` when it does not exist or is not theirs.
    public func post(_ id: UUID, as context: UserContext) async throws(InvariantsError) -> Post? {
        let rows = try await call(
            as: context, "SELECT \(Self.postColumns) FROM public.posts WHERE id = ($1)[1]::uuid", arguments: [id.uuidString],
            returning: Self.postColumnTypes)
        guard let row = rows.first else { return nil }
        return try Self.decodePost(row)
    }

    /// The author edits their post. - Throws: `.notFound` for another user's post.
    public func editPost(_ id: UUID, title: String, body: String, as user: UUID) async throws(InvariantsError) -> Post {
        try await postCall(
            as: .user(user), "UPDATE public.posts SET title = ($1)[2], body = ($1)[3] WHERE id = ($1)[1]::uuid",
            [id.uuidString, title, body], id: id)
    }

    /// The author publishes their draft (or removes their post, `.removed`).
    /// - Throws: `.illegalTransition` for a move the moderation does not allow an author.
    public func setStatus(of id: UUID, to status: PostStatus, as user: UUID) async throws(InvariantsError) -> Post {
        try await postCall(
            as: .user(user), "UPDATE public.posts SET status = ($1)[2] WHERE id = ($1)[1]::uuid",
            [id.uuidString, status.rawValue], id: id)
    }

    /// A moderator (the backend) hides, locks, restores or removes a post.
    /// - Throws: `.illegalTransition` naming both states for a move that is not declared.
    public func moderate(_ id: UUID, to status: PostStatus) async throws(InvariantsError) -> Post {
        try await postCall(
            as: .service, "UPDATE public.posts SET status = ($1)[2] WHERE id = ($1)[1]::uuid",
            [id.uuidString, status.rawValue], id: id)
    }

    /// Comments on a post as `user`; returns the comment's id.
    public func comment(on post: UUID, body: String, as user: UUID) async throws(InvariantsError) -> UUID {
        let rows = try await call(
            as: .user(user),
            "INSERT INTO public.comments (post_id, user_id, body) VALUES (($1)[1]::uuid, auth.uid(), ($1)[2]) RETURNING id",
            arguments: [post.uuidString, body], returning: "id uuid")
        return try Self.single(rows).decodeOrThrow(UUID.self)
    }

    /// Hides (or shows) a comment: its author as `.user(id)`, a moderator as `.service`.
    /// A hidden comment no longer counts in its post's `comment_count`.
    public func setHidden(_ hidden: Bool, comment id: UUID, as context: UserContext) async throws(InvariantsError) {
        let rows = try await call(
            as: context, "UPDATE public.comments SET hidden = ($1)[2]::boolean WHERE id = ($1)[1]::uuid RETURNING id",
            arguments: [id.uuidString, hidden ? "true" : "false"], returning: "id uuid")
        guard !rows.isEmpty else { throw InvariantsError(.notFound, "comment \(id) not found", sqlState: "IV404", column: "id") }
    }

    /// Deletes the user's comment.
    public func deleteComment(_ id: UUID, as user: UUID) async throws(InvariantsError) {
        let rows = try await call(
            as: .user(user), "DELETE FROM public.comments WHERE id = ($1)[1]::uuid RETURNING id",
            arguments: [id.uuidString], returning: "id uuid")
        guard !rows.isEmpty else { throw InvariantsError(.notFound, "comment \(id) not found", sqlState: "IV404", column: "id") }
    }

    /// Votes on a post as `user`; a second vote replaces the first (one vote per user and post).
    public func vote(_ vote: Vote, on post: UUID, as user: UUID) async throws(InvariantsError) {
        _ = try await call(
            as: .user(user),
            """
            INSERT INTO public.votes (post_id, user_id, value) VALUES (($1)[1]::uuid, auth.uid(), ($1)[2]::smallint)
            ON CONFLICT (post_id, user_id) DO UPDATE SET value = EXCLUDED.value RETURNING post_id
            """,
            arguments: [post.uuidString, String(vote.rawValue)], returning: "post_id uuid")
    }

    /// Takes the user's vote on a post back (nothing when there was none).
    public func unvote(_ post: UUID, as user: UUID) async throws(InvariantsError) {
        _ = try await call(
            as: .user(user), "DELETE FROM public.votes WHERE post_id = ($1)[1]::uuid AND user_id = auth.uid() RETURNING post_id",
            arguments: [post.uuidString], returning: "post_id uuid")
    }

    /// The post's author asks for a summary; returns the job's id (`pending`).
    /// - Throws: `.foreignKeyViolation` for a post that is not the user's.
    public func requestSummary(of post: UUID, as user: UUID) async throws(InvariantsError) -> UUID {
        let rows = try await call(
            as: .user(user), "INSERT INTO public.summary_jobs (post_id, user_id) VALUES (($1)[1]::uuid, auth.uid()) RETURNING id",
            arguments: [post.uuidString], returning: "id uuid")
        return try Self.single(rows).decodeOrThrow(UUID.self)
    }

    /// The worker's call (as the backend): the job completed with `summary`, which becomes the
    /// post's summary in the same statement. Returns `false` when the job had already completed
    /// (a retried delivery): nothing is written twice.
    /// - Throws: `.illegalTransition` for a failed job, `.invalidInput` (column `result`) for an
    ///   empty summary, `.notFound` for an unknown job.
    @discardableResult
    public func completeSummaryJob(_ id: UUID, summary: String, tokens: Int64 = 0) async throws(InvariantsError) -> Bool {
        let rows = try await call(
            as: .service,
            """
            WITH job AS (SELECT status FROM public.summary_jobs WHERE id = ($1)[1]::uuid),
                 done AS (UPDATE public.summary_jobs SET status = 'completed', result = ($1)[2], tokens = ($1)[3]::bigint
                          WHERE id = ($1)[1]::uuid AND status <> 'completed' RETURNING id)
            SELECT (SELECT count(*) FROM done) = 1, (SELECT status FROM job)
            """,
            arguments: [id.uuidString, summary, String(tokens)], returning: "applied boolean, previous text")
        let (applied, previous) = try Self.single(rows).decodeOrThrow((Bool, String?).self)
        guard previous != nil else { throw InvariantsError(.notFound, "summary job \(id) not found", sqlState: "IV404", column: "id") }
        return applied
    }
}

extension PostgresRow {
    /// `decode`, failing with an ``InvariantsError``.
    func decodeOrThrow<T: PostgresDecodable>(_ type: T.Type) throws(InvariantsError) -> T {
        do { return try decode(T.self) } catch { throw InvariantsError(error) }
    }

    func decodeOrThrow<A: PostgresDecodable, B: PostgresDecodable>(_ type: (A, B).Type) throws(InvariantsError) -> (A, B) {
        do { return try decode((A, B).self) } catch { throw InvariantsError(error) }
    }
}
