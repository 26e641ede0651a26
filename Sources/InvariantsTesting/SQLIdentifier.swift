import Foundation

/// Quotes an identifier for SQL, since database names cannot be bound as parameters.
func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Quotes a `postgresql.conf` value.
func quoteSettingValue(_ value: String) -> String {
    "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
}
