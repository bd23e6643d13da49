/// Encodes `Encodable` values into a `Node` tree, keys in the order the type encodes them
/// (declaration order for synthesized conformances), and strings styled to read back as strings.
public struct YAMLEncoder: Sendable {
    /// Passed to every `encode(to:)`, as with `JSONEncoder`.
    public var userInfo: [CodingUserInfoKey: any Sendable]

    public init(userInfo: [CodingUserInfoKey: any Sendable] = [:]) {
        self.userInfo = userInfo
    }

    /// The node tree for `value`.
    public func encode<T: Encodable>(_ value: T) throws -> Node {
        let root = Box()
        try value.encode(to: EncoderImpl(box: root, codingPath: [], info: userInfo))
        return root.node
    }

    /// The YAML text for `value`, as one document.
    public func encodeToString<T: Encodable>(_ value: T) throws -> String {
        try Emitter.emit([encode(value)])
    }
}

/// A node under construction: encoders hand out containers that write into shared boxes.
///
/// Children are kept in arrays appended in place, with an index by key, so that encoding a
/// mapping or a sequence of n entries costs O(n).
final class Box {
    enum Kind {
        case empty, scalar, sequence, mapping
    }

    private(set) var kind = Kind.empty
    private var scalar = Node.null
    private var items: [Box] = []
    private var pairs: [(key: String, box: Box)] = []
    private var index: [String: Int] = [:]

    var node: Node {
        switch kind {
        case .empty: return .null
        case .scalar: return scalar
        case .sequence: return .sequence(items.map(\.node))
        case .mapping: return .mapping(pairs.map { ($0.key, $0.box.node) })
        }
    }

    var count: Int { kind == .sequence ? items.count : 0 }

    /// Makes this box a scalar.
    func setScalar(_ node: Node) {
        become(.scalar)
        scalar = node
    }

    /// Makes this box a collection of `kind`, keeping its children if it already is one.
    func become(_ kind: Kind) {
        guard self.kind != kind else { return }
        self.kind = kind
        items = []
        pairs = []
        index = [:]
    }

    func appendToSequence() -> Box {
        become(.sequence)
        let child = Box()
        items.append(child)
        return child
    }

    func child(forKey key: String) -> Box {
        become(.mapping)
        if let found = index[key] { return pairs[found].box }
        let child = Box()
        index[key] = pairs.count
        pairs.append((key, child))
        return child
    }

    func set<T: Encodable>(_ value: T, codingPath: [any CodingKey], info: [CodingUserInfoKey: any Sendable]) throws {
        switch value {
        case let text as String: setScalar(.string(text))
        case let flag as Bool: setScalar(.scalar(flag ? "true" : "false"))
        case let number as any BinaryInteger: setScalar(.scalar("\(number)"))
        case let number as Double: setScalar(.scalar(Box.format(number)))
        case let number as Float: setScalar(.scalar(Box.format(Double(number))))
        default: try value.encode(to: EncoderImpl(box: self, codingPath: codingPath, info: info))
        }
    }

    private static func format(_ number: Double) -> String {
        if number.isNaN { return ".nan" }
        if number.isInfinite { return number > 0 ? ".inf" : "-.inf" }
        return "\(number)"
    }
}

struct EncoderImpl: Encoder {
    let box: Box
    let codingPath: [any CodingKey]
    let info: [CodingUserInfoKey: any Sendable]
    var userInfo: [CodingUserInfoKey: Any] { info }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        box.become(.mapping)
        return KeyedEncodingContainer(KeyedEncoding<Key>(box: box, codingPath: codingPath, info: info))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        box.become(.sequence)
        return UnkeyedEncoding(box: box, codingPath: codingPath, info: info)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueEncoding(box: box, codingPath: codingPath, info: info)
    }
}

struct KeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: Box
    let codingPath: [any CodingKey]
    let info: [CodingUserInfoKey: any Sendable]

    mutating func encodeNil(forKey key: Key) throws { box.child(forKey: key.stringValue).setScalar(.null) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try box.child(forKey: key.stringValue).set(value, codingPath: codingPath + [key], info: info)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        EncoderImpl(box: box.child(forKey: key.stringValue), codingPath: codingPath + [key], info: info).container(
            keyedBy: keyType
        )
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        EncoderImpl(box: box.child(forKey: key.stringValue), codingPath: codingPath + [key], info: info)
            .unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { EncoderImpl(box: box, codingPath: codingPath, info: info) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        EncoderImpl(box: box.child(forKey: key.stringValue), codingPath: codingPath + [key], info: info)
    }
}

struct UnkeyedEncoding: UnkeyedEncodingContainer {
    let box: Box
    let codingPath: [any CodingKey]
    let info: [CodingUserInfoKey: any Sendable]
    var count: Int { box.count }

    mutating func encodeNil() throws { box.appendToSequence().setScalar(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = codingPath + [IndexKey(count)]
        try box.appendToSequence().set(value, codingPath: path, info: info)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        EncoderImpl(box: box.appendToSequence(), codingPath: codingPath, info: info).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        EncoderImpl(box: box.appendToSequence(), codingPath: codingPath, info: info).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        EncoderImpl(box: box.appendToSequence(), codingPath: codingPath, info: info)
    }
}

struct SingleValueEncoding: SingleValueEncodingContainer {
    let box: Box
    let codingPath: [any CodingKey]
    let info: [CodingUserInfoKey: any Sendable]

    mutating func encodeNil() throws { box.setScalar(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws { try box.set(value, codingPath: codingPath, info: info) }
}
