import CYAML

/// Writes node trees as YAML text with libyaml's emitter.
///
/// The output is deterministic: mappings keep the order of their pairs, scalars keep the style
/// their node asks for (libyaml only upgrades a plain scalar to a quoted one where plain text
/// would not parse back), block style throughout, and no line folding, so that one input always
/// gives the same bytes and diffs stay small.
public enum Emitter {
    /// The YAML text of one or more documents; documents after the first start with `---`.
    public static func emit(_ documents: [Node]) throws -> String {
        let output = Output()
        // libyaml keeps pointers into its own state: give it a fixed address, not a Swift local.
        let emitter = UnsafeMutablePointer<yaml_emitter_t>.allocate(capacity: 1)
        defer { emitter.deallocate() }
        guard yaml_emitter_initialize(emitter) == 1 else {
            throw EmitterError(message: "libyaml could not allocate an emitter")
        }
        defer { yaml_emitter_delete(emitter) }
        yaml_emitter_set_unicode(emitter, 1)
        yaml_emitter_set_indent(emitter, 2)
        yaml_emitter_set_width(emitter, -1)
        let context = Unmanaged.passUnretained(output).toOpaque()
        yaml_emitter_set_output(
            emitter,
            { data, buffer, size in
                guard let data, let buffer else { return 0 }
                Unmanaged<Output>.fromOpaque(data).takeUnretainedValue().bytes.append(
                    contentsOf: UnsafeBufferPointer(start: buffer, count: size)
                )
                return 1
            },
            context
        )
        try Session(emitter: emitter).run(documents)
        return withExtendedLifetime(output) { String(decoding: output.bytes, as: UTF8.self) }
    }

    /// libyaml refused an event; this only happens for trees libyaml cannot represent.
    public struct EmitterError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { "YAML emitter: \(message)" }
    }

    private final class Output {
        var bytes: [UInt8] = []
    }

    private struct Session {
        let emitter: UnsafeMutablePointer<yaml_emitter_t>

        func run(_ documents: [Node]) throws {
            try send { yaml_stream_start_event_initialize(&$0, YAML_UTF8_ENCODING) }
            for (index, document) in documents.enumerated() {
                try send { yaml_document_start_event_initialize(&$0, nil, nil, nil, index == 0 ? 1 : 0) }
                try node(document)
                try send { yaml_document_end_event_initialize(&$0, 1) }
            }
            try send { yaml_stream_end_event_initialize(&$0) }
            guard yaml_emitter_flush(emitter) == 1 else { throw failure() }
        }

        private func node(_ node: Node) throws {
            switch node.content {
            case .scalar(let scalar):
                var bytes = Array(scalar.text.utf8)
                let length = Int32(bytes.count)
                let style = cStyle(scalar.style)
                let plainImplicit: Int32 = scalar.style == .plain ? 1 : 0
                try bytes.withUnsafeMutableBufferPointer { buffer in
                    try send {
                        yaml_scalar_event_initialize(&$0, nil, nil, buffer.baseAddress, length, plainImplicit, 1, style)
                    }
                }
            case .sequence(let items):
                try send { yaml_sequence_start_event_initialize(&$0, nil, nil, 1, YAML_BLOCK_SEQUENCE_STYLE) }
                for item in items { try self.node(item) }
                try send { yaml_sequence_end_event_initialize(&$0) }
            case .mapping(let pairs):
                try send { yaml_mapping_start_event_initialize(&$0, nil, nil, 1, YAML_BLOCK_MAPPING_STYLE) }
                for pair in pairs {
                    try self.node(pair.key)
                    try self.node(pair.value)
                }
                try send { yaml_mapping_end_event_initialize(&$0) }
            }
        }

        private func send(_ initialize: (inout yaml_event_t) -> Int32) throws {
            var event = yaml_event_t()
            guard initialize(&event) == 1 else { throw EmitterError(message: "could not create an event") }
            guard yaml_emitter_emit(emitter, &event) == 1 else { throw failure() }
        }

        private func failure() -> EmitterError {
            EmitterError(message: emitter.pointee.problem.map { String(cString: $0) } ?? "unknown error")
        }

        private func cStyle(_ style: Scalar.Style) -> yaml_scalar_style_t {
            switch style {
            case .plain: return YAML_PLAIN_SCALAR_STYLE
            case .singleQuoted: return YAML_SINGLE_QUOTED_SCALAR_STYLE
            case .doubleQuoted: return YAML_DOUBLE_QUOTED_SCALAR_STYLE
            case .literal: return YAML_LITERAL_SCALAR_STYLE
            case .folded: return YAML_FOLDED_SCALAR_STYLE
            }
        }
    }
}
