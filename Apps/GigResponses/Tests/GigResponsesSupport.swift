import Foundation
import Invariants
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedApps
import SeedAppsTesting
import SupportChat

/// Seed 004's own monitoring query, verbatim: gigs whose counters differ from the responses.
let seedMonitoringQuery = """
    SELECT
      g.id,
      g.title,
      g.responses as gig_responses,
      g.new_responses as gig_new_responses,
      COUNT(r.id) as actual_responses,
      COUNT(CASE WHEN r.status = 'NEW' THEN 1 END) as actual_new_responses
    FROM gigs g
    LEFT JOIN responses r ON r.entity_type = 'gig' AND r.entity_id = g.id
    GROUP BY g.id, g.title, g.responses, g.new_responses
    HAVING
      g.responses != COUNT(r.id) OR
      g.new_responses != COUNT(CASE WHEN r.status = 'NEW' THEN 1 END);
    """

/// A migrated database with one workspace of gigs, a member (alice) and a member of another
/// workspace only (bob).
struct GigFixture {
    var client: InvariantsClient
    var database: TestDatabase
    var workspace: UUID
    var otherWorkspace: UUID
    var gigs: [UUID]
    var otherGig: UUID
    var alice: UUID
    var bob: UUID

    /// Runs SQL as the superuser (the DBA); returns the rows.
    @discardableResult
    func sql(_ text: String) async throws -> [PostgresRow] {
        try await client.query(PostgresQuery(unsafeSQL: text))
    }

    func count(_ text: String) async throws -> Int64 {
        try await client.scalar(PostgresQuery(unsafeSQL: text), as: Int64.self)
    }

    /// Adds `n` responses to `gig` as the superuser; returns their ids.
    @discardableResult
    func addResponses(_ n: Int, to gig: UUID, status: String = "NEW", workspace: UUID? = nil) async throws -> [UUID] {
        let ws = workspace ?? self.workspace
        let rows = try await client.query("""
            INSERT INTO public.responses (workspace_id, entity_type, entity_id, status)
            SELECT \(ws), 'gig', \(gig), \(status) FROM generate_series(1, \(n)) RETURNING id
            """)
        return try rows.map { try $0.decode(UUID.self) }
    }

    func stored(_ gig: UUID) async throws -> (Int64, Int64) {
        try await client.firstRow("SELECT responses, new_responses FROM public.gigs WHERE id = \(gig)").decode((Int64, Int64).self)
    }

    /// Rows of the seed's monitoring query (drifted gigs).
    func drifted() async throws -> Int { try await sql(seedMonitoringQuery).count }
}

func withGigs(gigCount: Int = 4, maximumConnections: Int = 20, allModules: Bool = false,
              _ body: (GigFixture) async throws -> Void) async throws {
    try await withCatalogClient(maximumConnections: maximumConnections, allModules: allModules) { client, database in
        let alice = try await client.makeUser()
        let bob = try await client.makeUser()
        let workspace = UUID()
        let other = UUID()
        try await client.execute("INSERT INTO public.workspaces (id, name) VALUES (\(workspace), 'Acme'), (\(other), 'Other')")
        try await client.execute("""
            INSERT INTO public.workspace_members (workspace_id, user_id, role)
            VALUES (\(workspace), \(alice), 'owner'), (\(other), \(bob), 'owner')
            """)
        let gigs = try await client.query("""
            INSERT INTO public.gigs (workspace_id, title) SELECT \(workspace), 'Gig ' || i FROM generate_series(1, \(gigCount)) AS i RETURNING id
            """).map { try $0.decode(UUID.self) }
        let otherGig = try await client.scalar(
            "INSERT INTO public.gigs (workspace_id, title) VALUES (\(other), 'Other gig') RETURNING id", as: UUID.self)
        try await body(GigFixture(
            client: client, database: database, workspace: workspace, otherWorkspace: other,
            gigs: gigs, otherGig: otherGig, alice: alice, bob: bob))
    }
}

/// The seed's two tables copied into `cc_<strategy>` with a counter of that strategy
/// (``GigResponsesModule/copy(inSchema:strategy:)``): the same workload runs against every strategy.
struct StrategyTables {
    var copy: GigResponsesModule.StrategyCopy
    var gigs: Table { copy.gigs }
    var responses: Table { copy.responses }
    var counter: CounterCache { copy.counter }

    init(_ strategy: CounterCache.Strategy) {
        copy = GigResponsesModule.copy(inSchema: "cc_" + strategy.rawValue, strategy: strategy)
    }

    func install(on client: InvariantsClient) async throws {
        for statement in copy.installStatements { try await client.execute(PostgresQuery(unsafeSQL: statement)) }
    }

    /// The seed's monitoring query, verbatim but over these tables: it reads the columns only.
    var seedQueryOverColumns: String {
        seedMonitoringQuery
            .replacingOccurrences(of: "FROM gigs g", with: "FROM \(gigs.qualifiedName.sql) g")
            .replacingOccurrences(of: "JOIN responses r", with: "JOIN \(responses.qualifiedName.sql) r")
    }

    /// Drifted gigs, counting pending deltas as stored (the drift view) for the delta strategy.
    var monitoringQuery: String {
        counter.strategy == .deltas ? "SELECT * FROM \(counter.driftViewName.sql)" : seedQueryOverColumns
    }
}
