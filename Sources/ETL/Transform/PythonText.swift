/// The text the legacy ETL made of a spreadsheet cell: pandas reads the sheet with openpyxl
/// under `dtype=str`, so each value is Python's `str()` of what openpyxl returned.
enum PythonText {
    /// A number: integral values as Python `int`s (`1500`, never `1500.0`, exact however large),
    /// others as Python's `repr` of a float (`12.5`, `1e-05`), which Swift's description matches.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : value < 0 ? "-inf" : "inf" }
        guard value == value.rounded(.towardZero) else { return "\(value)" }
        if abs(value) < 9.2e18 { return String(Int64(value)) }
        return exactInteger(value)
    }

    static func bool(_ value: Bool) -> String { value ? "True" : "False" }

    /// Python's `str()` of the datetime or time openpyxl made of a date cell, from its ISO text:
    /// `2024-01-31` → `2024-01-31 00:00:00`, `2024-01-31T14:30:00` → `2024-01-31 14:30:00`.
    static func date(_ iso: String) -> String {
        var text = iso.hasSuffix("Z") ? String(iso.dropLast()) : iso
        if text.count == 10, text.contains("-") { text += " 00:00:00" }
        return text.replacingOccurrences(of: "T", with: " ")
    }

    /// The decimal digits of an integral double too large for `Int64`: mantissa × 2^exponent,
    /// doubled digit by digit.
    private static func exactInteger(_ value: Double) -> String {
        var digits: [UInt8] = []
        var mantissa = value.significandBitPattern | (1 << 52)
        while mantissa > 0 {
            digits.append(UInt8(mantissa % 10))
            mantissa /= 10
        }
        for _ in 0..<Int(value.exponent) - 52 {
            var carry: UInt8 = 0
            for index in digits.indices {
                let doubled = digits[index] * 2 + carry
                digits[index] = doubled % 10
                carry = doubled / 10
            }
            if carry > 0 { digits.append(carry) }
        }
        return (value < 0 ? "-" : "") + String(digits.reversed().map { Character(Unicode.Scalar($0 + 48)) })
    }
}
