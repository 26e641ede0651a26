public import Invariants
public import InvariantsSchema
public import Logging
import Foundation
import PostgresNIO

/// `invariants verify`: compares a live database with what the declarations render.
///
/// The expected side is built for real, not guessed: a scratch database on the same server
/// (same PostgreSQL version, same roles) is migrated with the committed `sql/` — which
/// `generate --check` ties to the Swift declarations — on the same route as the live
/// database (repeatable set or extension), its ``CatalogSnapshot`` taken, and the scratch
/// database dropped. The live snapshot is then compared within the schemas the expected one
/// has (other schemas, such as Supabase's own, are not ours to judge).
public struct Verifier: Sendable {
    /// What `verify` found: every difference, and what migrate would still do.
    public struct Report: Sendable, Codable, Hashable {
        /// Every object that is changed, missing or unexpected in the live database.
        public var differences: [CatalogSnapshot.Difference]
        /// The app's own tables in the compared schemas, which no installed module declares: not
        /// judged (they and what is on them are left out of ``differences``), listed here.
        public var appTables: [String]
        /// What an adopted database keeps by design and `verify` accepts (a counter the app made
        /// `integer`), one line each.
        public var accepted: [String]
        /// What migrate would still do (pending migrations, changed objects); empty when current.
        public var pending: [String]
        public var storedLogic: String
        /// The scratch database the expected schema was built in (dropped afterwards).
        public var scratchDatabase: String
        public var isClean: Bool { differences.isEmpty }
    }

    public let catalog: Catalog
    public let storedLogic: StoredLogic
    public let logger: Logger

    /// `storedLogic` is used to build the expected database when the live one's route is
    /// the extensions (`.extension(versions:)` or `.keep(extensionVersions:)` from the control files).
    public init(catalog: Catalog, storedLogic: StoredLogic, logger: Logger) {
        self.catalog = catalog
        self.storedLogic = storedLogic
        self.logger = logger
    }

    /// Builds the expected schema in a scratch database on the server at `url`, compares the
    /// live database with it and drops the scratch database; the role needs CREATEDB.
    public func verify(url: DatabaseURL) async throws(InvariantsError) -> Report {
        let live = try await InvariantsClient.openConnection(url: url, logger: logger)
        do throws(InvariantsError) {
            let report = try await verify(live: live, url: url)
            try? await live.close()
            return report
        } catch {
            try? await live.close()
            throw error
        }
    }

    private func verify(live: PostgresConnection, url: DatabaseURL) async throws(InvariantsError) -> Report {
        let session = SQLSession(connection: live, logger: logger)
        let ledger = try await LedgerState.read(session)
        let route = storedLogic.resolved(ledger)
        // Only what the installed modules own: the expected side holds exactly those modules.
        let probe = try Migrator(catalog: catalog, options: .init(storedLogic: route), logger: logger)
        let installed = try probe.installed(ledger).keys.filter { catalog.module(named: $0) != nil }.sorted()
        let migrator = try Migrator(catalog: catalog, options: .init(storedLogic: route, modules: installed), logger: logger)
        let status = try migrator.compare(ledger, target: try migrator.targetModules(ledger))
        var pending = status.pendingMigrations.map { "migration \($0.file) is pending" }
        pending += status.repeatables.filter { $0.state != .current }.map { "repeatable \($0.key) is \($0.state.rawValue)" }
        if let change = status.extensionChange { pending.append(change) }

        let actual = try await CatalogSnapshot.take(on: live, logger: logger)
        let scratch = "invariants_verify_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let expected = try await expectedSnapshot(route: route, modules: installed, live: session, url: url, scratch: scratch)
        let schemas = expected.schemas
        var expectedSide = expected.restricted(to: schemas).withoutLinearLedger
        var actualSide = actual.restricted(to: schemas).withoutLinearLedger
        if actualSide.hasPlatformAuth {
            expectedSide = expectedSide.reliedOnAuthOnly
            actualSide = actualSide.reliedOnAuthOnly(presentIn: expectedSide)
        }
        let adopted = AdoptedShape(actualSide.differences(from: expectedSide), expected: expectedSide, actual: actualSide,
                                   adoptedTables: try await AdoptedShape.adoptedTables(catalog, session: session))
        let separated = AppOwnTables(adopted.differences, actual: actualSide)
        let accepted = adopted.keptIntegers.map { "\($0): integer kept by the adoption (bigint would rewrite the table)" }
        return Report(differences: separated.differences, appTables: separated.tables, accepted: accepted, pending: pending, storedLogic: route.description, scratchDatabase: scratch)
    }

