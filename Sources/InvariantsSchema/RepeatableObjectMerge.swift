/// Two declarations rendered different objects under one ledger key.
public struct RepeatableObjectConflict: Error, Hashable, Sendable, CustomStringConvertible {
    public var key: String
    public var firstSource: String
    public var secondSource: String

    public var description: String {
        "repeatable object \(SQLText.commentSafe(key)) is rendered differently by "
            + "\(SQLText.commentSafe(firstSource)) and \(SQLText.commentSafe(secondSource))"
    }
}

extension RepeatableObject {
    /// Merges lists of repeatable objects into one, deterministically:
    /// objects with the same key and the same statements collapse into the first one
    /// (e.g. the trigger function several ``UpdatedAt`` declarations share); the result
    /// is ordered by ``Kind`` (functions before triggers before views…), and within a kind
    /// by first appearance, so dependencies are created before their users.
    ///
    /// - Throws: ``RepeatableObjectConflict`` when one key carries different statements.
    public static func merged(_ lists: [[RepeatableObject]]) throws(RepeatableObjectConflict) -> [RepeatableObject] {
        var byKey: [String: RepeatableObject] = [:]
        var order: [String] = []
        for object in lists.joined() {
            if let existing = byKey[object.key] {
                guard existing.kind == object.kind, existing.statements == object.statements,
                    existing.dropStatements == object.dropStatements
                else {
                    throw RepeatableObjectConflict(
                        key: object.key, firstSource: existing.source, secondSource: object.source)
                }
            } else {
                byKey[object.key] = object
                order.append(object.key)
            }
        }
        let objects = order.enumerated().map { ($0.offset, byKey[$0.element]!) }
        return objects.sorted { ($0.1.kind, $0.0) < ($1.1.kind, $1.0) }.map(\.1)
    }
}
