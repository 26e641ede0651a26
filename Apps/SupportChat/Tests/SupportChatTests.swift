import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import Testing
import SeedAppsTesting
import SupportChat

@Suite("Seed 001: counters and derived fields, also under concurrent writers")
struct SupportChatCounterTests {
    @Test("counters follow inserts, multi-row inserts, role changes, moves and deletes")
    func countersFollowEveryWrite() async throws {
        try await withSupportChat { f in
            try await f.open("sess_a")
            try await f.open("sess_b")
            for role in [ChatRole.user, .assistant, .system, .tool, .user, .assistant] {
                try await f.client.addChatMessage(NewChatMessage(sessionID: "sess_a", role: role, content: "hi"))
            }
            var c = try await f.counters("sess_a")
            #expect(c.stored == [6, 2, 2])
            // One statement, two sessions.
            try await f.sql("""
                INSERT INTO public.chat_messages (session_id, role, content)
                SELECT (ARRAY['sess_a', 'sess_b'])[1 + g % 2], (ARRAY['user', 'assistant', 'tool'])[1 + g % 3], 'bulk'
                FROM generate_series(1, 30) g
                """)
            // A role change, a move, deletes.
            try await f.sql("UPDATE public.chat_messages SET role = 'assistant' WHERE session_id = 'sess_a' AND role = 'system'")
            try await f.sql("UPDATE public.chat_messages SET session_id = 'sess_b' WHERE id IN (SELECT id FROM public.chat_messages WHERE session_id = 'sess_a' AND role = 'user' LIMIT 3)")
            try await f.sql("DELETE FROM public.chat_messages WHERE session_id = 'sess_b' AND role = 'tool'")
            for session in ["sess_a", "sess_b"] {
                c = try await f.counters(session)
                #expect(c.stored.map(Int64.init) == c.actual, "\(session)")
            }
            #expect(try await f.count("SELECT count(*) FROM invariants.chat_session_messages_drift") == 0)
        }
    }

