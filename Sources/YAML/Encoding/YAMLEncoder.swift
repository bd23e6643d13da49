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
final class Box {
    enum Content {
        case empty
        case scalar(Node)
        case sequence([Box])
        case mapping([(String, Box)])
    }

    var content: Content = .empty

    var node: Node {
        switch content {
        case .empty: return .null
        case .scalar(let node): return node
        case .sequence(let boxes): return .sequence(boxes.map(\.node))
        case .mapping(let pairs): return .mapping(pairs.map { ($0.0, $0.1.node) })
        }
    }

    func appendToSequence() -> Box {
        let child = Box()
        if case .sequence(var items) = content {
            items.append(child)
            content = .sequence(items)
        } else {
            content = .sequence([child])
        }
        return child
    }

    func child(forKey key: String) -> Box {
        var pairs: [(String, Box)] = []
        if case .mapping(let existing) = content {
            if let found = existing.first(where: { $0.0 == key }) { return found.1 }
            pairs = existing
        }
        let child = Box()
        pairs.append((key, child))
        content = .mapping(pairs)
        return child
    }

    func set<T: Encodable>(_ value: T, codingPath: [any CodingKey], info: [CodingUserInfoKey: any Sendable]) throws {
        switch value {
        case let text as String: content = .scalar(.string(text))
        case let flag as Bool: content = .scalar(.scalar(flag ? "true" : "false"))
        case let number as any BinaryInteger: content = .scalar(.scalar("\(number)"))
        case let number as Double: content = .scalar(.scalar(Box.format(number)))
        case let number as Float: content = .scalar(.scalar(Box.format(Double(number))))
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
        if case .mapping = box.content {} else { box.content = .mapping([]) }
        return KeyedEncodingContainer(KeyedEncoding<Key>(box: box, codingPath: codingPath, info: info))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .sequence = box.content {} else { box.content = .sequence([]) }
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

    mutating func encodeNil(forKey key: Key) throws { box.child(forKey: key.stringValue).content = .scalar(.null) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try box.child(forKey: key.stringValue).set(value, codingPath: codingPath + [key], info: info)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        EncoderImpl(box: box.child(forKey: key.stringValue), codingPath: codingPath + [key], info: info).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        EncoderImpl(box: box.child(forKey: key.stringValue), codingPath: codingPath + [key], info: info).unkeyedContainer()
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
    var count: Int {
        if case .sequence(let items) = box.content { return items.count }
        return 0
    }

    mutating func encodeNil() throws { box.appendToSequence().content = .scalar(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = codingPath + [IndexKey(count)]
        try box.appendToSequence().set(value, codingPath: path, info: info)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        EncoderImpl(box: box.appendToSequence(), codingPath: codingPath, info: info).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        EncoderImpl(box: box.appendToSequence(), codingPath: codingPath, info: info).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { EncoderImpl(box: box.appendToSequence(), codingPath: codingPath, info: info) }
}

struct SingleValueEncoding: SingleValueEncodingContainer {
    let box: Box
    let codingPath: [any CodingKey]
    let info: [CodingUserInfoKey: any Sendable]

    mutating func encodeNil() throws { box.content = .scalar(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws { try box.set(value, codingPath: codingPath, info: info) }
}
