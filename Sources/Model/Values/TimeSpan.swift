/// A duration written the way Go and Kubernetes write them: `500ms`, `2s`, `15m`, `1h30m`, `1d`.
///
/// Stored as whole milliseconds so that values compare and digest exactly. A bare number is
/// refused (is `2` seconds or minutes?), except `0`.
public struct TimeSpan: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func seconds(_ value: Int64) -> TimeSpan { TimeSpan(milliseconds: value * 1000) }
    public static func minutes(_ value: Int64) -> TimeSpan { .seconds(value * 60) }
    public static func hours(_ value: Int64) -> TimeSpan { .minutes(value * 60) }
    public static let zero = TimeSpan(milliseconds: 0)

    public var isZero: Bool { milliseconds == 0 }

    /// The value as a Swift `Duration`.
    public var duration: Duration { .milliseconds(milliseconds) }

    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// Parses `text`, or explains why it is not a duration.
    public static func parse(_ text: String) -> Result<TimeSpan, DurationError> {
        if text == "0" { return .success(.zero) }
        var rest = Substring(text)
        var total: Int64 = 0
        guard !rest.isEmpty else { return .failure(DurationError(text: text, reason: "it is empty")) }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else {
                return .failure(DurationError(text: text, reason: "expected a number at \"\(rest)\""))
            }
            rest = rest.dropFirst(number.count)
            let suffix = rest.prefix { $0.isLetter }
            guard !suffix.isEmpty else {
                return .failure(
                    DurationError(text: text, reason: "missing unit after \(number) (use ms, s, m, h or d)")
                )
            }
            guard let unit = units.first(where: { $0.suffix == suffix }) else {
                return .failure(DurationError(text: text, reason: "unknown unit \"\(suffix)\" (use ms, s, m, h or d)"))
            }
            rest = rest.dropFirst(suffix.count)
            let amount = value * Double(unit.milliseconds)
            guard amount < 1e15, amount == amount.rounded() else {
                return .failure(
                    DurationError(
                        text: text,
                        reason: amount >= 1e15 ? "it is too long" : "it is finer than a millisecond"
                    )
                )
            }
            total += Int64(amount)
        }
        return .success(TimeSpan(milliseconds: total))
    }

    /// The shortest canonical spelling: `1h30m`, `2s`, `1s500ms`, `0s`.
    public var description: String {
        if milliseconds == 0 { return "0s" }
        var rest = milliseconds
        var out = milliseconds < 0 ? "-" : ""
        rest = abs(rest)
        for (suffix, size) in TimeSpan.units.reversed() where rest >= size {
            out += "\(rest / size)\(suffix)"
            rest %= size
        }
        return out
    }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self), number != 0 {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "bad duration \(number): missing unit; write \(number)s, \(number)m…"
            )
        }
        let text = (try? container.decode(Int.self)) == 0 ? "0" : try container.decode(String.self)
        switch TimeSpan.parse(text) {
        case .success(let value): self = value
        case .failure(let error):
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why a text is not a duration.
public struct DurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "bad duration \"\(text)\": \(reason)" }
}