    @Test("concurrent writers on the same sessions keep every counter exact")
    func concurrentWriters() async throws {
        try await withSupportChat { f in
            let sessions = ["sess_1", "sess_2", "sess_3"]
            for s in sessions { try await f.open(s) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for i in 0..<12 {
                            let session = sessions[(writer + i) % sessions.count]
                            let role = ChatRole.allCases[(writer * 7 + i) % ChatRole.allCases.count]
                            if i % 4 == 3 {
                                // A multi-row statement across every session (locks them in key order).
                                try await f.sql("""
                                    INSERT INTO public.chat_messages (session_id, role, content)
                                    VALUES ('sess_3', 'user', 'x'), ('sess_1', 'assistant', 'y'), ('sess_2', 'user', 'z')
                                    """)
                            } else if i % 5 == 4 {
                                try await f.sql("DELETE FROM public.chat_messages WHERE id = (SELECT id FROM public.chat_messages WHERE session_id = '\(session)' ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)")
                            } else {
                                try await f.client.addChatMessage(NewChatMessage(sessionID: session, role: role, content: "m\(i)"))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            var total: Int64 = 0
            for s in sessions {
                let c = try await f.counters(s)
                #expect(c.stored.map(Int64.init) == c.actual, "\(s)")
                total += c.actual[0]
            }
            #expect(total > 80)
        }
    }

    @Test("first_response_time_ms: set once, by the first assistant message, even when several race")
    func firstResponse() async throws {
        try await withSupportChat { f in
            try await f.open("sess_fr")
            try await f.sql("UPDATE public.chat_sessions SET created_at = now() - interval '2 seconds' WHERE session_id = 'sess_fr'")
            try await f.client.addChatMessage(NewChatMessage(sessionID: "sess_fr", role: .user, content: "help"))
            try await f.client.addChatMessage(NewChatMessage(sessionID: "sess_fr", role: .system, content: "prompt"))
            #expect(try await f.client.chatSession("sess_fr").firstResponseTimeMs == nil)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        try await f.client.addChatMessage(NewChatMessage(sessionID: "sess_fr", role: .assistant, content: "answer \(i)"))
                    }
                }
                try await group.waitForAll()
            }
            let session = try await f.client.chatSession("sess_fr")
            let first = try #require(session.firstResponseTimeMs)
            #expect(first >= 2000 && first < 60_000)
            // It is one of the assistant messages' delays.
            #expect(try await f.count("""
                SELECT count(*) FROM public.chat_messages m JOIN public.chat_sessions s USING (session_id)
                WHERE m.role = 'assistant' AND s.session_id = 'sess_fr'
                  AND round(date_part('epoch', m.created_at - s.created_at) * 1000)::integer = s.first_response_time_ms
                """) >= 1)
            // Later assistant messages do not move it; nobody can.
            try await f.client.addChatMessage(NewChatMessage(sessionID: "sess_fr", role: .assistant, content: "later"))
            #expect(try await f.client.chatSession("sess_fr").firstResponseTimeMs == first)
            let error = await #expect(throws: InvariantsError.self) {
                try await f.sql("UPDATE public.chat_sessions SET first_response_time_ms = 1 WHERE session_id = 'sess_fr'")
            }
            #expect(error?.kind == .conflict)
            #expect(error?.column == "first_response_time_ms")
            #expect(try await f.client.chatSession("sess_fr").firstResponseTimeMs == first)
            // A first answer 30 days later does not overflow the seed's integer: it is capped.
            try await f.open("sess_late")
            try await f.sql("UPDATE public.chat_sessions SET created_at = now() - interval '30 days' WHERE session_id = 'sess_late'")
            try await f.client.addChatMessage(NewChatMessage(sessionID: "sess_late", role: .assistant, content: "sorry for the wait"))
            #expect(try await f.client.chatSession("sess_late").firstResponseTimeMs == Int(Int32.max))
        }
    }

    @Test("updated_at moves on a change and is the database's")
    func updatedAt() async throws {
        try await withSupportChat { f in
            let opened = try await f.open("sess_u")
            try await Task.sleep(for: .milliseconds(20))
            let rated = try await f.client.rateChatSession("sess_u", score: 5, comment: "great")
            #expect(rated.updatedAt > opened.updatedAt)
            // A client-sent value is ignored (the row is otherwise unchanged: no bump either).
            try await f.sql("UPDATE public.chat_sessions SET updated_at = '2000-01-01' WHERE session_id = 'sess_u'")
            #expect(try await f.client.chatSession("sess_u").updatedAt == rated.updatedAt)
            // Derived columns do not bump it: a message changes only the counters.
            try await f.client.addChatMessage(NewChatMessage(sessionID: "sess_u", role: .assistant, content: "thanks"))
            let after = try await f.client.chatSession("sess_u")
            #expect(after.totalMessages == 1 && after.firstResponseTimeMs != nil)
            #expect(after.updatedAt == rated.updatedAt)
            // A status change does.
            #expect(try await f.client.changeChatSessionStatus("sess_u", to: .resolved).updatedAt > rated.updatedAt)
        }
    }

    @Test("learning records: concurrent applications lose nothing; success_rate is derived")
    func learningRecords() async throws {
        try await withSupportChat { f in
            let id = try await f.client.createLearningRecord(NewLearningRecord(
                agentName: "support", learningType: .pattern, learnedPattern: "offer a pause before a cancel",
                confidence: Decimal(string: "0.80")))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<10 {
                    group.addTask {
                        for i in 0..<15 { try await f.client.applyLearningRecord(id, success: (worker + i) % 3 != 0) }
                    }
                }
                try await group.waitForAll()
            }
            let succeeded = (0..<10).flatMap { w in (0..<15).map { (w + $0) % 3 != 0 } }.filter { $0 }.count
            let last = try await f.client.applyLearningRecord(id, success: true)
            #expect(last.timesApplied == 151)
            #expect(last.timesSucceeded == succeeded + 1)
            let expected = Decimal(string: String(format: "%.2f", Double(succeeded + 1) / 151))
            #expect(last.successRate == expected)
            // The rate cannot be written; the counts cannot disagree.
            await #expect(throws: InvariantsError.self) {
                try await f.sql("UPDATE public.learning_records SET success_rate = 0.5 WHERE id = '\(id)'")
            }
            let bad = await #expect(throws: InvariantsError.self) {
                try await f.sql("UPDATE public.learning_records SET times_succeeded = times_applied + 1 WHERE id = '\(id)'")
            }
            #expect(bad?.constraint == "learning_records_counts_valid")
            // Only active records are applied.
            try await f.client.setLearningRecordStatus(id, .deprecated)
            let conflict = await #expect(throws: InvariantsError.self) { try await f.client.applyLearningRecord(id, success: true) }
            #expect(conflict?.kind == .conflict)
            #expect(try await f.count("SELECT times_applied::bigint FROM public.learning_records WHERE id = '\(id)'") == 151)
            let missing = await #expect(throws: InvariantsError.self) { try await f.client.applyLearningRecord(UUID(), success: true) }
            #expect(missing?.kind == .notFound)
        }
    }
}

@Suite("Seed 001: session and tool execution state machines, approval gating")
struct SupportChatTransitionTests {
    static let sessionStates: [ChatSessionStatus] = [.active, .escalated, .resolved, .closed]
    /// The documented machine, written out independently of the declaration.
    static let legalSession: Set<String> = [
        "active>escalated", "active>resolved", "active>closed",
        "escalated>active", "escalated>resolved", "escalated>closed",
        "resolved>active", "resolved>closed",
    ]
    /// A legal path from `active` to each state.
    static let path: [ChatSessionStatus: [ChatSessionStatus]] = [
        .active: [], .escalated: [.escalated], .resolved: [.resolved], .closed: [.closed],
    ]

    @Test("every session transition: legal ones succeed, illegal ones name both states and change nothing")
    func everySessionTransition() async throws {
        try await withSupportChat { f in
            var n = 0
            for from in Self.sessionStates {
                for to in Self.sessionStates where to != from {
                    n += 1
                    let id = "sess_t\(n)"
                    try await f.open(id)
                    for step in Self.path[from]! { try await f.client.changeChatSessionStatus(id, to: step) }
                    let before = try await f.client.chatSession(id)
                    if Self.legalSession.contains("\(from.rawValue)>\(to.rawValue)") {
                        let after = try await f.client.changeChatSessionStatus(id, to: to)
                        #expect(after.status == to)
                        // Resolution is set on resolving, kept on closing a resolved session, cleared on reopening.
                        let resolution = to == .resolved || (from == .resolved && to == .closed)
                        #expect((after.resolvedAt != nil) == resolution, "\(from) -> \(to)")
                        #expect((after.resolutionTimeSeconds != nil) == resolution, "\(from) -> \(to)")
                    } else {
                        let error = await #expect(throws: InvariantsError.self, "\(from) -> \(to)") {
                            try await f.client.changeChatSessionStatus(id, to: to)
                        }
                        #expect(error?.kind == .illegalTransition)
                        #expect(error?.column == "status")
                        #expect(error?.message.contains("\(from.rawValue) -> \(to.rawValue)") == true, "\(error?.message ?? "")")
                        #expect(try await f.client.chatSession(id) == before)
                    }
                }
            }
            #expect(n == 12)
            // Sessions start active only.
            for state in ["escalated", "resolved", "closed"] {
                let error = await #expect(throws: InvariantsError.self) {
                    try await f.sql("INSERT INTO public.chat_sessions (session_id, status) VALUES ('sess_init_\(state)', '\(state)')")
                }
                #expect(error?.kind == .illegalTransition)
            }
        }
    }

    @Test("resolving sets resolved_at and resolution_time_seconds; reopening clears them; no direct write")
    func resolution() async throws {
        try await withSupportChat { f in
            try await f.open("sess_r")
            try await f.sql("UPDATE public.chat_sessions SET created_at = now() - interval '90 seconds' WHERE session_id = 'sess_r'")
            let resolved = try await f.client.changeChatSessionStatus("sess_r", to: .resolved)
            let seconds = try #require(resolved.resolutionTimeSeconds)
            #expect(seconds >= 90 && seconds < 200)
            #expect(resolved.resolvedAt != nil)
            let reopened = try await f.client.changeChatSessionStatus("sess_r", to: .active)
            #expect(reopened.resolvedAt == nil && reopened.resolutionTimeSeconds == nil)
            let error = await #expect(throws: InvariantsError.self) {
                try await f.sql("UPDATE public.chat_sessions SET resolved_at = now(), resolution_time_seconds = 1 WHERE session_id = 'sess_r'")
            }
            #expect(error?.constraint == "chat_sessions_resolution_valid")
            let escalated = try await f.client.changeChatSessionStatus("sess_r", to: .escalated, escalationReason: "refund > $100", assignedTo: "agent_17")
            #expect(escalated.escalationReason == "refund > $100" && escalated.assignedTo == "agent_17")
        }
    }

    /// (from, to) → legal, for status; approval handled below.
    static let legalTool: Set<String> = ["pending>executing", "executing>completed", "pending>failed", "executing>failed"]
    static let toolPath: [ToolExecutionStatus: [ToolExecutionStatus]] = [
        .pending: [], .executing: [.executing], .completed: [.executing, .completed], .failed: [.failed],
    ]

    func move(_ f: SupportChatFixture, _ id: UUID, to state: ToolExecutionStatus) async throws(InvariantsError) {
        switch state {
        case .pending: try await f.sql("UPDATE public.tool_executions SET status = 'pending' WHERE id = '\(id)'")
        case .executing: try await f.client.startToolExecution(id)
        case .completed: try await f.client.completeToolExecution(id, outputJSON: #"{"ok": true}"#, durationMs: 12)
        case .failed: try await f.client.failToolExecution(id, error: "timeout")
        }
    }

    @Test("every tool execution transition (no approval needed)")
    func everyToolTransition() async throws {
        try await withSupportChat { f in
            try await f.open("sess_tools")
            for from in ToolExecutionStatus.allCases {
                for to in ToolExecutionStatus.allCases where to != from {
                    let tool = try await f.client.requestToolExecution(sessionID: "sess_tools", toolName: "track_package")
                    #expect(tool.approvalStatus == nil && tool.status == .pending)
                    for step in Self.toolPath[from]! { try await move(f, tool.id, to: step) }
                    if Self.legalTool.contains("\(from.rawValue)>\(to.rawValue)") {
                        try await move(f, tool.id, to: to)
                        #expect(try await f.count("SELECT count(*) FROM public.tool_executions WHERE id = '\(tool.id)' AND status = '\(to.rawValue)'") == 1)
                    } else {
                        let error = await #expect(throws: InvariantsError.self, "\(from) -> \(to)") { try await move(f, tool.id, to: to) }
                        #expect(error?.kind == .illegalTransition)
                        #expect(error?.column == "status")
                        #expect(error?.message.contains("\(from.rawValue) -> \(to.rawValue)") == true)
                        #expect(try await f.count("SELECT count(*) FROM public.tool_executions WHERE id = '\(tool.id)' AND status = '\(from.rawValue)'") == 1)
                    }
                }
            }
            let error = await #expect(throws: InvariantsError.self) {
                try await f.sql("INSERT INTO public.tool_executions (session_id, tool_name, status) VALUES ('sess_tools', 'x', 'executing')")
            }
            #expect(error?.kind == .illegalTransition)
        }
    }

    @Test("approval gating: no execution before approval; pending -> approved | rejected sets approved_at; decisions are final")
    func approvalGating() async throws {
        try await withSupportChat { f in
            try await f.open("sess_hitl")
            let tool = try await f.client.requestToolExecution(
                sessionID: "sess_hitl", toolName: "pause_subscription", inputJSON: #"{"weeks": 2}"#, requiresApproval: true)
            #expect(tool.approvalStatus == .pending && tool.approvedAt == nil)
            let gated = await #expect(throws: InvariantsError.self) { try await f.client.startToolExecution(tool.id) }
            #expect(gated?.kind == .illegalTransition)
            #expect(gated?.message.contains("pending -> executing") == true)
            #expect(gated?.message.contains("approval") == true)
            // Writing approved_at directly does nothing; approving needs an approver.
            try await f.sql("UPDATE public.tool_executions SET approved_at = now() WHERE id = '\(tool.id)'")
            #expect(try await f.count("SELECT count(*) FROM public.tool_executions WHERE approved_at IS NULL") == 1)
            let blank = await #expect(throws: InvariantsError.self) { try await f.client.approveToolExecution(tool.id, by: " ") }
            #expect(blank?.kind == .invalidInput && blank?.column == "approved_by")
            let approved = try await f.client.approveToolExecution(tool.id, by: "customer")
            #expect(approved.approvalStatus == .approved && approved.approvedAt != nil && approved.approvedBy == "customer")
            // Final: no second decision, no way back.
            for target in ["rejected", "pending"] {
                let error = await #expect(throws: InvariantsError.self) {
                    try await f.sql("UPDATE public.tool_executions SET approval_status = '\(target)', approved_by = 'agent_1' WHERE id = '\(tool.id)'")
                }
                #expect(error?.kind == .illegalTransition)
                #expect(error?.column == "approval_status")
                #expect(error?.message.contains("approved -> \(target)") == true)
            }
            // requires_approval is fixed.
            let fixed = await #expect(throws: InvariantsError.self) {
                try await f.sql("UPDATE public.tool_executions SET requires_approval = false WHERE id = '\(tool.id)'")
            }
            #expect(fixed?.kind == .conflict)
            let running = try await f.client.startToolExecution(tool.id)
            #expect(running.status == .executing && running.approvedAt == approved.approvedAt)
            #expect(try await f.client.completeToolExecution(tool.id, outputJSON: #"{"paused": true}"#, durationMs: 40).status == .completed)

            // Rejected: can never execute, can fail.
            let other = try await f.client.requestToolExecution(sessionID: "sess_hitl", toolName: "refund", requiresApproval: true)
            let rejected = try await f.client.rejectToolExecution(other.id, by: "agent_9")
            #expect(rejected.approvalStatus == .rejected && rejected.approvedAt != nil)
            let never = await #expect(throws: InvariantsError.self) { try await f.client.startToolExecution(other.id) }
            #expect(never?.kind == .illegalTransition)
            #expect(try await f.client.failToolExecution(other.id, error: "rejected by agent_9").status == .failed)

            // Approving and starting in one statement works; approving one that needs no approval does not.
            let both = try await f.client.requestToolExecution(sessionID: "sess_hitl", toolName: "resend", requiresApproval: true)
            try await f.sql("UPDATE public.tool_executions SET approval_status = 'approved', approved_by = 'customer', status = 'executing' WHERE id = '\(both.id)'")
            let free = try await f.client.requestToolExecution(sessionID: "sess_hitl", toolName: "track_package")
            let notNeeded = await #expect(throws: InvariantsError.self) { try await f.client.approveToolExecution(free.id, by: "customer") }
            #expect(notNeeded?.kind == .illegalTransition)
            #expect(notNeeded?.message.contains("NULL -> approved") == true)
            // Inserted decided: refused.
            let decided = await #expect(throws: InvariantsError.self) {
                try await f.sql("INSERT INTO public.tool_executions (session_id, tool_name, requires_approval, approval_status) VALUES ('sess_hitl', 'x', true, 'approved')")
            }
            #expect(decided?.kind == .illegalTransition)
            #expect(try await f.count("SELECT count(*) FROM public.tool_executions") == 4)
        }
    }

    @Test("concurrent approve and reject: exactly one decision wins")
    func concurrentDecisions() async throws {
        try await withSupportChat { f in
            try await f.open("sess_race")
            for _ in 0..<5 {
                let tool = try await f.client.requestToolExecution(sessionID: "sess_race", toolName: "refund", requiresApproval: true)
                var outcomes: [Bool] = []
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        do { try await f.client.approveToolExecution(tool.id, by: "customer"); return true } catch { return false }
                    }
                    group.addTask {
                        do { try await f.client.rejectToolExecution(tool.id, by: "agent_1"); return false } catch { return true }
                    }
                    for try await outcome in group { outcomes.append(outcome) }
                }
                // Both tasks agree on who won: approve succeeded ⇔ reject failed.
                #expect(outcomes.count == 2 && outcomes[0] == outcomes[1])
                let approved = outcomes[0]
                let status = try await f.client.query("SELECT approval_status FROM public.tool_executions WHERE id = \(tool.id)").first!.decode(String.self)
                #expect(status == (approved ? "approved" : "rejected"))
            }
        }
    }
}

@Suite("Seed 001: erase, access and bad input")
struct SupportChatDataTests {
    @Test("erasing a session deletes its messages, traces and tool executions, and nothing else")
    func cascadeErase() async throws {
        try await withSupportChat { f in
            for s in ["sess_gone", "sess_kept"] {
                try await f.open(s, email: s == "sess_gone" ? "gone@example.com" : "kept@example.com")
                let message = try await f.client.addChatMessage(NewChatMessage(sessionID: s, role: .assistant, content: "hello"))
                try await f.client.addChatMessage(NewChatMessage(sessionID: s, role: .user, content: "hi"))
                let trace = try await f.client.recordAgentTrace(NewAgentTrace(sessionID: s, messageID: message, step: .router, agentName: "router"))
                try await f.client.recordAgentTrace(NewAgentTrace(sessionID: s, step: .evalGate, agentName: "eval"))
                let tool = try await f.client.requestToolExecution(sessionID: s, toolName: "pause_subscription", requiresApproval: true, traceID: trace)
                try await f.client.approveToolExecution(tool.id, by: "customer")
            }
            // A trace must point at a message of its own session.
            let foreign = try await f.count("SELECT count(*) FROM public.chat_messages WHERE session_id = 'sess_kept'")
            #expect(foreign == 2)
            let crossed = await #expect(throws: InvariantsError.self) {
                try await f.sql("INSERT INTO public.agent_traces (session_id, message_id, step, agent_name) SELECT 'sess_gone', id, 'router', 'r' FROM public.chat_messages WHERE session_id = 'sess_kept' LIMIT 1")
            }
            #expect(crossed?.kind == .foreignKeyViolation)

            #expect(try await f.client.eraseChatCustomer(email: "gone@example.com") == 1)
            for table in ["chat_sessions", "chat_messages", "agent_traces", "tool_executions"] {
                #expect(try await f.count("SELECT count(*) FROM public.\(table) WHERE session_id = 'sess_gone'") == 0, "\(table)")
            }
            #expect(try await f.count("SELECT count(*) FROM public.chat_messages WHERE session_id = 'sess_kept'") == 2)
            #expect(try await f.count("SELECT count(*) FROM public.agent_traces WHERE session_id = 'sess_kept'") == 2)
            #expect(try await f.count("SELECT count(*) FROM public.tool_executions WHERE session_id = 'sess_kept' AND trace_id IS NOT NULL") == 1)
            let kept = try await f.counters("sess_kept")
            #expect(kept.stored == [2, 1, 1])
            #expect(try await f.client.eraseChatSession("sess_kept"))
            #expect(try await f.allRows() == 0)
            #expect(try await f.client.eraseChatSession("sess_kept") == false)
        }
    }

    @Test("only service_role reaches the tables and the seed-001 views; RLS is on")
    func access() async throws {
        try await withSupportChat { f in
            try await f.open("sess_sec")
            let user = try await f.client.makeUser()
            let objects = ["chat_sessions", "chat_messages", "agent_traces", "tool_executions", "learning_records",
                           "v_session_stats", "v_cost_by_category", "v_pipeline_funnel"]
            for object in objects {
                for context in [UserContext.anonymous, .user(user)] {
                    let error = await #expect(throws: InvariantsError.self, "\(object)") {
                        try await f.sql("SELECT count(*) FROM public.\(object)", as: context)
                    }
                    #expect(error?.kind == .insufficientPrivilege, "\(object)")
                }
                _ = try await f.sql("SELECT count(*) FROM public.\(object)")
            }
            let denied = await #expect(throws: InvariantsError.self) {
                try await f.sql("SELECT * FROM public.apply_learning_record(gen_random_uuid(), true)", as: .user(user))
            }
            #expect(denied?.kind == .insufficientPrivilege)
            #expect(try await f.count("""
                SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relrowsecurity
                  AND relname IN ('chat_sessions', 'chat_messages', 'agent_traces', 'tool_executions', 'learning_records')
                """) == 5)
        }
    }

    /// One bad value per enforced domain: (statement, column or constraint expected).
    static let badInput: [(String, String)] = [
        ("INSERT INTO public.chat_sessions (session_id, channel) VALUES ('s_x', 'fax')", "channel"),
        ("INSERT INTO public.chat_sessions (session_id, urgency) VALUES ('s_x', 'urgent')", "urgency"),
        ("INSERT INTO public.chat_sessions (session_id, status) VALUES ('s_x', 'open')", "status"),
        ("INSERT INTO public.chat_sessions (session_id, eval_decision) VALUES ('s_x', 'maybe')", "eval_decision"),
        ("INSERT INTO public.chat_sessions (session_id, eval_confidence) VALUES ('s_x', 'very')", "eval_confidence"),
        ("INSERT INTO public.chat_sessions (session_id, assigned_to) VALUES ('s_x', '  ')", "assigned_to"),
        ("INSERT INTO public.chat_sessions (session_id, csat_score) VALUES ('s_x', 6)", "csat_score"),
        ("INSERT INTO public.chat_sessions (session_id, csat_score) VALUES ('s_x', 0)", "csat_score"),
        ("INSERT INTO public.chat_sessions (session_id) VALUES ('')", "session_id"),
        ("INSERT INTO public.chat_sessions (session_id, total_messages) VALUES ('s_x', NULL)", "total_messages"),
        ("INSERT INTO public.chat_sessions (session_id, total_messages) VALUES ('s_x', -1)", "chat_sessions_counters_valid"),
        ("INSERT INTO public.chat_sessions (session_id, first_response_time_ms) VALUES ('s_x', -1)", "first_response_time_ms"),
        ("INSERT INTO public.chat_messages (session_id, role, content) VALUES ('s_ok', 'customer', 'x')", "role"),
        ("INSERT INTO public.chat_messages (session_id, role, content, reasoning_effort) VALUES ('s_ok', 'user', 'x', 'max')", "reasoning_effort"),
        ("INSERT INTO public.chat_messages (session_id, role, content, cost_usd) VALUES ('s_ok', 'user', 'x', -0.01)", "cost_usd"),
        ("INSERT INTO public.chat_messages (session_id, role, content, token_count) VALUES ('s_ok', 'user', 'x', -1)", "token_count"),
        ("INSERT INTO public.chat_messages (session_id, role, content, processing_time_ms) VALUES ('s_ok', 'user', 'x', -1)", "processing_time_ms"),
        ("INSERT INTO public.chat_messages (session_id, role, content, tools_used) VALUES ('s_ok', 'user', 'x', '{}')", "tools_used"),
        ("INSERT INTO public.chat_messages (session_id, role, content) VALUES ('s_missing', 'user', 'x')", "chat_messages_session_id_fkey"),
        ("INSERT INTO public.agent_traces (session_id, step, agent_name) VALUES ('s_ok', 'planner', 'a')", "step"),
        ("INSERT INTO public.agent_traces (session_id, step, agent_name, status) VALUES ('s_ok', 'router', 'a', 'ok')", "status"),
        ("INSERT INTO public.agent_traces (session_id, step, agent_name, reasoning_effort) VALUES ('s_ok', 'router', 'a', 'huge')", "reasoning_effort"),
        ("INSERT INTO public.agent_traces (session_id, step, agent_name, tokens_input) VALUES ('s_ok', 'router', 'a', -1)", "tokens_input"),
        ("INSERT INTO public.agent_traces (session_id, step, agent_name, tokens_output) VALUES ('s_ok', 'router', 'a', -1)", "tokens_output"),
        ("INSERT INTO public.agent_traces (session_id, step, agent_name, cost_usd) VALUES ('s_ok', 'router', 'a', -1)", "cost_usd"),
        ("INSERT INTO public.agent_traces (session_id, step, agent_name, duration_ms) VALUES ('s_ok', 'router', 'a', -1)", "duration_ms"),
        ("INSERT INTO public.tool_executions (session_id, tool_name, status) VALUES ('s_ok', 't', 'done')", "status"),
        ("INSERT INTO public.tool_executions (session_id, tool_name, requires_approval, approval_status) VALUES ('s_ok', 't', true, 'maybe')", "approval_status"),
        ("INSERT INTO public.tool_executions (session_id, tool_name, approval_status) VALUES ('s_ok', 't', 'pending')", "approval_status"),
        ("INSERT INTO public.tool_executions (session_id, tool_name, duration_ms) VALUES ('s_ok', 't', -1)", "duration_ms"),
        ("INSERT INTO public.tool_executions (session_id, tool_name) VALUES ('s_ok', '')", "tool_name"),
        ("INSERT INTO public.learning_records (agent_name, learning_type, learned_pattern) VALUES ('a', 'guess', 'p')", "learning_type"),
        ("INSERT INTO public.learning_records (agent_name, learning_type, learned_pattern, status) VALUES ('a', 'pattern', 'p', 'retired')", "status"),
        ("INSERT INTO public.learning_records (agent_name, learning_type, learned_pattern, confidence) VALUES ('a', 'pattern', 'p', 1.01)", "confidence"),
        ("INSERT INTO public.learning_records (agent_name, learning_type, learned_pattern, confidence) VALUES ('a', 'pattern', 'p', -0.01)", "confidence"),
        ("INSERT INTO public.learning_records (agent_name, learning_type, learned_pattern, times_applied) VALUES ('a', 'pattern', 'p', -1)", "learning_records_counts_valid"),
    ]

    @Test("bad input on every enforced domain: a clear error naming it, nothing written")
    func badInputEverywhere() async throws {
        try await withSupportChat { f in
            try await f.open("s_ok")
            let baseline = try await f.allRows()
            for (statement, expected) in Self.badInput {
                let error = await #expect(throws: InvariantsError.self, "\(statement)") { try await f.sql(statement) }
                let named = [error?.column, error?.constraint].contains(expected)
                #expect(named, "\(statement): \(String(describing: error))")
                let kinds: [InvariantsError.Kind] = [.checkViolation, .notNullViolation, .foreignKeyViolation, .invalidInput, .illegalTransition]
                #expect(error.map { kinds.contains($0.kind) } == true, "\(statement): \(String(describing: error))")
            }
            #expect(try await f.allRows() == baseline)
            // Through the client: the same answers.
            let json = await #expect(throws: InvariantsError.self) {
                try await f.client.addChatMessage(NewChatMessage(sessionID: "s_ok", role: .user, content: "x", toolsUsedJSON: "not json"))
            }
            #expect(json?.kind == .invalidInput && json?.column == "tools_used")
            let csat = await #expect(throws: InvariantsError.self) { try await f.client.rateChatSession("s_ok", score: 9) }
            #expect(csat?.kind == .checkViolation && csat?.column == "csat_score")
            let cost = await #expect(throws: InvariantsError.self) {
                try await f.client.addChatMessage(NewChatMessage(sessionID: "s_ok", role: .assistant, content: "x", costUSD: -1))
            }
            #expect(cost?.column == "cost_usd")
            let duplicate = await #expect(throws: InvariantsError.self) { try await f.open("s_ok") }
            #expect(duplicate?.kind == .uniqueViolation)
            let confidence = await #expect(throws: InvariantsError.self) {
                try await f.client.createLearningRecord(NewLearningRecord(agentName: "a", learningType: .pattern, learnedPattern: "p", confidence: 2))
            }
            #expect(confidence?.column == "confidence")
            #expect(try await f.allRows() == baseline)
            let session = try await f.client.chatSession("s_ok")
            #expect(session.totalMessages == 0 && session.csatScore == nil)
        }
    }
}
