import CYAML

/// Parses YAML text into node trees with libyaml's event API.
///
/// The event API, rather than libyaml's document loader, is used because it reports the style of
/// each scalar (needed for core-schema resolution) and lets us resolve aliases and merge keys
/// ourselves, with a bound on alias expansion so that a "billion laughs" document is an error
/// instead of an exhausted machine.
public enum Parser {
    /// The most nodes a document may expand to through aliases.
    public static let maxExpandedNodes = 1_000_000
    /// The deepest a collection may nest. Manifests need 5 levels; the bound keeps hostile input
    /// from exhausting the stack of the recursive code that walks and frees the tree.
    public static let maxDepth = 64

    /// Parses every document of a stream. Empty documents (a stream of comments, a bare `---`)
    /// are returned as `nil` so that callers can count documents as the user wrote them.
    public static func parseStream(_ text: String) throws(YAMLError) -> [Node?] {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { return [] }
        bytes.append(0)
        return try bytes.withUnsafeBufferPointer { buffer throws(YAMLError) in
            // libyaml keeps pointers into its own state: give it a fixed address, not a Swift local.
            let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
            defer { parser.deallocate() }
            guard yaml_parser_initialize(parser) == 1 else {
                throw YAMLError(.syntax, at: .start, "libyaml could not allocate a parser")
            }
            defer { yaml_parser_delete(parser) }
            yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count - 1)
            var builder = TreeBuilder()
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(parser, &event) == 1 else { throw syntaxError(parser.pointee) }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try builder.consume(event)
            }
            return builder.documents
        }
    }

    /// Parses a text that must hold at most one document; `nil` when it holds none.
    public static func parse(_ text: String) throws(YAMLError) -> Node? {
        let documents = try parseStream(text)
        if documents.count > 1 {
            throw YAMLError(.syntax, at: .start, "expected one YAML document, found \(documents.count)")
        }
        return documents.first ?? nil
    }

    private static func syntaxError(_ parser: yaml_parser_t) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let mark = Mark(line: parser.problem_mark.line + 1, column: parser.problem_mark.column + 1)
        guard let context = parser.context.map({ String(cString: $0) }) else {
            return YAMLError(.syntax, at: mark, problem)
        }
        let contextMark = Mark(line: parser.context_mark.line + 1, column: parser.context_mark.column + 1)
        return YAMLError(
            .syntax,
            at: mark,
            "\(problem) (\(context) at line \(contextMark.line), column \(contextMark.column))"
        )
    }
}

/// Turns libyaml events into `Node` trees, one per document.
///
/// Open collections live in a stack of frames that are appended to in place, so that a
/// collection of n items costs O(n): a frame copied out of the stack and pushed back would copy
/// its items on every append, which made a 100,000-item list take minutes.
private struct TreeBuilder {
    private struct Frame {
        var node: Node
        var anchor: String?
        var items: [Node] = []
        var pairs: [Node.Pair] = []
        var pendingKey: Node?
        /// The size of the subtree so far, for the alias-expansion bound.
        var weight = 1
    }

    var documents: [Node?] = []
    private var stack: [Frame] = []
    private var root: Node?
    private var anchors: [String: (node: Node, weight: Int)] = [:]
    private var expanded = 0

