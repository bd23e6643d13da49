/// Decodes `Decodable` values from YAML, with errors that say where.
///
/// Beyond what `JSONDecoder` does, it
/// - resolves scalars under the YAML 1.2 core schema (`yes` is a string, `"3"` is not a number);
/// - reports keys that the target type does not declare, when its `CodingKeys` are `CaseIterable`;
/// - locates every error (`YAMLError`) at a line and column, with the field path;
/// - collects errors that do not stop decoding (unknown fields) and reports them with the rest,
///   so a user fixes a file in one round rather than one error at a time.
public struct YAMLDecoder: Sendable {
    public init() {}

    /// Decodes one document's root node.
    public func decode<T: Decodable>(_ type: T.Type, from node: Node) throws(YAMLErrors) -> T {
        let sink = DiagnosticSink()
        let result: Result<T, any Error>
        do {
            result = .success(
                try DecoderImpl(node: node, codingPath: [], sink: sink).unbox(T.self, node: node, path: [])
            )
        } catch {
            result = .failure(error)
        }
        var errors = sink.errors
        switch result {
        case .success(let value):
            if errors.isEmpty { return value }
        case .failure(let error):
            errors += YAMLErrors.flatten(error) ?? [YAMLError(.invalidValue, at: node.mark, "\(error)")]
        }
        throw YAMLErrors(errors)
    }

    /// Parses `text`, which must hold one document, and decodes it.
    public func decode<T: Decodable>(_ type: T.Type, from text: String) throws(YAMLErrors) -> T {
        let node: Node?
        do { node = try Parser.parse(text) } catch { throw YAMLErrors([error]) }
        guard let node else { throw YAMLErrors([YAMLError(.missingField, at: .start, "the document is empty")]) }
        return try decode(type, from: node)
    }
}

/// Lets a type's `init(from:)` see the YAML node behind a decoder: its mark, its source text.
public protocol YAMLNodeDecoder: Decoder {
    /// The node being decoded.
    var node: Node { get }
}

/// Collects the errors that do not stop decoding. One sink serves one `decode` call, on one
/// thread, which is why it needs no lock.
final class DiagnosticSink {
    var errors: [YAMLError] = []
}

/// Formats a coding path as `spec.watch.include[2]`.
func pathString(_ path: [any CodingKey]) -> String {
    var out = ""
    for key in path {
        if let index = key.intValue {
            out += "[\(index)]"
        } else {
            if !out.isEmpty { out += "." }
            out += key.stringValue
        }
    }
    return out
}

struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

struct DecoderImpl: YAMLNodeDecoder {
    let node: Node
    let codingPath: [any CodingKey]
    let sink: DiagnosticSink
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let pairs) = node.content else {
            throw mismatch("a mapping", node: node, path: codingPath)
        }
        var values: [String: Node.Pair] = [:]
        for pair in pairs {
            guard let key = pair.key.scalar?.text else {
                throw YAMLError(.typeMismatch, at: pair.key.mark, path: pathString(codingPath), "keys must be scalars")
            }
            values[key] = pair
        }
        if let declared = declaredKeys(Key.self) {
            reportUnknownKeys(pairs, declared: declared)
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(decoder: self, pairs: pairs, values: values))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let items) = node.content else {
            throw mismatch("a sequence", node: node, path: codingPath)
        }
        return UnkeyedContainer(decoder: self, items: items)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(decoder: self)
    }

    /// Decodes `type` from `node`, turning any error into a located one.
    func unbox<T: Decodable>(_ type: T.Type, node: Node, path: [any CodingKey]) throws -> T {
        if let value = try unboxScalar(type, node: node, path: path) { return value }
        do {
            return try T(from: DecoderImpl(node: node, codingPath: path, sink: sink))
        } catch let error as YAMLError {
            throw error
        } catch let error as YAMLErrors {
            throw error
        } catch let error as DecodingError {
            throw located(error, node: node, path: path)
        } catch {
            throw YAMLError(.invalidValue, at: node.mark, path: pathString(path), "\(error)")
        }
    }

    private func unboxScalar<T>(_ type: T.Type, node: Node, path: [any CodingKey]) throws -> T? {
        switch type {
        case is String.Type:
            guard case .string(let text)? = node.resolved else {
                throw mismatch(
                    "a string",
                    node: node,
                    path: path,
                    hint: node.scalar != nil ? "; quote it to make it a string" : ""
                )
            }
            return text as? T
        case is Bool.Type:
            guard case .bool(let value)? = node.resolved else {
                let yaml11 = ["yes", "no", "on", "off", "y", "n"].contains(node.scalar?.text.lowercased() ?? "")
                throw mismatch(
                    "true or false",
                    node: node,
                    path: path,
                    hint: yaml11 ? " (YAML 1.2 reads it as a string)" : ""
                )
            }
            return value as? T
        case is Double.Type:
            switch node.resolved {
            case .float(let value)?: return value as? T
            case .int(let value)?: return Double(value) as? T
            default: throw mismatch("a number", node: node, path: path)
            }
        case is Int.Type:
            guard case .int(let value)? = node.resolved else { throw mismatch("an integer", node: node, path: path) }
            return value as? T
        default:
            return nil
        }
    }

    func mismatch(_ expected: String, node: Node, path: [any CodingKey], hint: String = "") -> YAMLError {
        YAMLError(
            .typeMismatch,
            at: node.mark,
            path: pathString(path),
            "expected \(expected), found \(node.kindDescription)\(hint)"
        )
    }

    private func located(_ error: DecodingError, node: Node, path: [any CodingKey]) -> YAMLError {
        switch error {
        case .dataCorrupted(let context):
            return YAMLError(.invalidValue, at: node.mark, path: pathString(path), context.debugDescription)
        case .keyNotFound(let key, _):
            return YAMLError(
                .missingField,
                at: node.mark,
                path: pathString(path),
                "missing required field \"\(key.stringValue)\""
            )
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return YAMLError(.typeMismatch, at: node.mark, path: pathString(path), context.debugDescription)
        @unknown default:
            return YAMLError(.invalidValue, at: node.mark, path: pathString(path), "\(error)")
        }
    }

    private func declaredKeys<Key: CodingKey>(_ type: Key.Type) -> [String]? {
        guard let iterable = type as? any (CodingKey & CaseIterable).Type else { return nil }
        return keyNames(iterable)
    }

    private func keyNames<K: CodingKey & CaseIterable>(_ type: K.Type) -> [String] {
        type.allCases.map(\.stringValue)
    }

    private func reportUnknownKeys(_ pairs: [Node.Pair], declared: [String]) {
        for pair in pairs {
            guard let key = pair.key.scalar?.text, !declared.contains(key) else { continue }
            var message = "unknown field \"\(key)\""
            if let suggestion = closest(to: key, in: declared) {
                message += "; did you mean \"\(suggestion)\"?"
            } else {
                message += "; expected one of: \(declared.joined(separator: ", "))"
            }
            let error = YAMLError(.unknownField, at: pair.key.mark, path: pathString(codingPath), message)
            if !sink.errors.contains(error) { sink.errors.append(error) }
        }
    }
}

/// The declared key closest to a misspelt one, if it is close enough to be a likely typo.
func closest(to word: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(1, min(word.count, best.0.count) / 3) ? best.0 : nil
}

/// Edit distance counting insertions, deletions, substitutions and swaps of neighbours
/// (optimal string alignment), so that "prot" is one edit from "port".
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { table[i][0] = i }
    for j in 0...b.count { table[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
            }
        }
    }
    return table[a.count][b.count]
}
