import Forum
import Foundation
import Invariants
import PostgresNIO
import Testing

@Suite("Forum: counters")
struct ForumCounterTests {
    @Test("comment_count counts visible comments: insert, hide, show, delete, move")
    func commentCount() async throws {
        try await withForum { db in
            let alice = try await db.makeUser(), bob = try await db.makeUser()
            let first = try await db.createPost(title: "Hello", body: "first post", publish: true, as: alice)
            let second = try await db.createPost(title: "Again", body: "second post", publish: true, as: alice)
            #expect(first.commentCount == 0)

            let c1 = try await db.comment(on: first.id, body: "nice", as: bob)
            let c2 = try await db.comment(on: first.id, body: "agreed", as: alice)
            _ = try await db.comment(on: first.id, body: "me too", as: bob)
            #expect(try await db.post(first.id).commentCount == 3)

            try await db.setHidden(true, comment: c1, as: .user(bob))  // its author hides it
            #expect(try await db.post(first.id).commentCount == 2)
            try await db.setHidden(true, comment: c1, as: .service)  // hiding again changes nothing
            #expect(try await db.post(first.id).commentCount == 2)
            try await db.setHidden(false, comment: c1, as: .service)  // a moderator shows it again
            #expect(try await db.post(first.id).commentCount == 3)

            try await db.deleteComment(c2, as: alice)
            #expect(try await db.post(first.id).commentCount == 2)

            // The backend moves a comment to another post: both counters follow.
            try await db.execute("UPDATE public.comments SET post_id = \(second.id) WHERE id = \(c1)")
            #expect(try await db.post(first.id).commentCount == 1)
            #expect(try await db.post(second.id).commentCount == 1)
            #expect(try await db.drift() == 0)
        }
    }

    @Test("vote_score sums the votes; a second vote replaces the first; unvote takes it back")
    func voteScore() async throws {
        try await withForum { db in
            let author = try await db.makeUser()
            let post = try await db.createPost(title: "Vote on me", body: "", publish: true, as: author)
            var voters: [UUID] = []
            for _ in 0..<5 { voters.append(try await db.makeUser()) }
            for voter in voters.prefix(4) { try await db.vote(.up, on: post.id, as: voter) }
            try await db.vote(.down, on: post.id, as: voters[4])
            #expect(try await db.post(post.id).voteScore == 3)

            try await db.vote(.down, on: post.id, as: voters[0])  // changes their mind: +1 → -1
            #expect(try await db.post(post.id).voteScore == 1)
            try await db.vote(.down, on: post.id, as: voters[0])  // the same vote again: no change
            #expect(try await db.post(post.id).voteScore == 1)
            try await db.unvote(post.id, as: voters[4])
            #expect(try await db.post(post.id).voteScore == 2)

            let refused = await invariantsError { try await db.execute("INSERT INTO public.votes (post_id, user_id, value) VALUES (\(post.id), \(author), 2)") }
            #expect(refused?.kind == .checkViolation)
            #expect(try await db.drift() == 0)
        }
    }

    @Test("8 sessions commenting and voting at once: the counters are exact")
    func concurrentWriters() async throws {
        try await withForum { db in
            let author = try await db.makeUser()
            let post = try await db.createPost(title: "Busy", body: "", publish: true, as: author)
            var users: [UUID] = []
            for _ in 0..<8 { users.append(try await db.makeUser()) }
            let perUser = 10
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, user) in users.enumerated() {
                    group.addTask {
                        for n in 0..<perUser {
                            let comment = try await db.comment(on: post.id, body: "comment \(n)", as: user)
                            if n % 5 == 0 { try await db.setHidden(true, comment: comment, as: .user(user)) }
                            try await db.vote(index.isMultiple(of: 2) == (n % 3 == 0) ? .up : .down, on: post.id, as: user)
                        }
                        try await db.vote(index < 6 ? .up : .down, on: post.id, as: user)  // the last vote stands
                    }
                }
                try await group.waitForAll()
            }
            let stored = try await db.post(post.id)
            #expect(stored.commentCount == Int64(users.count * (perUser - perUser / 5)))  // 2 of 10 hidden each
            #expect(stored.voteScore == 6 - 2)
            #expect(try await db.drift() == 0)
        }
    }
}

@Suite("Forum: row-level security")
struct ForumSecurityTests {
    @Test("another user cannot read or edit your post; nobody writes its counters or hands it over")
    func ownerOnly() async throws {
        try await withForum { db in
            let alice = try await db.makeUser(), mallory = try await db.makeUser()
            let post = try await db.createPost(title: "Mine", body: "hands off", publish: true, as: alice)

            #expect(try await db.post(post.id, as: .user(mallory)) == nil)
            let edit = await invariantsError { _ = try await db.editPost(post.id, title: "pwned", body: "", as: mallory) }
            #expect(edit?.kind == .notFound)
            let write = await invariantsError {
                _ = try await db.call(as: .user(alice), "UPDATE public.posts SET vote_score = 1000 RETURNING id", returning: "id uuid")
            }
            #expect(write?.kind == .insufficientPrivilege)  // not even its author writes the counters
            let steal = await invariantsError {
                _ = try await db.call(as: .user(alice), "UPDATE public.posts SET user_id = ($1)[1]::uuid RETURNING id",
                                      arguments: [mallory.uuidString], returning: "id uuid")
            }
            #expect(steal?.kind == .insufficientPrivilege)  // nor hands it to someone else
            #expect(try await db.post(post.id).title == "Mine")

        }
    }

