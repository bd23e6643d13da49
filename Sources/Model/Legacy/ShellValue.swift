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
    /// The UTF-8 size of the text parts, kept up to date so that bounds are checked in O(1).
    public private(set) var textSize = 0

    public init(_ parts: [Part] = []) {
        for part in parts { append(part) }
    }

    public static func literal(_ text: String) -> ShellValue { ShellValue([.text(text)]) }

    /// Appends in place: the last text part is taken out of the array before it grows, so that
    /// building a value character by character stays linear.
    mutating func append(_ part: Part) {
        guard case .text(let new) = part else { return parts.append(part) }
        guard !new.isEmpty else { return }
        textSize += new.utf8.count
        if case .text? = parts.last, case .text(var old) = parts.removeLast() {
            old += new
            parts.append(.text(old))
        } else {
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
