import Foundation
import GigResponses
import InvariantsSchema
import InvariantsTypedCalls
import Testing

/// The typed calls agree with the declarations they are derived from (no database needed).
@Suite("Seed 004: typed calls derived from the declared functions")
struct GigResponsesCallsTests {
    @Test("every call's Swift argument and row types match the declared arguments and result columns")
    func callsMatchDeclarations() {
        for call in GigResponsesCalls.all {
            #expect(call.mismatches == [], "\(call.function.name)")
        }
    }

    @Test("a row type that disagrees with the declaration is reported: arity and each column's type")
    func disagreementIsReported() {
        let function = GigResponsesCalls.counts.function
        let wrongType = DeclaredCall(function, arguments: (UUID, UUID).self, row: (Int64, Int64, Int64, Int32, Bool).self)
        #expect(wrongType.mismatches == ["public.gig_response_counts column gig_new_responses is bigint, decoded as Int32"])
        let tooShort = DeclaredCall(function, arguments: (UUID, UUID).self, row: (Int64, Int64, Int64, Int64).self)
        #expect(tooShort.mismatches == ["public.gig_response_counts declares 5 result columns, the row decodes 4"])
        let wrongArgument = DeclaredCall(function, arguments: (UUID, String).self, row: (Int64, Int64, Int64, Int64, Bool).self)
        #expect(wrongArgument.mismatches == ["public.gig_response_counts argument p_workspace_id is uuid, bound from String"])
        let optional = DeclaredCall(function, arguments: (UUID?, UUID).self, row: (Int64?, Int64, Int64, Int64, Bool?).self)
        #expect(optional.mismatches == [], "an Optional stands for the same SQL type")
    }

    @Test("the SQL comes from the declaration: RETURNS TABLE, the select list, the column definition list")
    func sqlFromDeclaration() {
        let counts = GigResponsesCalls.counts
        #expect(counts.function.returns
            == #"TABLE (total bigint, "new" bigint, gig_responses bigint, gig_new_responses bigint, is_synced boolean)"#)
        #expect(counts.columnDefinitionList
            == #"total bigint, "new" bigint, gig_responses bigint, gig_new_responses bigint, is_synced boolean"#)
        #expect(counts.sql
            == #"SELECT total, "new", gig_responses, gig_new_responses, is_synced FROM "public"."gig_response_counts"($1::uuid, $2::uuid)"#)
        #expect(counts.callAsPreparedSQL == """
            SELECT * FROM invariants.call_as($1, $2, 'SELECT total, "new", gig_responses, gig_new_responses, is_synced \
            FROM "public"."gig_response_counts"(($1)[1]::uuid, ($1)[2]::uuid)', $3) AS result(total bigint, "new" bigint, \
            gig_responses bigint, gig_new_responses bigint, is_synced boolean)
            """)
        #expect(GigResponsesCalls.syncGig.sql
            == #"SELECT checked, fixed FROM "public"."sync_gig_response_counts"($1::uuid, $2::uuid, $3::boolean)"#)
    }

    @Test("call_as arguments are the declared arguments as text; a NULL one is refused before the call")
    func callAsArguments() throws {
        let gig = UUID(), workspace = UUID()
        #expect(try GigResponsesCalls.counts.callAsArguments((gig, workspace)) == [gig.uuidString, workspace.uuidString])
        let nullable = DeclaredCall(GigResponsesCalls.counts.function, arguments: (UUID?, UUID).self, row: (Int64, Int64, Int64, Int64, Bool).self)
        #expect(throws: (any Error).self) { try nullable.callAsArguments((nil, workspace)) }
    }
}
