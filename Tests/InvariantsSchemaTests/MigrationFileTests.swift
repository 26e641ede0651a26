import InvariantsSchema
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedApps
import SupportChat

@Suite("Migration and repeatable-set files")
struct MigrationFileTests {
    let hostile = "we\"ird'; DROP TABLE x; --\n$$"

    var migration: Migration {
        Migration(version: 12, name: "hostile_names", source: "Tests \(hostile)", steps: [
            MigrationStep("CREATE TABLE \(QualifiedName("public", hostile).sql) (\(SQLText.identifier(hostile)) text DEFAULT \(SQLText.literal(hostile)))"),
            MigrationStep("CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $fn$ SELECT ';' $fn$"),
        ], lockTimeoutMilliseconds: 1234, statementTimeoutMilliseconds: 99)
    }

    @Test("render → parse gives back the same migration, byte-identical on re-render")
    func roundTrip() throws {
        let text = MigrationFile.render(migration)
        #expect(text == MigrationFile.render(migration))
        let parsed = try MigrationFile.parse(text, fileName: "0012_hostile_names.sql")
        #expect(parsed.steps == migration.steps)
        #expect(parsed.lockTimeoutMilliseconds == 1234 && parsed.statementTimeoutMilliseconds == 99)
        #expect(MigrationFile.checksum(of: parsed) == MigrationFile.checksum(of: migration))
    }

    @Test("a hostile source name cannot escape its comment line")
    func commentSafety() {
        let text = MigrationFile.render(migration)
        let header = text.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.hasPrefix(MigrationFile.psqlMarker) }
        #expect(header.allSatisfy { $0.isEmpty || $0.hasPrefix("--") }, "every header line is a comment: the newline in the name is escaped")
        #expect(text.contains("-- Source: Tests we\"ird'; DROP TABLE x; --\\n$$"))
    }

    @Test("outside-transaction steps keep their marker and invalid-index name through a round trip")
    func outsideTransaction() throws {
        let index = QualifiedName("public", "odd\nname\"")
        let m = Migration(version: 3, name: "cic", source: "t", steps: [
            .outsideTransaction("CREATE INDEX CONCURRENTLY IF NOT EXISTS \(index.sql) ON public.t (a)", rebuildsInvalidIndex: index),
        ])
        let text = MigrationFile.render(m)
        let parsed = try MigrationFile.parse(text, fileName: "0003_cic.sql")
        #expect(parsed.steps == m.steps)
        // psql route: the CIC sits between COMMIT and BEGIN, never inside a transaction block.
        let lines = text.split(separator: "\n").map(String.init)
        let cic = lines.firstIndex { $0.hasPrefix("CREATE INDEX CONCURRENTLY") }!
        #expect(lines[..<cic].last { $0 == "BEGIN;" || $0 == "COMMIT;" } == "COMMIT;")
    }

    @Test("editing a step by hand breaks the checksum and names the file")
    func tamper() {
        let text = MigrationFile.render(migration).replacingOccurrences(of: "SELECT ';'", with: "SELECT 'x'")
        #expect(throws: SchemaError.self) { try MigrationFile.parse(text, fileName: "0012_hostile_names.sql") }
    }

    @Test("bad migrations are refused with a message naming them")
    func validation() throws {
        let noSteps = Migration(version: 1, name: "empty", source: "t", steps: [])
        #expect(throws: SchemaError("migration 0001_empty.sql has no steps")) { try MigrationFile.validate(noSteps) }
        let badName = Migration(version: 1, name: "Bad Name", source: "t", steps: [MigrationStep("SELECT 1")])
        #expect(throws: SchemaError.self) { try MigrationFile.validate(badName) }
        let semicolon = Migration(version: 1, name: "semi", source: "t", steps: [MigrationStep("SELECT 1;")])
        #expect(throws: SchemaError.self) { try MigrationFile.validate(semicolon) }
        let gap = try Catalog(modules: [Module("m", summary: "t", migrations: [
            Migration(module: "m", version: 2, name: "two", source: "t", steps: [MigrationStep("SELECT 1")]),
        ])])
        #expect(throws: SchemaError("module m: migration versions must be 1, 2, 3… in order; found 2 at position 1")) { try gap.validate() }
    }

    @Test("the repeatable set renders and parses back, one checksum per object")
    func repeatableRoundTrip() throws {
        let objects = [
            RepeatableObject(kind: .function, key: "function \(hostile)", source: "t",
                             statements: ["CREATE OR REPLACE FUNCTION public.g() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$", "REVOKE ALL ON FUNCTION public.g() FROM PUBLIC"],
                             dropStatements: ["DROP FUNCTION IF EXISTS public.g()"]),
        ]
        let text = RepeatableSetFile.render(objects, module: "m")
        #expect(try RepeatableSetFile.parse(text) == objects)
        let edited = text.replacingOccurrences(of: "SELECT 1 $$", with: "SELECT 2 $$")
        #expect(throws: SchemaError.self) { try RepeatableSetFile.parse(edited) }
    }

    @Test("the project catalog validates and renders deterministically")
    func projectCatalog() throws {
        let catalog = ProjectCatalog.catalog
        try catalog.validate()
        #expect(try catalog.renderedFiles() == ProjectCatalog.catalog.renderedFiles())
        #expect(try catalog.renderedFiles().keys.sorted().prefix(3) == [
            "MODULES", "auth/migrations/0001_auth_shim.sql", "auth/migrations/0002_auth_uid_claim_errors.sql",
        ])
    }

    @Test("RELEASED parses, refuses going backwards, and freezes through the newest release")
    func releaseMarker() throws {
        let marker = try ReleaseMarker.parse("# comment\n0.1 1\n0.2 4 # note\n")
        #expect(marker.frozenThrough == 4)
        #expect(try ReleaseMarker.parse(marker.render()) == marker)
        #expect(throws: SchemaError.self) { try ReleaseMarker.parse("0.1 4\n0.2 2\n") }
        #expect(try ReleaseMarker.parse("").frozenThrough == 0)
        let modules = try ReleaseMarker.parse("0.1 4\n0.2 8\n0.3 core=2 gig_responses=1\n0.4 core=3\n")
        #expect(modules.frozenThrough == 8)
        #expect(modules.frozenThrough(module: "core") == 3 && modules.frozenThrough(module: "gig_responses") == 1)
        #expect(modules.frozenThrough(module: "auth") == 0)
        #expect(try ReleaseMarker.parse(modules.render()) == modules)
        #expect(throws: SchemaError.self) { try ReleaseMarker.parse("0.3 core=2\n0.4 core=1\n") }
        #expect(throws: SchemaError.self) { try ReleaseMarker.parse("0.3 Core=x\n") }
    }
}
