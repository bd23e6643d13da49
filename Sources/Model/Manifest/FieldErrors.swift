import YAML

/// Collects the errors of a type's fields so that decoding reports all of them at once.
///
/// Synthesized `init(from:)` stops at the first error. Manifest types decode each field through
/// `attempt`, which records the error and yields `nil`, and call `finish()` at the end, which
/// throws everything recorded. The fallback values a type uses meanwhile never escape: `finish`
/// throws whenever one was needed.
struct FieldErrors {
    private var errors: [YAMLError] = []
    private var foreign: (any Error)?
    let codingPath: [any CodingKey]

    init(_ decoder: any Decoder) {
        codingPath = decoder.codingPath
    }

    /// Runs `body`, recording its error instead of throwing it.
    mutating func attempt<T>(_ body: () throws -> T) -> T? {
        do {
            return try body()
        } catch {
            record(error)
            return nil
        }
    }

    mutating func record(_ error: any Error) {
        if let located = YAMLErrors.flatten(error) {
            errors += located
        } else if foreign == nil {
            foreign = error
        }
    }

    /// Records a rule violation about the node at `location`.
    mutating func fail(at location: NodeLocation?, _ message: String) {
        let location = location ?? NodeLocation(mark: .start, path: "")
        errors.append(YAMLError(.invalidValue, at: location.mark, path: location.path, message))
    }

    var isEmpty: Bool { errors.isEmpty && foreign == nil }

    /// Throws what was recorded, if anything.
    func finish() throws {
        if let foreign { throw foreign }
        if !errors.isEmpty { throw YAMLErrors(errors) }
    }
}

extension FieldErrors {
    /// The value of an optional field, or `fallback` when it is absent, null or wrong.
    mutating func decode<T: Decodable, K: CodingKey>(
        _ container: KeyedDecodingContainer<K>,
        _ key: K,
        default fallback: T
    ) -> T {
        (attempt { try container.decodeIfPresent(T.self, forKey: key) } ?? nil) ?? fallback
    }

    /// The value of an optional field without a default.
    mutating func decodeIfPresent<T: Decodable, K: CodingKey>(_ container: KeyedDecodingContainer<K>, _ key: K) -> T? {
        attempt { try container.decodeIfPresent(T.self, forKey: key) } ?? nil
    }

    /// The value of a required field, `nil` (and an error recorded) when it is absent or wrong.
    mutating func require<T: Decodable, K: CodingKey>(_ container: KeyedDecodingContainer<K>, _ key: K) -> T? {
        attempt { try container.decode(T.self, forKey: key) }
    }

    /// Records an error unless `value` lies in `range`.
    mutating func check<K: CodingKey>(_ value: Int, in range: ClosedRange<Int>, _ decoder: any Decoder, _ key: K) {
        if !range.contains(value) {
            fail(
                at: decoder.yamlLocation(of: key),
                "\(value) is out of range: expected \(range.lowerBound)…\(range.upperBound)"
            )
        }
    }
}

extension KeyedEncodingContainer {
    /// Encodes `value` unless it equals the field's default, so that written manifests stay short;
    /// always when the encoder asks for defaults (`CodingUserInfoKey.includeDefaults`).
    mutating func encode<T: Encodable & Equatable>(
        _ value: T,
        forKey key: Key,
        unlessDefault fallback: T,
        _ encoder: any Encoder
    ) throws {
        if value != fallback || encoder.userInfo[.includeDefaults] as? Bool == true { try encode(value, forKey: key) }
    }
}

extension CodingUserInfoKey {
    /// Set to `true` to encode manifests with every default spelled out (for field-level diffs).
    public static let includeDefaults = CodingUserInfoKey(rawValue: "orchestrator.includeDefaults")!
}
