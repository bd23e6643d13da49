import Foundation

/// A pipeline change in a planfile: `{"action": "update", "fields": [...]}`, as the JSON plan names it.
extension PipelineChange: Codable {
    private enum CodingKeys: String, CodingKey {
        case action, fields, diagnostics
    }

    /// The action's name, as in the JSON plan's `action`.
    public var action: String? {
        switch self {
        case .create: return "create"
        case .update: return "update"
        case .delete: return "delete"
        case .invalid: return "invalid"
        case .unchanged: return nil
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(action ?? "unchanged", forKey: .action)
        switch self {
        case .update(let fields): try container.encode(fields, forKey: .fields)
        case .invalid(let diagnostics): try container.encode(diagnostics, forKey: .diagnostics)
        case .create, .delete, .unchanged: break
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .action) {
        case "create": self = .create
        case "update": self = .update(try container.decode([FieldChange].self, forKey: .fields))
        case "delete": self = .delete
        case "invalid": self = .invalid(try container.decode([Diagnostic].self, forKey: .diagnostics))
        case "unchanged": self = .unchanged
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .action,
                in: container,
                debugDescription: "unknown pipeline action \"\(other)\""
            )
        }
    }
}
