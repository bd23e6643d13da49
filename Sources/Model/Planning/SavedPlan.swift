import Foundation

/// A planfile: a plan with what it was computed from, written by `plan -o` and applied by
/// `reconcile PLANFILE` only while its basis still holds. It holds no secret value: pipeline
/// specs are left out (sensitive field changes never carry values), only their changes are kept.
public struct SavedPlan: Sendable, Codable {
    /// The planfile format; a reader refuses another version rather than guess.
    public static let formatVersion = "1"
    /// What the file is, so that another JSON file is told apart.
    public static let kind = "orchestrator.plan"

    public var formatVersion: String
    public var kind: String
    public var createdAt: Date
    /// The pipelines folder the plan was made from, as given.
    public var pipelines: String
    /// Whether the plan was made with `--allow-empty`: applying it plans again the same way.
    public var allowEmpty: Bool
    public var basis: PlanBasis
    public var plan: Plan

    public init(plan: Plan, basis: PlanBasis, pipelines: String, allowEmpty: Bool, createdAt: Date) {
        formatVersion = Self.formatVersion
        kind = Self.kind
        self.createdAt = createdAt
        self.pipelines = pipelines
        self.allowEmpty = allowEmpty
        self.basis = basis
        self.plan = plan
    }

    /// Where the pipeline changes of `replanned`, planned from the same basis, differ from the
    /// saved ones: none, unless something the basis does not cover moved (a different version of
    /// orchestrator, or a race with another writer).
    public func differences(from replanned: Plan) -> [String] {
        func changes(_ plan: Plan) -> [String: PipelineChange] {
            Dictionary(
                plan.pipelines.compactMap { pipeline in
                    guard pipeline.change != .unchanged else { return nil }
                    // Diagnostics name files as the folder was spelled, which may differ between runs.
                    if case .invalid = pipeline.change { return (pipeline.name, .invalid([])) }
                    return (pipeline.name, pipeline.change)
                },
                uniquingKeysWith: { first, _ in first }
            )
        }
        let (saved, now) = (changes(plan), changes(replanned))
        return Set(saved.keys).union(now.keys).sorted().compactMap { name in
            guard saved[name] != now[name] else { return nil }
            let (old, new) = (saved[name]?.action ?? "no change", now[name]?.action ?? "no change")
            return old == new
                ? "pipeline \(name)'s field changes differ from the plan's"
                : "pipeline \(name) now plans \(new), the plan said \(old)"
        }
    }

    /// Why a planfile cannot be read.
    public enum ReadError: Error, Equatable, CustomStringConvertible {
        case notAPlanfile(file: String, reason: String)
        case unsupportedVersion(file: String, version: String)

        public var description: String {
            switch self {
            case .notAPlanfile(let file, let reason):
                return "\(file): error: not a planfile written by orchestrator plan -o (\(reason))"
            case .unsupportedVersion(let file, let version):
                return
                    "\(file): error: planfile format \(version) is not supported (this orchestrator reads format \(SavedPlan.formatVersion)); plan again"
            }
        }
    }

    /// The planfile's bytes: pretty-printed JSON with sorted keys, so that two plans diff well.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// Reads a planfile, checking what it is and its format version before its content.
    public static func decode(_ data: Data, file: String) throws(ReadError) -> SavedPlan {
        struct Header: Decodable {
            var kind: String?
            var formatVersion: String?
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: data)
        } catch {
            throw .notAPlanfile(file: file, reason: "not a JSON object")
        }
        guard header.kind == kind else {
            throw .notAPlanfile(file: file, reason: "its kind is \(header.kind.map { "\"\($0)\"" } ?? "missing")")
        }
        guard header.formatVersion == formatVersion else {
            throw .unsupportedVersion(file: file, version: header.formatVersion ?? "(none)")
        }
        do {
            return try decoder.decode(SavedPlan.self, from: data)
        } catch {
            throw .notAPlanfile(file: file, reason: "\(error)")
        }
    }
}