    mutating func consume(_ event: yaml_event_t) throws(YAMLError) {
        let mark = Mark(line: event.start_mark.line + 1, column: event.start_mark.column + 1)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            root = nil
            anchors = [:]
            expanded = 0
        case YAML_DOCUMENT_END_EVENT:
            // libyaml reports an empty document as an empty plain scalar.
            let isEmpty = root.map { $0.tag == nil && $0.scalar == Scalar("") } ?? true
            documents.append(isEmpty ? nil : root)
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
            let node = Node(.scalar(Scalar(text, style: style(data.style))), mark: mark, tag: string(data.tag))
            try add(node, anchor: string(data.anchor), weight: 1)
        case YAML_SEQUENCE_START_EVENT:
            let data = event.data.sequence_start
            try open(Node(.sequence([]), mark: mark, tag: string(data.tag)), anchor: string(data.anchor))
        case YAML_MAPPING_START_EVENT:
            let data = event.data.mapping_start
            try open(Node(.mapping([]), mark: mark, tag: string(data.tag)), anchor: string(data.anchor))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard var frame = stack.popLast() else { return }
            if case .sequence = frame.node.content {
                frame.node.content = .sequence(frame.items)
            } else {
                frame.node.content = .mapping(try merged(frame.pairs))
            }
            try add(frame.node, anchor: frame.anchor, weight: frame.weight)
        case YAML_ALIAS_EVENT:
            let name = string(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                throw YAMLError(.syntax, at: mark, "unknown alias *\(name)")
            }
            var node = target.node
            node.mark = mark
            try add(node, anchor: nil, weight: target.weight, isAlias: true)
        default:
            break
        }
    }

    private mutating func open(_ node: Node, anchor: String?) throws(YAMLError) {
        guard stack.count < Parser.maxDepth else {
            throw YAMLError(.tooLarge, at: node.mark, "collections nest deeper than \(Parser.maxDepth) levels")
        }
        stack.append(Frame(node: node, anchor: anchor))
    }

    /// Adds a finished node to its parent. `weight` is the size of its subtree; only aliases add
    /// their whole weight to the document's expansion count, other nodes count once.
    private mutating func add(_ node: Node, anchor: String?, weight: Int, isAlias: Bool = false) throws(YAMLError) {
        expanded += isAlias ? weight : 1
        if expanded > Parser.maxExpandedNodes {
            throw YAMLError(.tooLarge, at: node.mark, "aliases expand to more than \(Parser.maxExpandedNodes) nodes")
        }
        if let anchor { anchors[anchor] = (node, weight) }
        guard !stack.isEmpty else {
            root = node
            return
        }
        let top = stack.count - 1
        stack[top].weight += weight
        if case .sequence = stack[top].node.content {
            stack[top].items.append(node)
        } else if let key = stack[top].pendingKey {
            stack[top].pairs.append(Node.Pair(key: key, value: node))
            stack[top].pendingKey = nil
        } else {
            stack[top].pendingKey = node
        }
    }

    /// Applies merge keys (`<<: *base` or `<<: [*a, *b]`): keys written in the mapping win over
    /// merged ones, earlier merged mappings over later ones. Rejects duplicate keys.
    private func merged(_ pairs: [Node.Pair]) throws(YAMLError) -> [Node.Pair] {
        var own: [Node.Pair] = []
        var inherited: [Node.Pair] = []
        var firstMark: [String: Mark] = [:]
        for pair in pairs {
            if let key = pair.key.scalar, key.text == "<<", key.style == .plain, pair.key.tag == nil {
                let sources: [Node]
                switch pair.value.content {
                case .mapping: sources = [pair.value]
                case .sequence(let items): sources = items
                case .scalar: sources = []
                }
                for source in sources {
                    guard case .mapping(let sourcePairs) = source.content else {
                        throw YAMLError(
                            .syntax,
                            at: source.mark,
                            "a merge key (<<) takes a mapping or a sequence of mappings"
                        )
                    }
                    inherited.append(contentsOf: sourcePairs)
                }
                continue
            }
            if let text = pair.key.scalar?.text {
                if let first = firstMark[text] {
                    throw YAMLError(
                        .duplicateKey,
                        at: pair.key.mark,
                        "duplicate key \"\(text)\" (first at line \(first.line), column \(first.column))"
                    )
                }
                firstMark[text] = pair.key.mark
            }
            own.append(pair)
        }
        for pair in inherited {
            guard let text = pair.key.scalar?.text, firstMark[text] == nil else { continue }
            firstMark[text] = pair.key.mark
            own.append(pair)
        }
        return own
    }

    private func style(_ style: yaml_scalar_style_t) -> Scalar.Style {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }
}
