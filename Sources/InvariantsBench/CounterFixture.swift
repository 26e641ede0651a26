import Foundation
import InvariantsSchema
import PostgresNIO
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedApps
import SupportChat

/// Seed 004's gigs and responses for the counter benchmarks, one table pair per strategy.
///
/// The seed's own strategy uses the real tables of migration 5 (`public.gigs`, `public.responses`
/// with `GigResponsesModule.counters`). Any other strategy gets a schema of its own
/// (`bench_<strategy>`) with `GigResponsesModule.copy(inSchema:strategy:)`: the same tables,
/// keys, checks, indexes and updated_at triggers, and the same counters kept by that strategy.
///
/// Gig n has the id `lpad(to_hex(n), 32, '0')::uuid`, so SQL and pgbench scripts can name it.
struct CounterTables: Sendable {
    static let workspace = "000000000000000000000000000000aa"

    var strategy: CounterCache.Strategy
    var counter: CounterCache
    var gigs: String { counter.parent.sql }
    var responses: String { counter.child.sql }
    var drift: String { counter.driftViewName.sql }

    static func gigID(_ n: String) -> String { "lpad(to_hex((\(n))::bigint), 32, '0')::uuid" }

    /// Creates the workspace (once per database) and, for a strategy other than the seed's, the bench tables.
    static func install(_ strategy: CounterCache.Strategy, on connection: PostgresConnection) async throws -> CounterTables {
        try await connection.run("INSERT INTO public.workspaces (id, name) VALUES ('\(workspace)', 'bench') ON CONFLICT DO NOTHING")
        let real = GigResponsesModule.counters
        var tables = CounterTables(strategy: strategy, counter: real)
        if strategy != real.strategy {
            let copy = GigResponsesModule.copy(inSchema: "bench_\(strategy.rawValue)", strategy: strategy)
            for statement in copy.installStatements { try await connection.run(statement) }
            tables.counter = copy.counter
        }
        try await tables.installFloor(on: connection)
        return tables
    }

    /// Gigs 1…count in the bench workspace.
    func loadGigs(_ count: Int, on connection: PostgresConnection) async throws {
        try await connection.run("""
            INSERT INTO \(gigs) (id, workspace_id, title)
            SELECT \(Self.gigID("g")), '\(Self.workspace)', 'gig ' || g FROM generate_series(1, \(count)) g
            """)
        try await connection.run("VACUUM (ANALYZE) \(gigs)")
    }

    /// No responses, every counter zero (the TRUNCATE trigger), vacuumed: the same start for every run.
    func reset(on connection: PostgresConnection) async throws {
        try await connection.run("TRUNCATE \(responses)")
        try await connection.run("VACUUM (ANALYZE) \(gigs)")
        if strategy == .deltas {
            try await connection.run("VACUUM \(counter.deltaTable.qualifiedName.sql)")
        }
    }

    /// Which triggers fire on the child table during a timed run.
    enum Mode: Sendable {
        /// The generated counter triggers (and updated_at): what is measured.
        case generated
        /// No user trigger but the one keeping `gig_id` (foreign keys kept): the "no trigger" baseline.
        case none
        /// The hand-written safe floor, a row trigger: one UPDATE of the parent per row.
        case floorRow
        /// The hand-written safe floor, a statement trigger: lock the statement's parents in key
        /// order, then one grouped UPDATE from the transition table.
        case floorStatement
    }

    private var floorSchema: String { "\"bench_floor_\(strategy.rawValue)\"" }
    private static let floorRowTrigger = "\"bench_floor_row\""
    private static let floorStatementTrigger = "\"bench_floor_statement\""
    /// The child's non-counter trigger, kept by the floors (a same-shaped table has it too).
    private static let updatedAtTrigger = "\"zz_invariants_updated_at\""
    /// The trigger keeping `gig_id` (a CHECK holds it to the entity): on in every mode, since
    /// without it no row can be inserted.
    private static let gigKeyTrigger = SQLText.identifier(GigResponsesModule.gigKey.triggerName)

    /// Creates the floor triggers, disabled: the least a safe counter trigger must do on these
    /// tables — SECURITY DEFINER with `SET search_path = ''` like the generated ones, insert only
    /// (the benchmarks only insert), the same counters (so the drift view checks the floor too).
    func installFloor(on connection: PostgresConnection) async throws {
        try await connection.run("CREATE SCHEMA IF NOT EXISTS \(floorSchema)")
        try await connection.run("""
            CREATE OR REPLACE FUNCTION \(floorSchema).count_row() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
            BEGIN
                IF NEW.entity_type = 'gig' THEN
                    UPDATE \(gigs) AS g
                    SET responses = g.responses + 1, new_responses = g.new_responses + (NEW.status = 'NEW')::int
                    WHERE g.workspace_id = NEW.workspace_id AND g.id = NEW.entity_id;
                END IF;
                RETURN NULL;
            END $$
            """)
        try await connection.run("""
            CREATE OR REPLACE FUNCTION \(floorSchema).count_statement() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
            BEGIN
                PERFORM 1 FROM \(gigs) AS g
                WHERE (g.workspace_id, g.id) IN (
                    SELECT n.workspace_id, n.entity_id FROM new_rows AS n WHERE n.entity_type = 'gig')
                ORDER BY g.workspace_id, g.id FOR NO KEY UPDATE OF g;
                UPDATE \(gigs) AS g SET responses = g.responses + d.responses, new_responses = g.new_responses + d.fresh
                FROM (SELECT n.workspace_id, n.entity_id, count(*) AS responses, sum((n.status = 'NEW')::int) AS fresh
                      FROM new_rows AS n WHERE n.entity_type = 'gig' GROUP BY 1, 2) AS d
                WHERE g.workspace_id = d.workspace_id AND g.id = d.entity_id;
                RETURN NULL;
            END $$
            """)
        try await connection.run("""
            CREATE OR REPLACE TRIGGER \(Self.floorRowTrigger) AFTER INSERT ON \(responses)
            FOR EACH ROW EXECUTE FUNCTION \(floorSchema).count_row()
            """)
        try await connection.run("""
            CREATE OR REPLACE TRIGGER \(Self.floorStatementTrigger) AFTER INSERT ON \(responses)
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \(floorSchema).count_statement()
            """)
        try await setMode(.generated, on: connection)
    }

