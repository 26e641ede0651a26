import InvariantsSchema
import Testing

@Suite struct RenderingTests {
    @Test func hostileIdentifiersAreQuoted() {
        let sql = Fixtures.hostile.createSteps().map(\.sql).joined(separator: "\n")
        #expect(sql.contains(SQLText.identifier(Fixtures.hostileTable)))
        #expect(sql.contains("\"t\"\"; CREATE TABLE pwned(); --'$$\n$fn$ x\""))
        #expect(sql.contains("\"c\"\"'); DROP TABLE pwned; $$ $fn$\r\n--\" text"))
        #expect(sql.contains("IS 'it''s\"; DROP TABLE pwned; --\n$$ ok'"))
        #expect(SQLText.identifier("a\"b") == "\"a\"\"b\"")
        #expect(SQLText.literal("it's") == "'it''s'")
        // A quote followed by a combining mark is one Swift Character, but still a quote byte.
        #expect(SQLText.identifier("\"\u{301}") == "\"\"\"\u{301}\"")
        #expect(SQLText.literal("'\u{301}") == "'''\u{301}'")
    }

    @Test func commentsStayOnOneLine() {
        #expect(SQLText.commentSafe("a\nDROP TABLE x;\r\u{2028}b") == "a\\nDROP TABLE x;\\r\\u{2028}b")
        let objects = Fixtures.hostileUpdatedAt.repeatableObjects()
        let body = objects[0].statements[0]
        let commentLines = body.split(separator: "\n").filter { $0.contains("-- Invariant updated_at on column") }
        #expect(commentLines.count == 1)
        #expect(commentLines[0].hasSuffix(": the server clock owns it."))
    }

    @Test func dollarQuoteTagAvoidsTheBody() {
        #expect(DollarQuote.tag(for: "SELECT 1") == "$fn$")
        #expect(DollarQuote.tag(for: "x $fn$ y") == "$fn1$")
        #expect(DollarQuote.tag(for: "$fn$ $fn1$ $fn2$") == "$fn3$")
        #expect(DollarQuote.tag(for: "$fn$\u{301}") == "$fn1$")
        #expect(DoBlock("BEGIN RAISE NOTICE '$do$'; END").sql == "DO $do1$\nBEGIN RAISE NOTICE '$do$'; END\n$do1$")
        // The hostile column name holds $fn$ and $fn1$, so the function body needs $fn2$.
        let create = Fixtures.hostileUpdatedAt.function.createSQL
        #expect(create.contains("AS $fn2$\n"))
        #expect(create.hasSuffix("\n$fn2$"))
    }

