import Foundation

/// An Excel (.xlsx) workbook's first sheet as a table. (Implemented next.)
public struct XLSXTable: TableFile {
    public let path: String
    public var details: String { "sheet" }

    public init(path: String) throws(ETLError) {
        self.path = path
        throw .unsupported("\(path): XLSX support is not built yet")
    }

    public func open() throws -> any TableCursor { throw ETLError.unsupported(path) }
}