    /// Switches the child's triggers to `mode`. `DISABLE TRIGGER USER` keeps the foreign keys
    /// (system triggers) and turns off every user trigger — the counter's and `updated_at` — but
    /// the one keeping `gig_id` is turned back on (the table's CHECK needs it). The
    /// generated triggers are dropped, not disabled, for the other modes: a disabled trigger stays
    /// in the trigger descriptor, from which PostgreSQL sets up transition capture, and the floor
    /// and the no-trigger baseline must pay nothing of ours.
    func setMode(_ mode: Mode, on connection: PostgresConnection) async throws {
        try await GeneratedTriggers(table: responses).set(present: mode == .generated, on: connection)
        var statements: [String] = []
        switch mode {
        case .generated:
            statements = ["ENABLE TRIGGER USER", "DISABLE TRIGGER \(Self.floorRowTrigger)",
                          "DISABLE TRIGGER \(Self.floorStatementTrigger)"]
        case .none:
            statements = ["DISABLE TRIGGER USER", "ENABLE TRIGGER \(Self.gigKeyTrigger)"]
        case .floorRow, .floorStatement:
            let floor = mode == .floorRow ? Self.floorRowTrigger : Self.floorStatementTrigger
            statements = ["DISABLE TRIGGER USER", "ENABLE TRIGGER \(Self.gigKeyTrigger)",
                          "ENABLE TRIGGER \(Self.updatedAtTrigger)", "ENABLE TRIGGER \(floor)"]
        }
        try await connection.run("ALTER TABLE \(responses) " + statements.joined(separator: ", "))
    }

    /// Throws unless the drift view is empty (the counters are exact, pending deltas included).
    func checkNoDrift(on connection: PostgresConnection) async throws {
        let drifted: Int64 = try await connection.value("SELECT count(*) FROM \(drift)")
        guard drifted == 0 else { throw BenchError("\(drifted) drifted counters in \(drift) after a measured run") }
    }

    /// One run: reset (generated triggers on, so the TRUNCATE trigger zeroes the counters), the
    /// triggers of `mode`, `body` timed, generated triggers back on; every run that keeps
    /// counters (generated or floor) is checked for exactness afterwards.
    func timedRun(_ mode: Mode, on connection: PostgresConnection, _ body: () async throws -> Void) async throws -> Double {
        try await reset(on: connection)
        if mode != .generated { try await setMode(mode, on: connection) }
        let elapsed = try await seconds(body)
        if mode != .generated { try await setMode(.generated, on: connection) }
        if mode != .none { try await checkNoDrift(on: connection) }
        return elapsed
    }
}

/// The counter triggers of a child table (`invariants_count_…`, not the TRUNCATE companion),
/// dropped and re-created by their own definitions: kept in a table of the database, so every
/// mode switch, on any connection, finds them.
struct GeneratedTriggers: Sendable {
    var table: String

    func set(present: Bool, on connection: PostgresConnection) async throws {
        try await connection.run("""
            CREATE TABLE IF NOT EXISTS public.bench_saved_triggers (
                table_name text NOT NULL, trigger_name text NOT NULL, definition text NOT NULL,
                PRIMARY KEY (table_name, trigger_name))
            """)
        let name = SQLText.literal(table)
        try await connection.run("""
            INSERT INTO public.bench_saved_triggers
            SELECT \(name), t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger AS t
            WHERE t.tgrelid = \(name)::regclass AND NOT t.tgisinternal
              AND t.tgname LIKE 'invariants\\_count\\_%' AND t.tgname NOT LIKE '%\\_truncate'
            ON CONFLICT DO NOTHING
            """)
        let saved: [(String, String)] = try await connection.run(
            "SELECT trigger_name, definition FROM public.bench_saved_triggers WHERE table_name = \(name) ORDER BY trigger_name"
        ).map { try $0.decode((String, String).self) }
        for (trigger, definition) in saved {
            let exists: Bool = try await connection.value(
                "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = \(name)::regclass AND tgname = \(SQLText.literal(trigger)))")
            if present, !exists { try await connection.run(definition) }
            if !present, exists { try await connection.run("DROP TRIGGER \"\(trigger)\" ON \(table)") }
        }
    }
}
