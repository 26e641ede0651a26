/// The project's own SQLSTATE codes: one table used by the generated SQL
/// (`RAISE … USING ERRCODE = …`) and by the client's error mapping alike.
///
/// Class `IV` is not used by PostgreSQL, so these never collide with a server error.
/// Functions that reject input name the offending field with `USING COLUMN = '…'`,
/// which reaches the client as the error's column field.
public enum ProjectErrorCode: String, Sendable, CaseIterable {
    /// A state machine refused a transition; the message names both states.
    case illegalTransition = "IV001"
    /// The caller may not touch this row (another user's or workspace's).
    case forbidden = "IV403"
    /// The row does not exist, or is not visible to the caller.
    case notFound = "IV404"
    /// A concurrent or stale write lost (e.g. a config saved with an old version).
    case conflict = "IV409"
    /// Bad input; the COLUMN field names the input.
    case invalidInput = "IV422"

    /// One line for people (the `invariants.error_codes` table, docs).
    public var summary: String {
        switch self {
        case .illegalTransition: "a state machine refused a transition; the message names both states"
        case .forbidden: "the caller may not touch this row"
        case .notFound: "the row does not exist or is not visible to the caller"
        case .conflict: "a concurrent or stale write lost, or the change was already made"
        case .invalidInput: "bad input; the COLUMN field names the input"
        }
    }
}
