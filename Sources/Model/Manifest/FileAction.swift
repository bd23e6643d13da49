/// What happens to a file once the ledger has recorded its outcome.
public enum FileAction: Sendable, Hashable, Codable {
    /// Leave the file where it is (the ledger remembers it was processed).
    case keep
    /// Delete the file.
    case delete
    /// Move the file into a folder, absolute or relative to the manifest's folder.
    case move(to: String)

    enum CodingKeys: String, CodingKey, CaseIterable {
        case action, to
    }

    private enum Action: String, Codable {
        case keep, delete, move
    }

    public init(from decoder: any Decoder) throws {
        if let shorthand = try? decoder.singleValueContainer().decode(String.self) {
            switch shorthand {
            case "keep": self = .keep
            case "delete": self = .delete
            default:
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "expected keep, delete or {action: move, to: FOLDER}, found \"\(shorthand)\""
                    )
                )
            }
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var errors = FieldErrors(decoder)
        let action = errors.attempt { () throws -> Action in
            let text = try container.decode(String.self, forKey: .action)
            guard let action = Action(rawValue: text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .action,
                    in: container,
                    debugDescription: "unknown action \"\(text)\"; expected keep, delete or move"
                )
            }
            return action
        }
        let destination: String? = errors.decodeIfPresent(container, .to)
        switch (action, destination) {
        case (.move, nil) where errors.isEmpty:
            errors.fail(at: decoder.yamlLocation, "action move needs a destination folder: add to: FOLDER")
        case (.move, .some(let folder)) where folder.isEmpty:
            errors.fail(at: decoder.yamlLocation(of: CodingKeys.to), "the destination folder must not be empty")
        case (.keep, .some), (.delete, .some):
            errors.fail(at: decoder.yamlLocation(of: CodingKeys.to), "to is only used with action: move")
        default:
            break
        }
        try errors.finish()
        switch action {
        case .keep?: self = .keep
        case .delete?: self = .delete
        case .move?, nil: self = .move(to: destination ?? "")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .keep: try container.encode(Action.keep, forKey: .action)
        case .delete: try container.encode(Action.delete, forKey: .action)
        case .move(let folder):
            try container.encode(Action.move, forKey: .action)
            try container.encode(folder, forKey: .to)
        }
    }
}
