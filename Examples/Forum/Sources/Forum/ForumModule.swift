public import InvariantsSchema

/// A small forum: users write posts, comment on them and vote on them; moderators hide and lock
/// posts; a worker writes each post's summary.
///
/// What the database enforces, whoever writes:
/// - `posts.comment_count` counts the post's visible comments (`hidden = false`) and
///   `posts.vote_score` sums its votes (`+1` / `-1`, one vote per user and post): two
///   ``CounterCache``s, exact on insert, delete, hide, a move to another post, and under
///   concurrent writers.
/// - `posts.status` moves only `draft → published ⇄ hidden | locked`, and anything `→ removed`
///   (terminal); hiding, locking and restoring a post is for moderators (the backend), not for
///   its author. An illegal move raises IV001 naming both states (``moderation``).
/// - a summary job entering `completed` appends its result to the post's summaries exactly once
///   (``summaryToPost``, an ``AppendToSource``); `posts.summary` is the newest one.
/// - `updated_at` on posts and comments is the server's clock (``UpdatedAt``); counters and
///   summaries landing do not count as an edit.
/// - owner row-level security on posts, comments, votes and summary jobs: a user reads and
///   edits their own rows only, `anon` reaches nothing.
public enum ForumModule {
    public static var module: Module {
        Module("forum", dependsOn: ["core", "auth"], summary: "posts, comments, votes, moderation, summaries",
               migrations: [migration], repeatables: repeatables, counters: [commentCount, voteScore])
    }

    static let authUsers = QualifiedName("auth", "users")

