import Foundation
import InvariantsTypedCalls
import ModelWorkRecord
import Testing

/// The typed calls agree with the declarations they are derived from (no database needed).
@Suite("Seed 000: typed calls derived from the declared functions")
struct ModelWorkRecordCallsTests {
    @Test("every call's Swift argument and row types match the declared arguments and result columns")
    func callsMatchDeclarations() {
        for call in ModelWorkRecordCalls.all {
            #expect(call.mismatches == [], "\(call.function.name)")
        }
    }

    @Test("the SQL comes from the declaration")
    func sqlFromDeclaration() {
        #expect(ModelWorkRecordCalls.dismissModel.sql == """
            SELECT dismissed, config_version, selected_models, dismissal_count \
            FROM "public"."dismiss_model"($1::uuid, $2::text, $3::text)
            """)
        #expect(ModelWorkRecordCalls.recordModelResponse.function.returns
            == "TABLE (response_count bigint, first_used_at timestamp with time zone, last_used_at timestamp with time zone)")
    }

    @Test("a Date decoded from a text column, or a missing argument, is reported")
    func disagreementIsReported() {
        let function = ModelWorkRecordCalls.myLeaderboard.function
        let wrong = DeclaredCall(function, arguments: Void.self, row: (Int64, Date, Int64, Int64, Int64).self)
        #expect(wrong.mismatches == [
            "public.my_model_leaderboard declares 1 arguments, the call binds 0",
            "public.my_model_leaderboard column model_id is text, decoded as Date",
        ])
    }
}
