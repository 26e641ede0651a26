import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import Testing
import SeedAppsTesting
import SupportChat

/// The seeds' own SQL, verbatim (seed 001 section 4 without `CREATE VIEW … AS`; seed 003
/// "Analytics Queries"). Run unqualified, on the default search_path.
enum SeedAnalyticsSQL {
    static let sessionStats = """
        SELECT 
            DATE_TRUNC('day', created_at) AS day,
            primary_category,
            channel,
            COUNT(*) AS total_sessions,
            COUNT(*) FILTER (WHERE status = 'resolved') AS resolved,
            COUNT(*) FILTER (WHERE status = 'escalated') AS escalated,
            AVG(first_response_time_ms) AS avg_first_response_ms,
            AVG(resolution_time_seconds) AS avg_resolution_sec,
            AVG(csat_score) AS avg_csat
        FROM chat_sessions
        GROUP BY 1, 2, 3
        """

    static let costByCategory = """
        SELECT 
            cs.primary_category,
            COUNT(DISTINCT cs.id) AS sessions,
            SUM(cm.cost_usd) AS total_cost,
            AVG(cm.cost_usd) AS avg_cost_per_message,
            SUM(cm.cost_usd) / NULLIF(COUNT(DISTINCT cs.id), 0) AS avg_cost_per_session
        FROM chat_sessions cs
        JOIN chat_messages cm ON cm.session_id = cs.session_id
        WHERE cm.role = 'assistant'
        GROUP BY 1
        """

    static let pipelineFunnel = """
        SELECT 
            cs.primary_category,
            COUNT(*) AS total,
            COUNT(*) FILTER (WHERE cs.eval_decision = 'send') AS auto_sent,
            COUNT(*) FILTER (WHERE cs.eval_decision = 'draft') AS drafted,
            COUNT(*) FILTER (WHERE cs.eval_decision = 'escalate') AS escalated,
            ROUND(
                COUNT(*) FILTER (WHERE cs.eval_decision = 'send') * 100.0 / NULLIF(COUNT(*), 0),
                1
            ) AS auto_send_rate
        FROM chat_sessions cs
        WHERE cs.created_at >= NOW() - INTERVAL '30 days'
        GROUP BY 1
        """

    static let activityByUser = """
        SELECT
            p.display_name,
            COUNT(*) as questions,
            SUM(cost) as total_cost,
            AVG(input_tokens + output_tokens) as avg_tokens
        FROM chat_logs cl
        JOIN profiles p ON cl.user_id = p.id
        GROUP BY p.display_name
        ORDER BY questions DESC
        """

    static let popularTools = """
        SELECT
            tool->>'name' as tool_name,
            COUNT(*) as usage_count,
            AVG((tool->>'duration_ms')::float) as avg_duration
        FROM chat_logs,
             jsonb_array_elements(tools_used) as tool
        GROUP BY tool_name
        ORDER BY usage_count DESC
        """

    static let dailyCosts = """
        SELECT
            DATE(created_at) as day,
            COUNT(*) as requests,
            SUM(cost) as daily_cost
        FROM chat_logs
        GROUP BY day
        ORDER BY day DESC
        """

    static let mostExpensive = """
        SELECT
            question,
            cost,
            input_tokens + output_tokens as total_tokens,
            created_at
        FROM chat_logs
        ORDER BY cost DESC
        LIMIT 20
        """
}

/// Across two apps (support_chat and chat_logs): a database with every module.
@Suite("Seeds 001 and 003: the analytics views return the seeds' own rows")
struct SupportChatViewsTests {
    /// Sessions over 60 days (so the funnel's 30-day window matters), every channel, NULL and
    /// named categories, resolved and escalated ones, CSAT, eval decisions; messages of every
    /// role with costs (some NULL).
    static let seed001Data = [
        """
        INSERT INTO public.chat_sessions (session_id, channel, primary_category, created_at, eval_decision, eval_confidence, csat_score)
        SELECT 'sess_' || g,
               (ARRAY['widget', 'whatsapp', 'facebook', 'email', 'telegram'])[1 + g % 5],
               (ARRAY['billing', 'shipping', 'returns', NULL])[1 + (g * 7) % 4],
               now() - (g % 60) * interval '1 day' - (g % 13) * interval '1 hour',
               (ARRAY['send', 'draft', 'escalate', NULL])[1 + (g * 3) % 4],
               (ARRAY['high', 'medium', 'low'])[1 + g % 3],
               CASE WHEN g % 3 = 0 THEN 1 + g % 5 END
        FROM generate_series(1, 400) g
        """,
        """
        INSERT INTO public.chat_messages (session_id, role, content, cost_usd, created_at)
        SELECT 'sess_' || (1 + g % 400),
               (ARRAY['user', 'assistant', 'assistant', 'system', 'tool'])[1 + (g * 11) % 5],
               'message ' || g,
               CASE WHEN g % 17 = 0 THEN NULL ELSE ((g * 37) % 1000) / 100000.0 END,
               now() - ((1 + g % 400) % 60) * interval '1 day' - ((1 + g % 400) % 13) * interval '1 hour' + (g % 97) * interval '1 second'
        FROM generate_series(1, 4000) g
        """,
        "UPDATE public.chat_sessions SET status = 'escalated' WHERE substr(session_id, 6)::int % 7 IN (1, 2)",
        "UPDATE public.chat_sessions SET status = 'resolved' WHERE substr(session_id, 6)::int % 7 IN (2, 3, 4)",
        "UPDATE public.chat_sessions SET status = 'closed' WHERE substr(session_id, 6)::int % 7 = 5",
    ]

