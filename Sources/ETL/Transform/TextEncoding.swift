/// The encoding of a text file: UTF-8 (with or without BOM), or Windows-1252 when the file is
/// not valid UTF-8 (what Excel on Windows writes as "CSV").
public enum TextEncoding: String, Sendable {
    case utf8 = "UTF-8"
    case windows1252 = "Windows-1252"

    /// Whether `bytes` are valid UTF-8 (ASCII is checked without decoding).
    static func isValidUTF8<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        if bytes.allSatisfy({ $0 < 0x80 }) { return true }
        return String(validating: bytes, as: UTF8.self) != nil
    }

    /// `bytes` as UTF-8.
    func utf8<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ArraySlice<UInt8> {
        guard self == .windows1252, bytes.contains(where: { $0 >= 0x80 }) else { return Array(bytes)[...] }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 8)
        for byte in bytes {
            if byte < 0x80 {
                output.append(byte)
            } else {
                let scalar =
                    byte >= 0x80 && byte <= 0x9F ? TextEncoding.windows1252High[Int(byte - 0x80)] : UInt32(byte)
                output += Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
            }
        }
        return output[...]
    }

    /// Windows-1252's 0x80…0x9F (undefined positions map to the C1 control of the same value).
    private static let windows1252High: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,
        0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,
        0x017E, 0x0178,
    ]
}
