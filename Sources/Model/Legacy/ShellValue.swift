/// A value as bash would compute it from a legacy config, where `$file` (the file of the event,
/// which the legacy runners defined) stays symbolic so that it becomes a template.
public struct ShellValue: Sendable, Hashable {
    /// The per-file values the legacy runners gave scripts.
    public enum FileReference: Sendable, Hashable {
        /// `$file`: the file's path.
        case path
        /// `$(basename "$file")`.
        case name
        /// `$(dirname "$file")`.
        case directory

        var variable: Template.Variable {
            switch self {
            case .path: return .file
            case .name: return .fileName
            case .directory: return .fileDir
            }
        }
    }

    public enum Part: Sendable, Hashable {
        case text(String)
        case file(FileReference)
    }

    public private(set) var parts: [Part] = []

    public init(_ parts: [Part] = []) {
        for part in parts { append(part) }
    }

    public static func literal(_ text: String) -> ShellValue { ShellValue([.text(text)]) }

    mutating func append(_ part: Part) {
        if case .text(let new) = part, case .text(let old)? = parts.last {
            parts[parts.count - 1] = .text(old + new)
        } else if part != .text("") {
            parts.append(part)
        }
    }

    mutating func append(_ value: ShellValue) {
        for part in value.parts { append(part) }
    }

    public var isEmpty: Bool { parts.isEmpty }

    /// The text, when the value does not depend on the file.
    public var staticText: String? {
        if parts.isEmpty { return "" }
        if parts.count == 1, case .text(let text) = parts[0] { return text }
        return nil
    }

    /// The value as a manifest template: text escaped, file references as `${file}`, `${file.name}`….
    public var template: Template {
        let source = parts.map { part in
            switch part {
            case .text(let text): return Template.literal(text).source
            case .file(let reference): return reference.variable.description
            }
        }.joined()
        return try! Template(source)
    }
}