    public static let posts = Table("public", "posts", comment: "A forum post; its counters and summary are kept by the database.") {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("user_id", .uuid, nullable: false, comment: "The author.")
        Column("title", .text, nullable: false)
        Column("body", .text, nullable: false, default: "''")
        Column("status", .text, nullable: false, default: "'draft'")
        Column("comment_count", .bigint, nullable: false, default: "0", comment: "Visible comments; kept by the database.")
        Column("vote_score", .bigint, nullable: false, default: "0", comment: "The sum of the votes; kept by the database.")
        Column("summaries", .jsonb, nullable: false, default: "'{\"items\": []}'::jsonb",
               comment: "Every completed summary job's {job_id, text, at}, oldest first.")
        Column("summary", .text, generatedAs: "summaries -> 'items' -> -1 ->> 'text'", comment: "The newest summary.")
        Column("summary_tokens", .bigint, nullable: false, default: "0", comment: "Tokens spent on summaries.")
        Column("published_at", .timestamptz)
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        Column("updated_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["user_id"], references: authUsers, ["id"], onDelete: .cascade)
        // Target of summary_jobs' (post_id, user_id) key: a job belongs to its post's author.
        Unique("id", "user_id")
        moderation.check
        Check("char_length(btrim(title)) BETWEEN 1 AND 300", columns: ["title"])
        Check("comment_count >= 0", columns: ["comment_count"])
        Index("user_id", .descending("created_at"))
    }

    public static let comments = Table("public", "comments", comment: "A comment on a post; hidden comments are not counted.") {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("post_id", .uuid, nullable: false)
        Column("user_id", .uuid, nullable: false, comment: "The author.")
        Column("body", .text, nullable: false)
        Column("hidden", .boolean, nullable: false, default: "false")
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        Column("updated_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["post_id"], references: posts.qualifiedName, ["id"], onDelete: .cascade)
        ForeignKey(["user_id"], references: authUsers, ["id"], onDelete: .cascade)
        Check("char_length(btrim(body)) BETWEEN 1 AND 10000", columns: ["body"])
        Index("post_id")
        Index("user_id")
    }

    public static let votes = Table("public", "votes", comment: "One user's vote on one post: +1 or -1.") {
        Column("post_id", .uuid, nullable: false)
        Column("user_id", .uuid, nullable: false)
        Column("value", .smallint, nullable: false)
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("post_id", "user_id")
        ForeignKey(["post_id"], references: posts.qualifiedName, ["id"], onDelete: .cascade)
        ForeignKey(["user_id"], references: authUsers, ["id"], onDelete: .cascade)
        Check("value IN (-1, 1)", columns: ["value"])
        Index("user_id")
    }

    public static let summaryJobs = Table("public", "summary_jobs", comment: "A request to summarize a post: pending -> completed | failed.") {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("post_id", .uuid, nullable: false)
        Column("user_id", .uuid, nullable: false, comment: "The post's author, who asked.")
        Column("status", .text, nullable: false, default: "'pending'")
        Column("result", .text, comment: "The summary; required to enter completed.")
        Column("tokens", .bigint, nullable: false, default: "0")
        Column("applied_to", .uuid, comment: "The post the result landed in (set by the database).")
        Column("finished_at", .timestamptz)
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["post_id", "user_id"], references: posts.qualifiedName, ["id", "user_id"], onDelete: .cascade)
        jobStatus.check
        Check("tokens >= 0", columns: ["tokens"])
        Index("post_id", "user_id")
        Index("user_id")
    }

    /// Who may hide, lock or restore a post: not a signed-in user (the backend and moderators
    /// act as `service_role`).
    static let moderatorsOnly = StateMachine.Guard(
        "\"auth\".\"role\"() IS DISTINCT FROM 'authenticated'", "only a moderator may hide, lock or restore a post")

    /// The moderation of a post.
    public static let moderation = StateMachine(
        table: QualifiedName("public", "posts"), column: "status",
        initial: ["draft", "published"],
        transitions: [
            .init(from: ["draft"], to: "published"),
            .init(from: ["published"], to: "hidden", when: moderatorsOnly),
            .init(from: ["published"], to: "locked", when: moderatorsOnly),
            .init(from: ["hidden", "locked"], to: "published", when: moderatorsOnly),
            .init(from: ["draft", "published", "hidden", "locked"], to: "removed"),
        ],
        terminal: ["removed"],
        entering: [.init("published", set: [.init("published_at", "COALESCE(NEW.published_at, pg_catalog.now())")])])

    /// A summary job's life.
    public static let jobStatus = StateMachine(
        table: QualifiedName("public", "summary_jobs"), column: "status",
        initial: ["pending"],
        transitions: [.init(from: ["pending"], to: "completed"), .init(from: ["pending"], to: "failed")],
        terminal: ["completed", "failed"],
        entering: [
            .init("completed",
                  when: .init("NEW.result IS NOT NULL AND pg_catalog.btrim(NEW.result) <> ''", "a completed job needs its result",
                              code: .invalidInput, column: "result"),
                  set: [.now("finished_at")]),
            .init("failed", set: [.now("finished_at")]),
        ])

    /// A completed job's result joins its post's summaries, exactly once.
    public static let summaryToPost = AppendToSource(
        child: summaryJobs.qualifiedName, terminalState: "completed", sourceColumn: "post_id",
        resultColumn: "applied_to", childCost: "tokens",
        parent: posts.qualifiedName, arrayColumn: "summaries", arrayKey: "items", parentTotal: "summary_tokens",
        element: """
            pg_catalog.jsonb_build_object(
                'job_id', NEW."id", 'text', NEW."result",
                'at', pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
            """,
        triggerName: "save_summary_to_post")

    /// `posts.comment_count`: the post's comments that are not hidden.
    public static let commentCount = CounterCache(
        name: "post_comments", parent: posts, child: comments, link: .foreignKey("post_id"),
        counters: [.count("comment_count", where: .init("hidden", in: ["false"]))])

    /// `posts.vote_score`: the sum of the post's votes.
    public static let voteScore = CounterCache(
        name: "post_votes", parent: posts, child: votes, link: .foreignKey("post_id"),
        counters: [.sum("value", into: "vote_score")])

    public static var migration: Migration {
        Migration(
            module: "forum", version: 1, name: "forum", source: "Forum.ForumModule.migration",
            steps: posts.createSteps() + comments.createSteps() + votes.createSteps() + summaryJobs.createSteps()
                + commentCount.migrationSteps() + voteScore.migrationSteps())
    }

    public static var repeatables: [RepeatableObject] {
        [
            moderation.repeatableObjects(), jobStatus.repeatableObjects(), summaryToPost.repeatableObjects(),
            commentCount.repeatableObjects(), voteScore.repeatableObjects(),
            UpdatedAt(posts, ignoring: ["comment_count", "vote_score", "summaries", "summary_tokens"]).repeatableObjects(),
            UpdatedAt(comments).repeatableObjects(),
            // Authors write their posts (not the counters, not the summary) and may delete them.
            RowLevelSecurity.owner(posts, insertColumns: ["id", "user_id", "title", "body", "status"],
                                   updateColumns: ["title", "body", "status"], delete: true).repeatableObjects(),
            RowLevelSecurity.owner(comments, insertColumns: ["id", "post_id", "user_id", "body"],
                                   updateColumns: ["body", "hidden"], delete: true).repeatableObjects(),
            RowLevelSecurity.owner(votes, insertColumns: ["post_id", "user_id", "value"], updateColumns: ["value"],
                                   delete: true).repeatableObjects(),
            // Authors ask for a summary; the worker (the backend) completes the job.
            RowLevelSecurity.owner(summaryJobs, insertColumns: ["id", "post_id", "user_id"]).repeatableObjects(),
        ].flatMap { $0 }
    }
}

/// The forum's catalog: the framework's `core` and `auth`, and `forum`, the default module.
public enum ForumCatalog {
    public static let catalog: Catalog = {
        do throws(SchemaError) {
            return try Catalog(modules: [CoreModule.module, AuthModule.module, ForumModule.module], defaultModules: ["forum"])
        } catch {
            fatalError("the forum's catalog is invalid: \(error.message)")
        }
    }()
}
