public import InvariantsSchema
public import Invariants
public import PostgresNIO

// Typed calls derived from declarations (issue 14).
//
// Why a target of its own: a typed call needs the declaration (``StoredFunction``, its
// ``StoredFunction/Argument``s and ``StoredFunction/ResultColumn``s — InvariantsSchema) and the
// client core's call machinery (`invariants.call_as`, ``ContextCallStatement`` — Invariants).
// The client core must not depend on the declaration layer (an app linking only the client
// stays free of the renderer), and the derivation is the same for every app, so it lives here,
// between the two: InvariantsSchema + Invariants + PostgresNIO, nothing else. Apps (which
// already see both) depend on it; the client core and the renderer know nothing of it.

/// The Swift types of a declared function's arguments, in order: `DeclaredArguments<UUID, Bool>`.
/// (A generic type may hold one parameter pack only, so a ``DeclaredCall`` keeps its argument
/// types in this one and its row types in its own.)
public protocol DeclaredArgumentList {
    /// The arguments as one value: a tuple, a single value, or `()`.
    associatedtype Values
    /// The Swift type of each argument, to check against the declaration.
    static var types: [any DeclaredArgumentValue.Type] { get }
    /// Appends each value as one bind parameter, in order.
    static func bind(_ values: Values, into bindings: inout PostgresBindings) throws
    /// Each value as text (`invariants.call_as` takes its arguments as `text[]`).
    static func sqlText(_ values: Values) -> [String?]
}

/// The argument list of a ``DeclaredCall``: one Swift type per declared argument, in order.
public struct DeclaredArguments<each Argument: DeclaredArgumentValue>: DeclaredArgumentList {
    public typealias Values = (repeat each Argument)

    public static var types: [any DeclaredArgumentValue.Type] {
        var types: [any DeclaredArgumentValue.Type] = []
        repeat types.append((each Argument).self)
        return types
    }

    public static func bind(_ values: (repeat each Argument), into bindings: inout PostgresBindings) throws {
        repeat try (each values).bind(into: &bindings)
    }

    public static func sqlText(_ values: (repeat each Argument)) -> [String?] {
        var texts: [String?] = []
        repeat texts.append((each values).sqlText)
        return texts
    }
}

/// What a test needs of any typed call: its declaration and where the Swift side disagrees.
public protocol DeclaredCallShape: Sendable {
    /// The declared function the call runs.
    var function: StoredFunction { get }
    /// Empty when the Swift argument and row types agree with the declaration.
    var mismatches: [String] { get }
}

/// A typed call of a declared set-returning function: the SQL and the column definition list
/// come from the `StoredFunction` (its arguments and `resultColumns`), the Swift side is the
/// argument and row types given once, here:
///
/// ```swift
/// static let counts = DeclaredCall(
///     GigResponsesFunctions.counts, arguments: (UUID, UUID).self, row: (Int64, Int64, Int64, Int64, Bool).self)
/// ```
///
/// The compiler keeps every use of the call to those Swift types (``query(_:)`` takes exactly
/// the arguments, `decode(_:)` returns exactly the row); ``mismatches`` compares them with the
/// declaration, and each app's unit tests assert it is empty — so a declaration and its call
/// that disagree fail a test without a database.
public struct DeclaredCall<Arguments: DeclaredArgumentList, each Column: DeclaredColumnValue>: DeclaredCallShape {
    /// The declared function the call runs.
    public let function: StoredFunction

    /// The call of `function` with these Swift argument and row types (given as types, e.g.
    /// `(UUID, Bool).self`); ``mismatches`` says where they disagree with the declaration.
    public init<each Argument>(
        _ function: StoredFunction, arguments: (repeat each Argument).Type, row: (repeat each Column).Type
    ) where Arguments == DeclaredArguments<repeat each Argument> {
        self.function = function
    }

    /// The call of a `PrivilegedFunction`'s entry point (its declared name, arguments and
    /// result: the API the app exposes).
    public init<each Argument>(
        _ function: PrivilegedFunction, arguments: (repeat each Argument).Type, row: (repeat each Column).Type
    ) where Arguments == DeclaredArguments<repeat each Argument> {
        self.function = function.function
    }

    /// The declared result columns (empty when the function declares none: see ``mismatches``).
    public var columns: [StoredFunction.ResultColumn] { function.resultColumns ?? [] }

