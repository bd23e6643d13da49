/// Where a decoded value came from: the mark of its node and its field path.
///
/// Types keep it to report errors found after decoding, such as a template that names an
/// environment key the pipeline does not define.
public struct NodeLocation: Sendable, Hashable {
    public var mark: Mark
    /// The field path, such as `spec.run.command[3]`.
    public var path: String

    public init(mark: Mark, path: String) {
        self.mark = mark
        self.path = path
    }
}

extension Decoder {
    /// The location of the node being decoded, when the decoder is a `YAMLDecoder`.
    public var yamlLocation: NodeLocation? {
        guard let decoder = self as? any YAMLNodeDecoder else { return nil }
        return NodeLocation(mark: decoder.node.mark, path: pathString(codingPath))
    }

    /// The location of a key's value (or of the mapping, when the key is absent).
    public func yamlLocation(of key: some CodingKey) -> NodeLocation? {
        guard let decoder = self as? any YAMLNodeDecoder else { return nil }
        let mark = decoder.node[key.stringValue]?.mark ?? decoder.node.mark
        return NodeLocation(mark: mark, path: pathString(codingPath + [key]))
    }

    /// The location of a key itself, for errors about the key rather than its value.
    public func yamlLocation(ofKey key: some CodingKey) -> NodeLocation? {
        guard let decoder = self as? any YAMLNodeDecoder, case .mapping(let pairs) = decoder.node.content else {
            return nil
        }
        let mark = pairs.first { $0.key.scalar?.text == key.stringValue }?.key.mark ?? decoder.node.mark
        return NodeLocation(mark: mark, path: pathString(codingPath + [key]))
    }
}
