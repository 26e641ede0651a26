public import Foundation
public import InvariantsSchema
public import PostgresNIO

/// A Swift type that a declared SQL type (`ColumnType`) is written as in a typed call: an
/// argument bound to it, or a result column decoded into it.
///
/// The mapping is deliberately exact — `bigint` is `Int64`, not any integer PostgresNIO would
/// accept — so a declaration that changes a column's type makes the typed call's unit test fail
/// instead of silently widening or truncating:
///
/// | ColumnType | Swift |
/// |---|---|
/// | `uuid` | `UUID` |
/// | `text`, `varchar` | `String` |
/// | `smallint` / `integer` / `bigint` | `Int16` / `Int32` / `Int64` |
/// | `boolean` | `Bool` |
/// | `real` / `double precision` | `Float` / `Double` |
/// | `numeric` | `Decimal` |
/// | `timestamptz`, `timestamp`, `date` | `Date` |
/// | `text[]` | `[String]` |
///
/// `Optional<T>` stands for what `T` stands for (SQL values are nullable; a function's result
/// columns always are).
public protocol DeclaredSQLValue {
    /// Whether a value declared as `type` is written as this Swift type.
    static func represents(_ type: ColumnType) -> Bool
}

/// A Swift type a declared result column decodes into.
public protocol DeclaredColumnValue: DeclaredSQLValue, PostgresDecodable {}

/// A Swift type a declared argument is bound from.
public protocol DeclaredArgumentValue: DeclaredSQLValue, Sendable {
    /// Appends the value as one bind parameter.
    func bind(into bindings: inout PostgresBindings) throws
    /// The value as PostgreSQL's text input form, for `invariants.call_as`, whose arguments are
    /// `text[]` (`nil` is SQL NULL).
    var sqlText: String? { get }
}

extension DeclaredArgumentValue where Self: PostgresThrowingDynamicTypeEncodable {
    public func bind(into bindings: inout PostgresBindings) throws { try bindings.append(self) }
}

extension UUID: DeclaredColumnValue, DeclaredArgumentValue {
    public static func represents(_ type: ColumnType) -> Bool { type == .uuid }
    public var sqlText: String? { uuidString }
}

extension String: DeclaredColumnValue, DeclaredArgumentValue {
    public static func represents(_ type: ColumnType) -> Bool {
        switch type {
        case .text, .varchar: true
        default: false
        }
    }
    public var sqlText: String? { self }
}

extension Int16: DeclaredColumnValue, DeclaredArgumentValue {
    public static func represents(_ type: ColumnType) -> Bool { type == .smallint }
    public var sqlText: String? { String(self) }
}

extension Int32: DeclaredColumnValue, DeclaredArgumentValue {
    public static func represents(_ type: ColumnType) -> Bool { type == .integer }
    public var sqlText: String? { String(self) }
}

extension Int64: DeclaredColumnValue, DeclaredArgumentValue {
    public static func represents(_ type: ColumnType) -> Bool { type == .bigint }
    public var sqlText: String? { String(self) }
}

extension Bool: DeclaredColumnValue, DeclaredArgumentValue {
    public static func represents(_ type: ColumnType) -> Bool { type == .boolean }
    public var sqlText: String? { self ? "true" : "false" }
}

extension Float: DeclaredColumnValue, DeclaredArgumentValue {
    public static func represents(_ type: ColumnType) -> Bool { type == .real }
    public var sqlText: String? { "\(self)" }
}

extension Double: DeclaredColumnValue, DeclaredArgumentValue {
    public static func represents(_ type: ColumnType) -> Bool { type == .doublePrecision }
    public var sqlText: String? { "\(self)" }
}

extension Decimal: DeclaredColumnValue, DeclaredArgumentValue {
    public static func represents(_ type: ColumnType) -> Bool {
        if case .numeric = type { return true }
        return false
    }
    public var sqlText: String? { "\(self)" }
}

extension Date: DeclaredColumnValue, DeclaredArgumentValue {
    public static func represents(_ type: ColumnType) -> Bool {
        switch type {
        case .timestamptz, .timestamp, .date: true
        default: false
        }
    }
    /// ISO 8601 with fractional seconds, in UTC.
    public var sqlText: String? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: self)
    }
}

extension Array: DeclaredSQLValue where Element == String {
    public static func represents(_ type: ColumnType) -> Bool { type == .array(.text) }
}

extension Array: DeclaredColumnValue where Element == String {}

extension Array: DeclaredArgumentValue where Element == String {
    /// `{"a","b"}`: every element quoted, `"` and `\` escaped.
    public var sqlText: String? {
        "{" + map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }
}

extension Optional: DeclaredSQLValue where Wrapped: DeclaredSQLValue {
    public static func represents(_ type: ColumnType) -> Bool { Wrapped.represents(type) }
}

extension Optional: DeclaredColumnValue where Wrapped: DeclaredColumnValue, Wrapped._DecodableType == Wrapped {}

extension Optional: DeclaredArgumentValue where Wrapped: DeclaredArgumentValue {
    public func bind(into bindings: inout PostgresBindings) throws {
        switch self {
        case .none: bindings.appendNull()
        case .some(let value): try value.bind(into: &bindings)
        }
    }
    public var sqlText: String? { self?.sqlText }
}