    /// Users with distinct display names (one without a profile), logs over 40 days with tools
    /// and distinct costs.
    static let seed003Data = [
        """
        INSERT INTO auth.users (id, email)
        SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'user' || g || '@example.com'
        FROM generate_series(1, 12) g
        """,
        """
        INSERT INTO public.profiles (id, display_name)
        SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'Trader ' || g
        FROM generate_series(1, 11) g
        """,
        """
        INSERT INTO public.chat_logs (user_id, question, response, tools_used, input_tokens, output_tokens, cost, model, created_at)
        SELECT ('00000000-0000-0000-0000-' || lpad((1 + g % 12)::text, 12, '0'))::uuid,
               'question ' || g, 'answer ' || g,
               CASE g % 4
                   WHEN 0 THEN '[]'::jsonb
                   WHEN 1 THEN jsonb_build_array(jsonb_build_object('name', 'get_price', 'duration_ms', g % 300))
                   WHEN 2 THEN jsonb_build_array(jsonb_build_object('name', 'get_price', 'duration_ms', g % 170),
                                                 jsonb_build_object('name', 'run_backtest', 'duration_ms', 1000 + g))
                   ELSE jsonb_build_array(jsonb_build_object('name', 'news', 'input', jsonb_build_object('q', g)))
               END,
               100 + g % 900, 50 + (g * 7) % 400,
               (g * 7919 % 100000) / 1000000.0,
               'claude-haiku-4-5',
               timestamptz '2026-10-01 00:00:00+00' + (g % 40) * interval '1 day' + (g % 23) * interval '1 hour'
        FROM generate_series(1, 600) g
        """,
    ]

    /// Rows in one result and not the other (multiset difference both ways), and the row count.
    static func compare(_ f: SupportChatFixture, view: String, seed: String) async throws -> (difference: Int64, rows: Int64) {
        try await f.client.run(as: .service) { conn in
            try await conn.query("SET LOCAL TIME ZONE 'UTC'", logger: quietLogger)
            let row = try await conn.firstRow(PostgresQuery(unsafeSQL: """
                SELECT (SELECT count(*) FROM ((\(view)) EXCEPT ALL (\(seed))) a)
                     + (SELECT count(*) FROM ((\(seed)) EXCEPT ALL (\(view))) b),
                       (SELECT count(*) FROM (\(seed)) c)
                """))
            return try row.decode((Int64, Int64).self)
        }
    }