    @Test("anon reaches no forum table")
    func anonymous() async throws {
        try await withForum { db in
            let alice = try await db.makeUser()
            let post = try await db.createPost(title: "Public?", body: "no", publish: true, as: alice)
            _ = try await db.comment(on: post.id, body: "hi", as: alice)
            for table in ["posts", "comments", "votes", "summary_jobs"] {
                let error = await invariantsError {
                    _ = try await db.call(as: .anonymous, "SELECT count(*)::int FROM public.\(table)", returning: "n int")
                }
                #expect(error?.kind == .insufficientPrivilege, "anon read public.\(table)")
            }
        }
    }
}

@Suite("Forum: moderation and summaries")
struct ForumModerationTests {
    @Test("moderation moves only along declared transitions; authors cannot hide or restore")
    func moderation() async throws {
        try await withForum { db in
            let alice = try await db.makeUser()
            let draft = try await db.createPost(title: "Draft", body: "", as: alice)
            #expect(draft.status == .draft)

            let skip = await invariantsError { _ = try await db.moderate(draft.id, to: .hidden) }
            #expect(skip?.kind == .illegalTransition)
            #expect(skip?.projectCode == .illegalTransition)
            #expect(skip?.message.contains("draft -> hidden") == true)

            #expect(try await db.setStatus(of: draft.id, to: .published, as: alice).status == .published)
            let selfRestore = await invariantsError { _ = try await db.setStatus(of: draft.id, to: .hidden, as: alice) }
            #expect(selfRestore?.kind == .illegalTransition)  // only a moderator hides
            #expect(try await db.moderate(draft.id, to: .hidden).status == .hidden)
            let unhide = await invariantsError { _ = try await db.setStatus(of: draft.id, to: .published, as: alice) }
            #expect(unhide?.kind == .illegalTransition)  // nor restores it
            #expect(try await db.moderate(draft.id, to: .published).status == .published)
            #expect(try await db.setStatus(of: draft.id, to: .removed, as: alice).status == .removed)
            let back = await invariantsError { _ = try await db.moderate(draft.id, to: .published) }
            #expect(back?.kind == .illegalTransition)  // removed is terminal
            #expect(back?.message.contains("removed -> published") == true)
        }
    }

    @Test("a completed summary job lands in its post once, even completed twice or concurrently")
    func summaryOnce() async throws {
        try await withForum { db in
            let alice = try await db.makeUser()
            let post = try await db.createPost(title: "Long read", body: "…", publish: true, as: alice)
            let job = try await db.requestSummary(of: post.id, as: alice)

            #expect(try await db.completeSummaryJob(job, summary: "A long read, briefly.", tokens: 42))
            #expect(try await db.completeSummaryJob(job, summary: "A second delivery.", tokens: 42) == false)
            // Even a raw second completion (not through the client) appends nothing.
            try await db.execute("UPDATE public.summary_jobs SET status = 'completed', result = 'raw' WHERE id = \(job)")
            let stored = try await db.post(post.id)
            #expect(stored.summary == "A long read, briefly.")
            let items = try await db.scalar("SELECT jsonb_array_length(summaries -> 'items') FROM public.posts WHERE id = \(post.id)", as: Int.self)
            #expect(items == 1)
            #expect(try await db.scalar("SELECT summary_tokens FROM public.posts WHERE id = \(post.id)", as: Int64.self) == 42)

            // Eight workers deliver one new job at once: exactly one applies it.
            let next = try await db.requestSummary(of: post.id, as: alice)
            let applied = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<8 { group.addTask { try await db.completeSummaryJob(next, summary: "Newer summary \(n)", tokens: 1) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(applied == 1)
            #expect(try await db.scalar("SELECT jsonb_array_length(summaries -> 'items') FROM public.posts WHERE id = \(post.id)", as: Int.self) == 2)
            #expect(try await db.post(post.id).summary?.hasPrefix("Newer summary") == true)

            let failed = try await db.requestSummary(of: post.id, as: alice)
            try await db.execute("UPDATE public.summary_jobs SET status = 'failed' WHERE id = \(failed)")
            let late = await invariantsError { try await db.completeSummaryJob(failed, summary: "too late") }
            #expect(late?.kind == .illegalTransition)
            let empty = await invariantsError { try await db.completeSummaryJob(try await db.requestSummary(of: post.id, as: alice), summary: " ") }
            #expect(empty?.kind == .invalidInput)
            #expect(empty?.column == "result")
        }
    }

    @Test("a user cannot ask for a summary of another user's post")
    func summaryOfOthers() async throws {
        try await withForum { db in
            let alice = try await db.makeUser(), bob = try await db.makeUser()
            let post = try await db.createPost(title: "Alice's", body: "", publish: true, as: alice)
            let error = await invariantsError { _ = try await db.requestSummary(of: post.id, as: bob) }
            #expect(error?.kind == .foreignKeyViolation)
        }
    }

    @Test("updated_at is the server's; a new comment or vote does not make the post edited")
    func updatedAt() async throws {
        try await withForum { db in
            let alice = try await db.makeUser()
            let post = try await db.createPost(title: "T", body: "B", publish: true, as: alice)
            _ = try await db.comment(on: post.id, body: "c", as: alice)
            try await db.vote(.up, on: post.id, as: alice)
            #expect(try await db.post(post.id).updatedAt == post.updatedAt)
            let edited = try await db.editPost(post.id, title: "T2", body: "B", as: alice)
            #expect(edited.updatedAt > post.updatedAt)
        }
    }
}
