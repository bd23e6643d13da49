extension String {
    /// The text with what a terminal would obey rather than show made visible: control
    /// characters (C0, DEL, C1) as `\n`, `\t`, `\r`, `\e` or `\x1b`-style escapes, the
    /// bidirectional overrides that reorder what is shown (`\u{202E}`), and the bytes of a file
    /// name that are not UTF-8 (`r\xe9sum\xe9.csv`, see `FileSystemName`). File names come from
    /// anyone who can drop a file:
    /// printed raw, `esc\e]0;PWNED\a.csv` retitles the terminal and a newline fakes result lines.
    public var terminalSafe: String {
        guard unicodeScalars.contains(where: String.needsEscape) else { return self }
        var result = ""
        for scalar in unicodeScalars {
            guard String.needsEscape(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            if let byte = FileSystemName.escapedByte(scalar) {
                result += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
                continue
            }
            switch scalar {
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case "\u{1B}": result += "\\e"
            default:
                let hex = String(scalar.value, radix: 16)
                result += scalar.value < 0x100 ? "\\x" + (hex.count < 2 ? "0" : "") + hex : "\\u{" + hex + "}"
            }
        }
        return result
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069, FileSystemName.base...: return true
        default: return false
        }
    }
}
