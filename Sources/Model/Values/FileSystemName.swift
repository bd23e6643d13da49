import Foundation

/// File names on Linux are bytes, not text: a name copied from an SMB share or an old archive
/// can be Windows-1252 (`r\xe9sum\xe9.csv`), which is not UTF-8. Swift strings are Unicode, so
/// such names are carried in strings losslessly: each byte that is not part of valid UTF-8
/// stands as one code point of the last 256 of plane 16 (U+10FF00 + byte), a private-use range
/// no real name uses. Every system call converts back to the very bytes (`fileSystemBytes`),
/// text output shows them as `\xE9` (`terminalSafe`), JSON adds them as base64.
///
/// The mapping is a bijection on byte strings: a name that really holds a code point of that
/// range is stored as its four bytes, each escaped, so decoding then encoding any name gives it
/// back byte for byte.
public enum FileSystemName {
    /// The code point that stands for byte 0x00; byte `b` is `base + b`.
    static let base: UInt32 = 0x10FF00

    /// The string for a name's bytes (without its terminating NUL).
    public static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        // Contiguous bytes (a name from the kernel) are validated in place: the generic path costs
        // fifteen microseconds a name, and the daemon decodes each inotify event's name.
        if let text = bytes.withContiguousStorageIfAvailable({ buffer -> String? in
            buffer.contains(0xF4) ? nil : String(validating: buffer, as: UTF8.self)
        }) {
            if let text { return text }
        } else if !bytes.contains(0xF4), let text = String(validating: bytes, as: UTF8.self) {
            return text
        }
        let bytes = Array(bytes)
        var result = String.UnicodeScalarView()
        var index = 0
        while index < bytes.count {
            if let (scalar, length) = scalar(in: bytes, at: index), scalar.value < base {
                result.append(scalar)
                index += length
            } else {
                result.append(Unicode.Scalar(base + UInt32(bytes[index]))!)
                index += 1
            }
        }
        return String(result)
    }

    /// The bytes a string names on the file system: UTF-8, with each escaped byte restored.
    public static func encode(_ text: String) -> [UInt8] {
        guard text.utf8.contains(0xF4) else { return Array(text.utf8) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if scalar.value >= base {
                bytes.append(UInt8(scalar.value - base))
            } else {
                bytes.append(contentsOf: UTF8.encode(scalar)!)
            }
        }
        return bytes
    }

    /// The escaped byte a scalar stands for, if it is one.
    public static func escapedByte(_ scalar: Unicode.Scalar) -> UInt8? {
        scalar.value >= base ? UInt8(scalar.value - base) : nil
    }

    /// The well-formed UTF-8 sequence at `index`, if there is one: no overlong form, no
    /// surrogate, nothing above U+10FFFF.
    private static func scalar(in bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[index]
        let length: Int
        var value: UInt32
        switch lead {
        case 0x00...0x7F: return (Unicode.Scalar(lead), 1)
        case 0xC2...0xDF:
            length = 2
            value = UInt32(lead & 0x1F)
        case 0xE0...0xEF:
            length = 3
            value = UInt32(lead & 0x0F)
        case 0xF0...0xF4:
            length = 4
            value = UInt32(lead & 0x07)
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}

extension String {
    /// The file-system bytes this string names (see `FileSystemName`).
    public var fileSystemBytes: [UInt8] { FileSystemName.encode(self) }

    /// Whether the string carries bytes that are not UTF-8 (a name that is not text).
    public var hasRawBytes: Bool {
        utf8.contains(0xF4) && unicodeScalars.contains { FileSystemName.escapedByte($0) != nil }
    }
}

extension String {
    /// The name for JSON's text fields: bytes that are not UTF-8 shown as `\xe9`, the rest as
    /// is (JSON escapes control characters itself). Readable, but not exact: see `base64Bytes`.
    public var jsonDisplay: String {
        guard hasRawBytes else { return self }
        var result = ""
        for scalar in unicodeScalars {
            if let byte = FileSystemName.escapedByte(scalar) {
                result += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// The exact bytes of a name that is not UTF-8, in base64, for JSON's `path_bytes` fields;
    /// `nil` for a UTF-8 name, whose text field is exact.
    public var base64Bytes: String? {
        guard hasRawBytes else { return nil }
        return Data(fileSystemBytes).base64EncodedString()
    }
}