    @Test("each view equals the seed's SQL on the same generated data")
    func viewsEqualSeedSQL() async throws {
        try await withSupportChat(allModules: true) { f in
            for statement in Self.seed001Data { try await f.sql(statement) }
            // auth.users and profiles as the superuser (the auth schema is not the service's).
            for statement in Self.seed003Data { try await f.client.execute(PostgresQuery(unsafeSQL: statement)) }
            let cases: [(String, String, String)] = [
                ("v_session_stats", "SELECT * FROM public.v_session_stats", SeedAnalyticsSQL.sessionStats),
                ("v_cost_by_category", "SELECT * FROM public.v_cost_by_category", SeedAnalyticsSQL.costByCategory),
                ("v_pipeline_funnel", "SELECT * FROM public.v_pipeline_funnel", SeedAnalyticsSQL.pipelineFunnel),
                ("v_chat_activity_by_user",
                 "SELECT display_name, questions, total_cost, avg_tokens FROM public.v_chat_activity_by_user",
                 SeedAnalyticsSQL.activityByUser),
                ("v_chat_popular_tools", "SELECT * FROM public.v_chat_popular_tools", SeedAnalyticsSQL.popularTools),
                ("v_chat_daily_costs", "SELECT * FROM public.v_chat_daily_costs", SeedAnalyticsSQL.dailyCosts),
                ("v_chat_most_expensive",
                 "SELECT question, cost, total_tokens, created_at FROM public.v_chat_most_expensive",
                 SeedAnalyticsSQL.mostExpensive),
            ]
            for (name, view, seed) in cases {
                let (difference, rows) = try await Self.compare(f, view: view, seed: seed)
                #expect(difference == 0, "\(name): \(difference) rows differ")
                #expect(rows >= 3, "\(name) compared only \(rows) rows")
            }
            // The client reads the same rows, typed.
            let stats = try await f.client.sessionStats()
            #expect(Int64(stats.count) == (try await f.count("SELECT count(*) FROM public.v_session_stats")))
            #expect(stats.reduce(0) { $0 + $1.totalSessions } == 400)
            #expect(stats.reduce(0) { $0 + $1.resolved } == (try await f.count("SELECT count(*) FROM public.chat_sessions WHERE status = 'resolved'")))
            let costs = try await f.client.costByCategory()
            #expect(costs.count == 4)
            let funnel = try await f.client.pipelineFunnel()
            #expect(funnel.reduce(0) { $0 + $1.total } == (try await f.count("SELECT count(*) FROM public.chat_sessions WHERE created_at >= now() - interval '30 days'")))
            let activity = try await f.client.chatActivityByUser()
            #expect(activity.count == 11 && activity.reduce(0) { $0 + $1.questions } == 550)
            let tools = try await f.client.popularChatTools()
            #expect(tools.map(\.toolName) == ["get_price", "news", "run_backtest"])
            let days = try await f.client.dailyChatCosts()
            #expect(days.count == 40 && days.first!.day > days.last!.day)
            let expensive = try await f.client.mostExpensiveChats()
            #expect(expensive.count == 20 && zip(expensive, expensive.dropFirst()).allSatisfy { $0.cost >= $1.cost })
        }
    }

    @Test("documented differences from seed 003's queries: users sharing a name, NULL cost, TimeZone, string durations")
    func documentedDifferences() async throws {
        try await withSupportChat(allModules: true) { f in
            let a = try await f.client.makeUser(), b = try await f.client.makeUser()
            try await f.sql("INSERT INTO public.profiles (id, display_name) VALUES ('\(a)', 'Sam'), ('\(b)', 'Sam')")
            for (user, cost) in [(a, "0.5"), (b, "0.25"), (b, "NULL")] {
                try await f.sql("""
                    INSERT INTO public.chat_logs (user_id, question, response, cost, input_tokens, output_tokens, created_at, tools_used)
                    VALUES ('\(user)', 'q \(cost)', 'r', \(cost), 10, 20, '2026-11-01 23:30:00+00', '[{"name": "t", "duration_ms": "fast"}]')
                    """)
            }
            // Two users named Sam: two rows here, one in the seed's query.
            let activity = try await f.client.chatActivityByUser()
            #expect(activity.map(\.displayName) == ["Sam", "Sam"])
            #expect(try await f.count("SELECT count(*) FROM (\(SeedAnalyticsSQL.activityByUser)) s") == 1)
            // A log without a cost is not "most expensive"; the seed's query ranks it first.
            let expensive = try await f.client.mostExpensiveChats()
            #expect(expensive.map(\.question) == ["q 0.5", "q 0.25"])
            let seedFirst = try await f.client.query(PostgresQuery(unsafeSQL: "SELECT question FROM (\(SeedAnalyticsSQL.mostExpensive)) s LIMIT 1")).first!.decode(String.self)
            #expect(seedFirst == "q NULL")
            // UTC days whatever the reader's TimeZone.
            let days = try await f.client.run(as: .service) { conn in
                try await conn.query("SET LOCAL TIME ZONE 'Asia/Tokyo'", logger: quietLogger)
                return try await conn.scalar("SELECT string_agg(day::text, ',') FROM public.v_chat_daily_costs", as: String.self)
            }
            #expect(days == "2026-11-01")
            // A non-numeric duration is ignored, not an error for the whole view.
            let tools = try await f.client.popularChatTools()
            #expect(tools.count == 1 && tools[0].usageCount == 3 && tools[0].avgDurationMs == nil)
            await #expect(throws: InvariantsError.self) {
                try await f.sql(SeedAnalyticsSQL.popularTools)
            }
            // A user reads their own activity only (security_invoker: RLS applies).
            let own = try await f.client.chatActivityByUser(as: .user(a))
            #expect(own.map(\.userID) == [a])
        }
    }
}
