import Foundation

/// The document fields of a table's columns, named as the legacy ETL named them: pandas names
/// the header's cells (`Unnamed: N` for an empty one, `.1`, `.2` for repeats), then pypel trims
/// each name and upper-cases it with Python's `str.upper()` (`Straße` → `STRASSE`).
public struct FieldNames: Sendable, Equatable {
    /// The fields in document order, each with the column whose cell it holds.
    public var fields: [(name: String, column: Int)]

    /// The fields of columns named `header` (pandas' names, before trimming and upper-casing).
    ///
    /// Two columns whose names differ only in case or surrounding spaces (`code`, `Code `) give
    /// the same field: as in the legacy ETL's `to_dict`, the field keeps the first column's place
    /// and holds the last column's cell, so no document carries a key twice.
    public init(header: [String]) {
        var position: [String: Int] = [:]
        fields = []
        for (column, raw) in header.enumerated() {
            let name = raw.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
            if let index = position[name] {
                fields[index].column = column
            } else {
                position[name] = fields.count
                fields.append((name, column))
            }
        }
    }

    /// pandas' names for a header row's cells: `Unnamed: N` for an empty cell, and repeats
    /// renamed `.1`, `.2`… exactly as `read_csv` and `read_excel` do (`a, a, a.1` → `a, a.1, a.1.1`).
    public static func pandas(_ cells: [String]) -> [String] {
        var counts: [String: Int] = [:]
        return cells.enumerated().map { index, cell in
            var name = cell.isEmpty ? "Unnamed: \(index)" : cell
            var count = counts[name, default: 0]
            while count > 0 {
                counts[name] = count + 1
                name = "\(name).\(count)"
                count = counts[name, default: 0]
            }
            counts[name] = count + 1
            return name
        }
    }

    public static func == (lhs: FieldNames, rhs: FieldNames) -> Bool {
        lhs.fields.map(\.name) == rhs.fields.map(\.name) && lhs.fields.map(\.column) == rhs.fields.map(\.column)
    }
}
