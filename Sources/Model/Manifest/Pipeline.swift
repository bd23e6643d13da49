/// A pipeline manifest: one watched folder and what to run for each new content in it.
///
/// ```yaml
/// apiVersion: orchestrator/v1
/// kind: Pipeline
/// metadata: {name: default}
/// spec:
///   watch: {path: ../data/default, include: ["*.csv"]}
///   run: {command: ["default-etl", "-p", "default", "${file}"]}
/// ```
public struct Pipeline: Sendable, Hashable, Codable {
    public static let apiVersion = "orchestrator/v1"
    public static let kind = "Pipeline"

    public var metadata: Metadata
    public var spec: PipelineSpec

    public init(metadata: Metadata, spec: PipelineSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public var name: String { metadata.name }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case apiVersion, kind, metadata, spec
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var errors = FieldErrors(decoder)
        for (key, expected) in [(CodingKeys.apiVersion, Pipeline.apiVersion), (.kind, Pipeline.kind)] {
            if let found: String = errors.require(container, key), found != expected {
                errors.fail(
                    at: decoder.yamlLocation(of: key),
                    "unsupported \(key.stringValue) \"\(found)\"; expected \(expected)"
                )
            }
        }
        let metadata: Metadata? = errors.require(container, .metadata)
        let spec: PipelineSpec? = errors.require(container, .spec)
        try errors.finish()
        self.metadata = metadata!
        self.spec = spec!
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Pipeline.apiVersion, forKey: .apiVersion)
        try container.encode(Pipeline.kind, forKey: .kind)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(spec, forKey: .spec)
    }
}

/// A pipeline's identity and labels.
public struct Metadata: Sendable, Hashable, Codable {
    /// Unique among the pipelines; a DNS-1123 label, since it names ledgers, logs and containers.
    public var name: String
    public var labels: [String: String]
    /// Free-form notes for people and tools; never interpreted.
    public var annotations: [String: String]

    public init(name: String, labels: [String: String] = [:], annotations: [String: String] = [:]) {
        self.name = name
        self.labels = labels
        self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, labels, annotations
    }

    /// Why `name` is not a DNS-1123 label, or `nil` when it is one.
    public static func problem(withName name: String) -> String? {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
        }
        if name.isEmpty || name.count > 63 || !allowed || name.hasPrefix("-") || name.hasSuffix("-") {
            return
                "invalid name \"\(name)\": use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit"
        }
        return nil
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var errors = FieldErrors(decoder)
        name = errors.require(container, .name) ?? ""
        labels = errors.decode(container, .labels, default: [:])
        annotations = errors.decode(container, .annotations, default: [:])
        if container.contains(.name), let problem = Metadata.problem(withName: name) {
            errors.fail(at: decoder.yamlLocation(of: CodingKeys.name), problem)
        }
        try errors.finish()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        if !labels.isEmpty { try container.encode(SortedMap(labels), forKey: .labels) }
        if !annotations.isEmpty { try container.encode(SortedMap(annotations), forKey: .annotations) }
    }
}

/// A string map encoded with its keys sorted, so that output is deterministic.
struct SortedMap: Encodable {
    let values: [String: String]
    init(_ values: [String: String]) { self.values = values }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        for key in values.keys.sorted() { try container.encode(values[key], forKey: AnyKey(key)) }
    }
}

/// A coding key for maps whose keys are data (labels, env names), not fields.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
