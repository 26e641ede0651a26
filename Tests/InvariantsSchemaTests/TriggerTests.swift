import InvariantsSchema
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedApps
import SupportChat

@Suite struct TriggerTests {
    static let items = QualifiedName("public", "items")
    static let noop = QualifiedName("public", "items_noop")

    @Test func rowTriggerWithUpdateOfAndWhen() {
        let trigger = Trigger(
            "items_touch", on: Self.items, .before, [.insert, .update(of: ["title", "body"])],
            when: "NEW.\"title\" IS NOT NULL", executing: Self.noop)
        #expect(trigger.createSQL == """
            CREATE OR REPLACE TRIGGER "items_touch"
                BEFORE INSERT OR UPDATE OF "title", "body" ON "public"."items"
                FOR EACH ROW
                WHEN (NEW."title" IS NOT NULL)
                EXECUTE FUNCTION "public"."items_noop"()
            """)
        #expect(trigger.dropSQL == #"DROP TRIGGER IF EXISTS "items_touch" ON "public"."items""#)
        #expect(trigger.key == "trigger public.items.items_touch")
        #expect(trigger.validationErrors().isEmpty)
        let object = trigger.repeatableObject(source: "Test")
        #expect(object == RepeatableObject(
            kind: .trigger, key: "trigger public.items.items_touch", source: "Test",
            statements: [trigger.createSQL], dropStatements: [trigger.dropSQL]))
    }

    @Test func statementTriggerWithTransitionTablesAndArguments() {
        let trigger = Trigger(
            "items_moved", on: Self.items, .after, [.update], level: .statement,
            referencing: .init(old: "old_rows", new: "New Rows"), executing: Self.noop, arguments: ["it's", "2"])
        #expect(trigger.createSQL == """
            CREATE OR REPLACE TRIGGER "items_moved"
                AFTER UPDATE ON "public"."items"
                REFERENCING OLD TABLE AS old_rows NEW TABLE AS "New Rows"
                FOR EACH STATEMENT
                EXECUTE FUNCTION "public"."items_noop"('it''s', '2')
            """)
        #expect(trigger.validationErrors().isEmpty)
        let truncate = Trigger("items_truncate", on: Self.items, .after, [.truncate], level: .statement, executing: Self.noop)
        #expect(truncate.createSQL.contains("\n    AFTER TRUNCATE ON \"public\".\"items\"\n    FOR EACH STATEMENT\n"))
        #expect(truncate.validationErrors().isEmpty)
        // `.update` is `.update(of: [])`: every UPDATE.
        #expect(Trigger.Event.update == .update(of: []))
        #expect(Trigger.Event.update.sql == "UPDATE")
    }

    @Test func hostileNamesStayQuotedAndKeysUnambiguous() {
        let trigger = Trigger(
            "t\"; DROP TABLE x; --", on: QualifiedName("we\"ird", "Items"), .after, [.delete],
            executing: QualifiedName("public", "f\"n"))
        #expect(trigger.createSQL.hasPrefix(#"CREATE OR REPLACE TRIGGER "t""; DROP TABLE x; --""#))
        #expect(trigger.createSQL.hasSuffix(#"EXECUTE FUNCTION "public"."f""n"()"#))
        #expect(trigger.dropSQL == #"DROP TRIGGER IF EXISTS "t""; DROP TABLE x; --" ON "we""ird"."Items""#)
        #expect(trigger.key == #"trigger "we""ird"."Items"."t""; DROP TABLE x; --""#)
    }

    /// The declaration kinds keep the keys and text databases already migrated have.
    @Test func declarationKindsRenderTheirTriggersAsValues() {
        let updatedAt = UpdatedAt(table: QualifiedName("public", "sessions"), updateColumns: ["title"])
        #expect(updatedAt.trigger.key == "trigger public.sessions.zz_invariants_updated_at")
        #expect(updatedAt.triggerSQL == """
            CREATE OR REPLACE TRIGGER "zz_invariants_updated_at"
                BEFORE INSERT OR UPDATE OF "title" ON "public"."sessions"
                FOR EACH ROW
                EXECUTE FUNCTION "invariants"."touch_updated_at"()
            """)
        #expect(updatedAt.repeatableObjects()[1].dropStatements
            == [#"DROP TRIGGER IF EXISTS "zz_invariants_updated_at" ON "public"."sessions""#])
    }

    @Test func everyCatalogTriggerIsAValidValue() throws {
        let triggers = ProjectCatalog.catalog.repeatables.filter { $0.kind == .trigger }
        #expect(triggers.count >= 20)
        for object in triggers {
            #expect(object.statements[0].hasPrefix("CREATE OR REPLACE TRIGGER "), "\(object.key)")
            // After it, only the removal of a bridge a migration installed (PolymorphicKey).
            #expect(object.statements.dropFirst().allSatisfy { $0.hasPrefix("DROP TRIGGER IF EXISTS ") || $0.hasPrefix("DROP FUNCTION IF EXISTS ") },
                    "\(object.key)")
            #expect(object.statements.count == 1 || object.statements[1].contains("_until_installed"), "\(object.key)")
            #expect(object.dropStatements.count == 1 && object.dropStatements[0].hasPrefix("DROP TRIGGER IF EXISTS "), "\(object.key)")
        }
        let views = ProjectCatalog.catalog.repeatables.filter { $0.kind == .view }
        for object in views {
            #expect(object.dropStatements.count == 1 && object.dropStatements[0].hasPrefix("DROP VIEW IF EXISTS "), "\(object.key)")
        }
    }

    /// Each refused declaration: the sentence `validationErrors()` must contain, and what
    /// PostgreSQL says when the same statement is run anyway.
    static let refused: [(Trigger, String, String)] = [
        (Trigger("t", on: items, .after, [.insert, .delete], level: .statement,
                 referencing: .init(new: "new_rows"), executing: noop),
         "more than one event", "transition tables cannot be specified for triggers with more than one event"),
        (Trigger("t", on: items, .after, [.update(of: ["title"])], level: .statement,
                 referencing: .init(old: "old_rows"), executing: noop),
         "with a column list", "transition tables cannot be specified for triggers with column lists"),
        (Trigger("t", on: items, .before, [.insert], referencing: .init(new: "new_rows"), executing: noop),
         "need an AFTER trigger", "can only be specified for an AFTER trigger"),
        (Trigger("t", on: items, .after, [.insert], level: .statement, referencing: .init(old: "old_rows"), executing: noop),
         "OLD TABLE needs an UPDATE or DELETE event", "OLD TABLE can only be specified for a DELETE or UPDATE trigger"),
        (Trigger("t", on: items, .after, [.update], level: .statement, when: "NEW.title IS NOT NULL", executing: noop),
         "statement-level trigger's WHEN condition cannot reference NEW or OLD", "cannot reference column values"),
        (Trigger("t", on: items, .after, [.insert, .update], when: "OLD.title IS DISTINCT FROM NEW.title", executing: noop),
         "INSERT trigger's WHEN condition cannot reference OLD", "INSERT trigger's WHEN condition cannot reference OLD values"),
        (Trigger("t", on: items, .after, [.delete], when: "new.title = 'x'", executing: noop),
         "DELETE trigger's WHEN condition cannot reference NEW", "DELETE trigger's WHEN condition cannot reference NEW values"),
        (Trigger("t", on: items, .after, [.truncate], executing: noop),
         "TRUNCATE triggers must be FOR EACH STATEMENT", "TRUNCATE FOR EACH ROW triggers are not supported"),
        (Trigger("t", on: QualifiedName("public", "items_view"), .insteadOf, [.insert], level: .statement, executing: noop),
         "INSTEAD OF triggers must be FOR EACH ROW", "INSTEAD OF triggers must be FOR EACH ROW"),
    ]

    @Test func validationRefusesWhatPostgresRefuses() {
        for (trigger, sentence, _) in Self.refused {
            let errors = trigger.validationErrors()
            #expect(errors.contains { $0.hasPrefix("trigger public.items") && $0.contains(sentence) },
                    "\(errors) should mention \(sentence)")
        }
        let empty = Trigger("", on: Self.items, .after, [], executing: QualifiedName("public", ""))
        #expect(empty.validationErrors().count == 3)
        let twice = Trigger("t", on: Self.items, .before, [.update, .update(of: ["a"]), .insert], executing: Self.noop)
        #expect(twice.validationErrors() == ["trigger public.items.t: UPDATE is listed more than once"])
        let repeatedColumn = Trigger("t", on: Self.items, .before, [.update(of: ["a", "a"])], executing: Self.noop)
        #expect(repeatedColumn.validationErrors() == ["trigger public.items.t: UPDATE OF names a column twice"])
        let long = Trigger(String(repeating: "x", count: 64), on: Self.items, .before, [.insert], executing: Self.noop)
        #expect(long.validationErrors().contains { $0.hasSuffix("the name is longer than 63 bytes") })
        let insteadOf = Trigger("t", on: Self.items, .insteadOf, [.update(of: ["a"])], when: "true", executing: Self.noop)
        #expect(insteadOf.validationErrors().count == 2)
    }

    @Test func rowReferencesIgnoreQuotedNamesAndStrings() {
        // A column named "new", a string 'OLD' and a word that merely contains "new" are no references.
        let condition = #"NEW."new" = 'OLD' AND renewed AND "old" IS NULL"#
        let insertOnly = Trigger("t", on: Self.items, .before, [.insert], when: condition, executing: Self.noop)
        #expect(insertOnly.validationErrors().isEmpty)
        let statement = Trigger("t", on: Self.items, .after, [.insert], level: .statement,
                                when: #"'NEW.x' IS NOT NULL AND "old" = 1"#, executing: Self.noop)
        #expect(statement.validationErrors().isEmpty)
    }

    @Test func rendersWhatPostgresAcceptsAndRefusesTheRest() async throws {
        let pg = try await TestPostgres.make()
        defer { Task { await pg.stop() } }
        try await pg.psql("""
            CREATE TABLE public.items (id int PRIMARY KEY, title text, body text);
            CREATE VIEW public.items_view AS SELECT * FROM public.items;
            CREATE FUNCTION public.items_noop() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
            """)
        let accepted = [
            Trigger("a_row", on: Self.items, .before, [.insert, .update(of: ["title", "body"])],
                    when: "NEW.title IS NOT NULL", executing: Self.noop),
            Trigger("b_update", on: Self.items, .after, [.update], when: "OLD.title IS DISTINCT FROM NEW.title\n        OR OLD.body IS DISTINCT FROM NEW.body",
                    executing: Self.noop),
            Trigger("c_moved", on: Self.items, .after, [.update], level: .statement,
                    referencing: .init(old: "old_rows", new: "new_rows"), executing: Self.noop, arguments: ["it's"]),
            Trigger("d_truncate", on: Self.items, .after, [.truncate], level: .statement, executing: Self.noop),
        ]
        for trigger in accepted {
            #expect(trigger.validationErrors().isEmpty)
            try await pg.psql(trigger.createSQL + ";\n" + trigger.createSQL + ";")  // OR REPLACE: idempotent
        }
        #expect(try await pg.psql("""
            SELECT string_agg(tgname || ':' || tgnargs, ',' ORDER BY tgname) FROM pg_trigger
            WHERE tgrelid = 'public.items'::regclass AND NOT tgisinternal;
            """) == "a_row:0,b_update:0,c_moved:1,d_truncate:0")
        #expect(try await pg.psql("""
            SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'c_moved';
            """).contains("REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT"))
        for (trigger, _, message) in Self.refused {
            let error = await #expect(throws: (any Error).self) { try await pg.psql(trigger.createSQL + ";") }
            #expect("\(error.map { "\($0)" } ?? "")".contains(message), "\(String(describing: error))")
        }
        for trigger in accepted { try await pg.psql(trigger.dropSQL + ";\n" + trigger.dropSQL + ";") }
        #expect(try await pg.psql("""
            SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.items'::regclass AND NOT tgisinternal;
            """) == "0")
    }
}
