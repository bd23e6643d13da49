import Foundation

/// Opens a file as a table by its format: CSV, or XLSX; `.xls` (BIFF) is refused with advice.
public enum Tables {
    public static func open(_ path: String) throws(ETLError) -> any TableFile {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .input("\(path): cannot open the file") }
        let magic = [UInt8]((try? handle.read(upToCount: 8)) ?? Data())
        try? handle.close()
        let lower = path.lowercased()
        if magic.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) || lower.hasSuffix(".xls") {
            throw .unsupported("\(path): .xls (Excel 97-2003) files are not supported; save it as .xlsx")
        }
        if magic.starts(with: [0x50, 0x4B, 0x03, 0x04]) || lower.hasSuffix(".xlsx") || lower.hasSuffix(".xlsm") {
            return try XLSXTable(path: path)
        }
        return try CSVTable(path: path)
    }
}
