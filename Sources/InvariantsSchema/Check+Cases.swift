// A CHECK whose value list is an app's Swift enum: the values are written once, as its cases.

extension Check {
    /// `column IN ('a', 'b', …)` over `Value`'s cases, in declaration order (raw values as SQL
    /// literals; the column as written), named `<table>_<column>_check`.
    public static func oneOf<Value: RawRepresentable & CaseIterable>(_ column: String, _: Value.Type) -> Check
    where Value.RawValue == String {
        Check("\(column) IN (" + Value.allCases.map { SQLText.literal($0.rawValue) }.joined(separator: ", ") + ")", columns: [column])
    }
}