    /// Migrates a scratch database on the same server and snapshots it.
    func expectedSnapshot(route: StoredLogic, modules: [String], live: SQLSession, url: DatabaseURL, scratch name: String) async throws(InvariantsError) -> CatalogSnapshot {
        do {
            try await live.run("CREATE DATABASE \(SQLText.identifier(name))")
        } catch {
            var failure = error
            failure.message = "verify builds the expected schema in a scratch database and could not create one: \(error.message)"
            failure.hint = "connect as a role with CREATEDB (the scratch database is dropped afterwards)"
            throw failure
        }
        var scratchURL = url
        scratchURL.database = name
        scratchURL.applicationName = "invariants verify"
        do throws(InvariantsError) {
            let scratch = try await InvariantsClient.openConnection(url: scratchURL, logger: logger)
            let snapshot: CatalogSnapshot
            do throws(InvariantsError) {
                let migrator = try Migrator(catalog: catalog, options: .init(storedLogic: route, modules: modules), logger: logger)
                try await migrator.migrate(on: scratch)
                snapshot = try await CatalogSnapshot.take(on: scratch, logger: logger)
                try? await scratch.close()
            } catch {
                try? await scratch.close()
                throw error
            }
            try await live.run("DROP DATABASE \(SQLText.identifier(name)) WITH (FORCE)")
            return snapshot
        } catch {
            try? await live.run("DROP DATABASE IF EXISTS \(SQLText.identifier(name)) WITH (FORCE)")
            throw error
        }
    }
}

extension CatalogSnapshot {
    /// Without `invariants.schema_migrations`, the linear ledger of releases 0.1 and 0.2 that a
    /// database migrated back then keeps as history (a fresh database never has it).
    var withoutLinearLedger: CatalogSnapshot {
        let ledger = Ledger.migrationsTable.description
        let kept = entries.filter { !$0.key.contains(ledger) }
        return CatalogSnapshot(entries: kept, members: members.intersection(kept.keys), schemaOf: schemaOf.filter { kept[$0.key] != nil })
    }

    /// Schema `auth` is a platform's (Supabase's GoTrue) rather than the auth shim's when it holds
    /// a table the shim never creates: the shim then created nothing there but what was absent,
    /// and GoTrue's tables, columns, indexes and grants are not the installed modules' to judge.
    var hasPlatformAuth: Bool {
        entries.keys.contains { $0.hasPrefix("table auth.") && $0 != "table auth.users" }
    }

    /// What the modules rely on in `auth`, compared by presence only: the schema, `auth.users`
    /// and the functions the shim would create (`auth.uid()` …). Everything else of `auth` is dropped.
    static func isReliedOnInAuth(_ key: String) -> Bool {
        key == "schema auth" || key == "table auth.users" || key.hasPrefix("function auth.")
    }

    /// The expected side on a platform's `auth`: the relied-on objects with a placeholder value,
    /// nothing else of `auth`.
    var reliedOnAuthOnly: CatalogSnapshot {
        var kept = entries.filter { schemaOf[$0.key] != "auth" || Self.isReliedOnInAuth($0.key) }
        for key in kept.keys where schemaOf[key] == "auth" { kept[key] = "present" }
        return CatalogSnapshot(entries: kept, members: members.intersection(kept.keys), schemaOf: schemaOf.filter { kept[$0.key] != nil })
    }

    /// The live side on a platform's `auth`: of `auth`, only the objects `expected` relies on,
    /// valued "present" so that only a missing one is a difference.
    func reliedOnAuthOnly(presentIn expected: CatalogSnapshot) -> CatalogSnapshot {
        var kept = entries.filter { schemaOf[$0.key] != "auth" || expected.entries[$0.key] != nil }
        for key in kept.keys where schemaOf[key] == "auth" { kept[key] = "present" }
        return CatalogSnapshot(entries: kept, members: members.intersection(kept.keys), schemaOf: schemaOf.filter { kept[$0.key] != nil })
    }
}
