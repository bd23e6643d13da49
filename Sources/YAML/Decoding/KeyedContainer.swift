struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: DecoderImpl
    let pairs: [Node.Pair]
    let values: [String: Node.Pair]

    var codingPath: [any CodingKey] { decoder.codingPath }

    /// Keys in document order, so that types that keep order (an environment) can.
    var allKeys: [Key] { pairs.compactMap { $0.key.scalar.flatMap { Key(stringValue: $0.text) } } }

    func contains(_ key: Key) -> Bool { values[key.stringValue] != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let pair = values[key.stringValue] else { return true }
        return pair.value.resolved == .null
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        guard let pair = values[key.stringValue] else {
            throw YAMLError(
                .missingField,
                at: decoder.node.mark,
                path: pathString(codingPath),
                "missing required field \"\(key.stringValue)\""
            )
        }
        return try decoder.unbox(type, node: pair.value, path: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type,
        forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }

    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }

    /// The mark of a key's value, or of the mapping when the key is absent.
    func mark(of key: Key) -> Mark { values[key.stringValue]?.value.mark ?? decoder.node.mark }

    private func child(_ key: Key) throws -> DecoderImpl {
        guard let pair = values[key.stringValue] else {
            throw YAMLError(
                .missingField,
                at: decoder.node.mark,
                path: pathString(codingPath),
                "missing required field \"\(key.stringValue)\""
            )
        }
        return DecoderImpl(node: pair.value, codingPath: codingPath + [key], sink: decoder.sink)
    }
}

struct UnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: DecoderImpl
    let items: [Node]
    var currentIndex = 0

    init(decoder: DecoderImpl, items: [Node]) {
        self.decoder = decoder
        self.items = items
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex].resolved == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (node, path) = try next()
        return try decoder.unbox(type, node: node, path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let (node, path) = try next()
        return try DecoderImpl(node: node, codingPath: path, sink: decoder.sink).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (node, path) = try next()
        return try DecoderImpl(node: node, codingPath: path, sink: decoder.sink).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (node, path) = try next()
        return DecoderImpl(node: node, codingPath: path, sink: decoder.sink)
    }

    private mutating func next() throws -> (Node, [any CodingKey]) {
        guard !isAtEnd else {
            throw YAMLError(
                .missingField,
                at: decoder.node.mark,
                path: pathString(codingPath),
                "the sequence has too few items"
            )
        }
        defer { currentIndex += 1 }
        return (items[currentIndex], codingPath + [IndexKey(currentIndex)])
    }
}

struct SingleValueContainer: SingleValueDecodingContainer {
    let decoder: DecoderImpl
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.node.resolved == .null }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let integer = type as? any FixedWidthInteger.Type, type != Int.self {
            return try decodeInteger(integer) as! T
        }
        if type == Float.self {
            return Float(try decoder.unbox(Double.self, node: decoder.node, path: codingPath)) as! T
        }
        return try decoder.unbox(type, node: decoder.node, path: codingPath)
    }

    private func decodeInteger<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let value = try decoder.unbox(Int.self, node: decoder.node, path: codingPath)
        guard let exact = I(exactly: value) else {
            throw YAMLError(
                .invalidValue,
                at: decoder.node.mark,
                path: pathString(codingPath),
                "\(value) is out of range for \(I.self)"
            )
        }
        return exact
    }
}
