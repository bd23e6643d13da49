import Foundation

/// Hides secret values wherever text is shown: plans, logs, status.
///
/// Secrets are the literal values of env keys whose names look sensitive, and at run time the
/// values read through `fromEnv`. A secret also hides inside other text (a command that embeds
/// it, a program that prints it), which is why redaction is by value, not by field.
public struct Redactor: Sendable {
    public static let mask = "(sensitive)"
    /// The shortest value treated as a secret: shorter ones would mask ordinary words.
    public static let minimumLength = 4
    private let secrets: [String]

    public init(secrets values: some Sequence<String>) {
        secrets = Set(values.filter { $0.count >= Redactor.minimumLength }).sorted { ($0.count, $0) > ($1.count, $1) }
    }

    /// The secrets a spec writes literally: values of env keys whose names look sensitive.
    public init(specs: [Pipeline]) {
        var values: [String] = []
        for spec in specs {
            for entry in spec.spec.run.env.entries where Environment.looksSensitive(entry.name) {
                if case .value(let template) = entry.value, template.references.isEmpty {
                    values.append(template.render { _ in "" })
                }
            }
        }
        self.init(secrets: values)
    }

    public var isEmpty: Bool { secrets.isEmpty }

    /// The longest secret, so that a stream can hold back enough to catch one split across chunks.
    public var longestSecret: Int { secrets.first?.utf8.count ?? 0 }

    public func redact(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: Redactor.mask) }
    }

    /// Byte-level redaction, for output that need not be UTF-8.
    public func redact(_ bytes: [UInt8]) -> [UInt8] {
        var current = bytes
        let mask = Array(Redactor.mask.utf8)
        for secret in secrets.map({ Array($0.utf8) }) {
            var output: [UInt8] = []
            output.reserveCapacity(current.count)
            var index = 0
            while index < current.count {
                if current[index] == secret[0], index + secret.count <= current.count,
                    current[index..<index + secret.count].elementsEqual(secret)
                {
                    output += mask
                    index += secret.count
                } else {
                    output.append(current[index])
                    index += 1
                }
            }
            current = output
        }
        return current
    }
}