    @Test func derivedNamesFollowPostgresAndFitIn63Bytes() {
        let t = Fixtures.sessions
        let names = t.constraints.map { $0.resolvedName(table: t.name) }
        #expect(names.prefix(3) == ["sessions_pkey", "sessions_user_id_fkey", "sessions_workspace_id_user_id_fkey"])
        #expect(names.suffix(3) == ["sessions_user_id_workspace_id_key", "sessions_status_check", "sessions_price_non_negative"])
        #expect(t.indexes.map { $0.resolvedName(table: t.name) }
            == ["sessions_user_id_created_at_idx", "sessions_expr_idx", "sessions_config_gin"])
        let long = names[3]
        #expect(long.utf8.count == 63)
        #expect(long.hasPrefix("sessions_reviewer_id_with_a_deliberately_long_name_for_"))
        #expect(long == ObjectName.fitted("sessions_\(Fixtures.longColumn)_fkey"))
        #expect(ObjectName.fitted(String(repeating: "a", count: 70)) != ObjectName.fitted(String(repeating: "a", count: 71)))
        // Multi-byte characters are never cut in half.
        let cyrillic = ObjectName.fitted(String(repeating: "я", count: 40))
        #expect(cyrillic.utf8.count <= 63)
        #expect(cyrillic.hasSuffix(String(cyrillic.suffix(9))) && cyrillic.dropLast(9).allSatisfy { $0 == "я" })
    }

    @Test func columnTypes() {
        let types: [ColumnType] = [
            .uuid, .text, .varchar(nil), .varchar(3), .smallint, .integer, .bigint, .boolean, .real, .doublePrecision,
            .numeric, .numeric(precision: 10, scale: nil), .numeric(precision: 12, scale: 2), .date, .timestamptz,
            .timestamp, .interval, .jsonb, .json, .bytea, .inet, .textArray, .array(.array(.integer)),
            .named(QualifiedName("public", "Status")), .custom("tsvector"),
        ]
        #expect(types.map(\.sql) == [
            "uuid", "text", "character varying", "character varying(3)", "smallint", "integer", "bigint", "boolean",
            "real", "double precision", "numeric", "numeric(10)", "numeric(12, 2)", "date", "timestamp with time zone",
            "timestamp without time zone", "interval", "jsonb", "json", "bytea", "inet", "text[]", "integer[][]",
            "\"public\".\"Status\"", "tsvector",
        ])
    }

    @Test func referentialActions() {
        #expect([ReferentialAction.noAction, .restrict, .cascade, .setNull, .setDefault].map(\.sql)
            == ["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"])
        #expect(ReferentialAction.setDefault(columns: ["a", "b"]).sql == "SET DEFAULT (\"a\", \"b\")")
    }

    @Test func updatedAtKeysAndSharedFunction() throws {
        let keys = Fixtures.updatedAtObjects.map(\.key)
        #expect(keys == [
            "function invariants.touch_public_sessions_updated_at()",
            "function invariants.touch_updated_at()",
            "trigger public.sessions.zz_invariants_updated_at",
            "trigger public.documents.zz_invariants_updated_at",
        ])
        // Tables without generated columns share one function per column name.
        let shared = try RepeatableObject.merged([
            UpdatedAt(table: QualifiedName("public", "a")).repeatableObjects(),
            UpdatedAt(table: QualifiedName("public", "b")).repeatableObjects(),
        ])
        #expect(shared.map(\.key) == [
            "function invariants.touch_updated_at()", "trigger public.a.zz_invariants_updated_at",
            "trigger public.b.zz_invariants_updated_at",
        ])
        #expect(UpdatedAt(Fixtures.sessions).generatedColumns == ["title_lower"])
        let other = UpdatedAt(table: QualifiedName("public", "x"), column: "modified_at").repeatableObjects()
        #expect(other.map(\.key) == ["function invariants.touch_modified_at()", "trigger public.x.zz_invariants_modified_at"])
        // Merging is order-preserving within a kind and puts functions first.
        let merged = try RepeatableObject.merged([[other[1]], Fixtures.updatedAtObjects, [other[0]]])
        #expect(merged.map(\.key) == [
            "function invariants.touch_public_sessions_updated_at()", "function invariants.touch_updated_at()",
            "function invariants.touch_modified_at()",
            "trigger public.x.zz_invariants_modified_at", "trigger public.sessions.zz_invariants_updated_at",
            "trigger public.documents.zz_invariants_updated_at",
        ])
        var changed = other[0]
        changed.statements.append("SELECT 1")
        #expect(throws: RepeatableObjectConflict.self) { try RepeatableObject.merged([[other[0]], [changed]]) }
        // Hostile names are quoted in keys, so keys stay unambiguous.
        #expect(Fixtures.hostileUpdatedAt.repeatableObjects()[1].key.hasPrefix("trigger \"ev\"\"il'"))
    }

    @Test func validationFindsMistakes() {
        let bad = Table("public", "bad") {
            Column("a", .integer)
            Column("a", .text)
            Column("g", .text, default: "'x'", generatedAs: "'y'")
            PrimaryKey("missing")
            ForeignKey(["a"], references: QualifiedName("public", "p"), ["x", "y"], onDelete: .setNull(columns: ["zz"]))
            Check("a > 0", columns: ["a"])
            Check("a < 9", columns: ["a"])
        }
        let errors = bad.validationErrors()
        #expect(errors.contains("public.bad: column a is declared twice"))
        #expect(errors.contains("public.bad: generated column g cannot have a default"))
        #expect(errors.contains("public.bad: constraint bad_pkey names unknown column missing"))
        #expect(errors.contains("public.bad: foreign key column counts differ"))
        #expect(errors.contains("public.bad: ON DELETE column zz is not in the key"))
        #expect(errors.contains("public.bad: name bad_a_check is used twice; give one a name"))
    }
}