    /// `name type, …`, as in the function's `RETURNS TABLE (…)`.
    public var columnDefinitionList: String { StoredFunction.columnDefinitionList(columns) }

    /// `name, …`: every declared column, in order.
    public var selectList: String { columns.map(\.nameSQL).joined(separator: ", ") }

    /// `SELECT <columns> FROM "schema"."fn"($1::type, …)`: one bind parameter per argument.
    public var sql: String {
        let arguments = function.arguments.enumerated().map { "$\($0.offset + 1)::\($0.element.type.sql)" }
        return "SELECT \(selectList) FROM \(function.name.sql)(\(arguments.joined(separator: ", ")))"
    }

    /// The statement for `invariants.call_as`, whose arguments are one `text[]`:
    /// `SELECT <columns> FROM "schema"."fn"(($1)[1]::type, …)`.
    public var callAsStatement: String {
        let arguments = function.arguments.enumerated().map { "($1)[\($0.offset + 1)]::\($0.element.type.sql)" }
        return "SELECT \(selectList) FROM \(function.name.sql)(\(arguments.joined(separator: ", ")))"
    }

    /// The prepared form over `invariants.call_as` (for a `ContextCallStatement`'s `sql`):
    /// binds role, claims, arguments (`text[]`).
    public var callAsPreparedSQL: String {
        InvariantsClient.callAsSQL(
            statement: "'" + callAsStatement.replacingOccurrences(of: "'", with: "''") + "'", arguments: "$3",
            returning: columnDefinitionList)
    }

    /// ``sql`` with `arguments` bound.
    public func query(_ arguments: Arguments.Values) throws -> PostgresQuery {
        var bindings = PostgresBindings(capacity: function.arguments.count)
        try Arguments.bind(arguments, into: &bindings)
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    /// `arguments` as the `text[]` ``callAsStatement`` takes.
    ///
    /// - Throws: `.invalidInput` naming the argument when one is NULL (PostgresNIO binds no
    ///   array with NULL elements; run such a call with ``query(_:)`` instead).
    public func callAsArguments(_ arguments: Arguments.Values) throws(InvariantsError) -> [String] {
        var texts: [String] = []
        for (index, text) in Arguments.sqlText(arguments).enumerated() {
            guard let text else {
                let name = index < function.arguments.count ? function.arguments[index].name : "$\(index + 1)"
                throw InvariantsError(.invalidInput, "\(function.name) argument \(name) is NULL", column: name)
            }
            texts.append(text)
        }
        return texts
    }

    /// One row as the declared Swift types.
    public func decode(_ row: PostgresRow) throws -> (repeat each Column) {
        try row.decode((repeat each Column).self)
    }

    /// Every row as the declared Swift types.
    public func decode(_ rows: PostgresRowSequence) async throws -> [(repeat each Column)] {
        var decoded: [(repeat each Column)] = []
        for try await row in rows { decoded.append(try decode(row)) }
        return decoded
    }

    /// The Swift type of each row column, in order.
    public static var rowTypes: [any DeclaredColumnValue.Type] {
        var types: [any DeclaredColumnValue.Type] = []
        repeat types.append((each Column).self)
        return types
    }

    /// Where the Swift argument and row types disagree with the declaration; empty when they agree.
    public var mismatches: [String] {
        var problems: [String] = []
        let name = function.name.description
        if function.resultColumns == nil { problems.append("\(name) declares no result columns (returns \(function.returns))") }
        let argumentTypes = Arguments.types
        if argumentTypes.count != function.arguments.count {
            problems.append("\(name) declares \(function.arguments.count) arguments, the call binds \(argumentTypes.count)")
        }
        for (argument, swift) in zip(function.arguments, argumentTypes) where !swift.represents(argument.type) {
            problems.append("\(name) argument \(argument.name) is \(argument.type.sql), bound from \(swift)")
        }
        let rowTypes = Self.rowTypes
        if rowTypes.count != columns.count {
            problems.append("\(name) declares \(columns.count) result columns, the row decodes \(rowTypes.count)")
        }
        for (column, swift) in zip(columns, rowTypes) where !swift.represents(column.type) {
            problems.append("\(name) column \(column.name) is \(column.type.sql), decoded as \(swift)")
        }
        return problems
    }
}
