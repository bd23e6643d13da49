/// One node of a parsed YAML document, with the mark where it starts.
///
/// Aliases are resolved while parsing, so a tree never contains an alias node; merge keys (`<<`)
/// are applied too. The tree is a plain value, cheap to copy and safe to share across tasks.
public struct Node: Sendable, Equatable {
    /// What a node holds.
    public enum Content: Sendable, Equatable {
        case scalar(Scalar)
        case sequence([Node])
        case mapping([Pair])
    }

    /// A key and its value, in document order.
    public struct Pair: Sendable, Equatable {
        public var key: Node
        public var value: Node
        public init(key: Node, value: Node) {
            self.key = key
            self.value = value
        }
    }

    public var content: Content
    /// Where the node starts in the source; `Mark.start` for nodes built in code.
    public var mark: Mark
    /// The explicit tag, expanded (`tag:yaml.org,2002:str`), or `nil` when the node had none.
    public var tag: String?

    public init(_ content: Content, mark: Mark = .start, tag: String? = nil) {
        self.content = content
        self.mark = mark
        self.tag = tag
    }

    /// A scalar node holding `text` in the given style.
    public static func scalar(_ text: String, style: Scalar.Style = .plain, mark: Mark = .start) -> Node {
        Node(.scalar(Scalar(text, style: style)), mark: mark)
    }

    /// A scalar node for a string, styled so that it reads back as a string under any YAML
    /// reader: plain when that is unambiguous, a literal block for multi-line text, quoted
    /// otherwise (`"9200"`, `"true"`, `"no"`, `""`).
    public static func string(_ text: String) -> Node {
        .scalar(text, style: Scalar.preferredStyle(forString: text))
    }

    /// A mapping node whose keys are plain strings, in the given order.
    public static func mapping(_ pairs: [(String, Node)]) -> Node {
        Node(.mapping(pairs.map { Pair(key: .string($0.0), value: $0.1) }))
    }

    /// A sequence node.
    public static func sequence(_ items: [Node]) -> Node {
        Node(.sequence(items))
    }

    /// The null scalar.
    public static let null = Node.scalar("null")

    /// The scalar this node holds, if it is one.
    public var scalar: Scalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    /// The value of a scalar under the YAML 1.2 core schema; `nil` for collections.
    public var resolved: Scalar.Value? {
        scalar.map { $0.resolve(tag: tag) }
    }

    /// The value for a plain-string key of a mapping, if this node is a mapping that has it.
    public subscript(key: String) -> Node? {
        guard case .mapping(let pairs) = content else { return nil }
        return pairs.first { $0.key.scalar?.text == key }?.value
    }

    /// A word for the kind of node, for error messages: "a mapping", "a sequence", "the integer 3".
    public var kindDescription: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a sequence"
        case .scalar(let scalar):
            switch scalar.resolve(tag: tag) {
            case .null: return "null"
            case .bool(let value): return "the boolean \(value)"
            case .int: return "the integer \(scalar.text)"
            case .float: return "the number \(scalar.text)"
            case .string(let text): return "the string \"\(text)\""
            }
        }
    }
}
