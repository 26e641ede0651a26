import InvariantsSchema
import Testing

/// Owner and tenant RLS are one kind with two predicates; both render what the two earlier
/// kinds rendered, so databases already migrated see no change.
@Suite struct RowLevelSecurityTests {
    static let gigs = Table("public", "gigs") {
        Column("id", .bigint, nullable: false)
        Column("workspace_id", .bigint, nullable: false)
        Column("title", .text, nullable: false)
        PrimaryKey("id")
    }

    @Test func ownerPredicate() {
        let security = RowLevelSecurity.owner(
            Fixtures.sessions, insertColumns: ["user_id", "title"], updateColumns: ["title"], delete: true)
        #expect(security == RowLevelSecurity(
            table: QualifiedName("public", "sessions"), predicate: .owner(column: "user_id"),
            insertColumns: ["user_id", "title"], updateColumns: ["title"], delete: true,
            sequences: [QualifiedName("public", "sessions_seq_seq")]))
        #expect(security.predicate.sql == #"(SELECT "auth"."uid"()) = "user_id""#)
        let objects = security.repeatableObjects()
        #expect(objects.map(\.key) == [
            "table security public.sessions", "policy public.sessions.sessions_owner_select",
            "policy public.sessions.sessions_owner_insert", "policy public.sessions.sessions_owner_update",
            "policy public.sessions.sessions_owner_delete",
        ])
        #expect(Set(objects.map(\.source)) == ["OwnerRowLevelSecurity(public.sessions)"])
        #expect(objects[0].statements == [
            #"ALTER TABLE "public"."sessions" ENABLE ROW LEVEL SECURITY"#,
            #"REVOKE ALL ON TABLE "public"."sessions" FROM PUBLIC, "anon", "authenticated", "service_role""#,
            #"GRANT ALL ON TABLE "public"."sessions" TO "service_role""#,
            #"GRANT SELECT ON TABLE "public"."sessions" TO "authenticated""#,
            #"GRANT INSERT ("user_id", "title") ON TABLE "public"."sessions" TO "authenticated""#,
            #"GRANT UPDATE ("title") ON TABLE "public"."sessions" TO "authenticated""#,
            #"GRANT DELETE ON TABLE "public"."sessions" TO "authenticated""#,
            // The identity column's sequence: exact grants too (Supabase grants ALL by default).
            #"REVOKE ALL ON SEQUENCE "public"."sessions_seq_seq" FROM PUBLIC, "anon", "authenticated", "service_role""#,
            #"GRANT USAGE, SELECT ON SEQUENCE "public"."sessions_seq_seq" TO "service_role""#,
        ])
        #expect(objects[0].dropStatements.isEmpty)  // pruning never switches RLS off
        #expect(objects[3].statements == [
            #"DROP POLICY IF EXISTS "sessions_owner_update" ON "public"."sessions""#,
            """
            CREATE POLICY "sessions_owner_update" ON "public"."sessions"
                AS PERMISSIVE FOR UPDATE TO "authenticated"
                USING ((SELECT "auth"."uid"()) = "user_id")
                WITH CHECK ((SELECT "auth"."uid"()) = "user_id")
            """,
        ])
        #expect(objects[3].dropStatements == [#"DROP POLICY IF EXISTS "sessions_owner_update" ON "public"."sessions""#])
        #expect(objects[2].statements[1].hasSuffix("FOR INSERT TO \"authenticated\"\n    WITH CHECK ((SELECT \"auth\".\"uid\"()) = \"user_id\")"))
        // Read-only: one grant, one policy.
        let readOnly = RowLevelSecurity.owner(table: QualifiedName("public", "stats"), column: "id").repeatableObjects()
        #expect(readOnly.map(\.key) == ["table security public.stats", "policy public.stats.stats_owner_select"])
        #expect(readOnly[1].statements[1].hasSuffix("USING ((SELECT \"auth\".\"uid\"()) = \"id\")"))
    }

    @Test func tenantPredicate() {
        let security = RowLevelSecurity.tenant(
            Self.gigs, membership: Fixtures.workspaceMembers, insertColumns: ["id", "workspace_id", "title"],
            updateColumns: ["title"], delete: true)
        #expect(security.predicate == .tenant(
            column: "workspace_id", membership: QualifiedName("public", "workspace_members"),
            membershipTenantColumn: "workspace_id", membershipUserColumn: "user_id"))
        let member = #""workspace_id" IN (SELECT m."workspace_id" FROM "public"."workspace_members" AS m WHERE m."user_id" = (SELECT "auth"."uid"()))"#
        #expect(security.predicate.sql == member)
        let objects = security.repeatableObjects()
        #expect(objects.map(\.key) == [
            "table security public.gigs", "policy public.gigs.gigs_member_select", "policy public.gigs.gigs_member_insert",
            "policy public.gigs.gigs_member_update", "policy public.gigs.gigs_member_delete",
        ])
        #expect(Set(objects.map(\.source)) == ["TenantRowLevelSecurity(public.gigs)"])
        // The subquery on a line of its own: the condition is too long for the clause's line.
        #expect(objects[3].statements[1] == """
            CREATE POLICY "gigs_member_update" ON "public"."gigs"
                AS PERMISSIVE FOR UPDATE TO "authenticated"
                USING ("workspace_id" IN (
                    SELECT m."workspace_id" FROM "public"."workspace_members" AS m
                    WHERE m."user_id" = (SELECT "auth"."uid"())
                ))
                WITH CHECK ("workspace_id" IN (
                    SELECT m."workspace_id" FROM "public"."workspace_members" AS m
                    WHERE m."user_id" = (SELECT "auth"."uid"())
                ))
            """)
        // Same grants as the owner predicate: one kind.
        let owner = RowLevelSecurity(
            table: security.table, predicate: .owner(column: "user_id"), insertColumns: security.insertColumns,
            updateColumns: security.updateColumns, delete: true)
        #expect(owner.repeatableObjects()[0].statements == objects[0].statements)
        // A workspace is its own tenant: the predicate's column is its id.
        let workspaces = Table("public", "workspaces") {
            Column("id", .bigint, nullable: false)
            PrimaryKey("id")
        }
        let own = RowLevelSecurity.tenant(workspaces, column: "id", membership: Fixtures.workspaceMembers)
        #expect(own.predicate.sql.hasPrefix(#""id" IN (SELECT m."workspace_id" FROM"#))
        #expect(own.repeatableObjects().map(\.key) == ["table security public.workspaces", "policy public.workspaces.workspaces_member_select"])
    }
}
