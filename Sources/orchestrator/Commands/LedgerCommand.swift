import ArgumentParser
import Foundation
import Model
import Reconciler

/// `orchestrator ledger PIPELINE`: every content a pipeline has seen, and where it stands.
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "List a pipeline's ledger: one row per content (SHA-256), with its state and history.",
        discussion: "Exit codes: 0 listed; 1 error; 64 bad usage."
    )

    @OptionGroup var state: StateOptions

    @Argument(help: "The pipeline's name.")
    var pipeline: String

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() throws {
        let store = try state.openStore()
        let entries = try store.ledger(pipeline: pipeline).values.sorted {
            ($0.lastSeen, $0.sha256) > ($1.lastSeen, $1.sha256)
        }
        switch output {
        case .json:
            try Terminal.json(
                try entries.map { Row(entry: $0, names: try store.names(pipeline: pipeline, sha256: $0.sha256)) }
            )
        case .text:
            if entries.isEmpty { Terminal.out("The ledger of \(pipeline) is empty.") }
            for entry in entries {
                var line =
                    "\(entry.state.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(entry.sha256.prefix(12))  \(entry.path)"
                line += "  attempts \(entry.attempts)"
                if let when = entry.succeededAt { line += ", succeeded \(PlanText.timestamp(when))" }
                if let next = entry.nextAttemptAt, entry.state == .failed {
                    line += ", next attempt \(PlanText.timestamp(next))"
                }
                if let error = entry.lastError, entry.state != .succeeded { line += ", last error: \(error)" }
                Terminal.out(line.terminalSafe)
                let names = try store.names(pipeline: pipeline, sha256: entry.sha256)
                if names.count > 1 {
                    Terminal.out("            seen as: \(names.joined(separator: ", "))".terminalSafe)
                }
            }
        }
    }
}

extension LedgerCommand {
    /// A ledger row and every path its content was seen under, for `--output json`. A path
    /// that is not UTF-8 shows its bytes as `\xe9`, and has them exactly, base64, in
    /// `path_bytes` (`succeeded_path_bytes`, `names_bytes`).
    struct Row: Encodable {
        var entry: LedgerEntry
        var names: [String]

        func encode(to encoder: any Encoder) throws {
            var shown = entry
            shown.path = entry.path.jsonDisplay
            shown.succeededPath = entry.succeededPath?.jsonDisplay
            try shown.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(names.map(\.jsonDisplay), forKey: .names)
            try container.encodeIfPresent(entry.path.base64Bytes, forKey: .pathBytes)
            try container.encodeIfPresent(entry.succeededPath?.base64Bytes, forKey: .succeededPathBytes)
            if names.contains(where: \.hasRawBytes) {
                try container.encode(names.map(\.base64Bytes), forKey: .namesBytes)
            }
        }

        enum Key: String, CodingKey { case names, pathBytes, succeededPathBytes, namesBytes }
    }
}

/// `orchestrator retry PIPELINE [SHA|PATH]`: run failed or quarantined contents again.
struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Make failed or quarantined contents due now, with their attempts reset.",
        discussion:
            "The next reconcile runs them. Exit codes: 0 at least one content made due; 1 none matched or error; 64 bad usage."
    )

    @OptionGroup var state: StateOptions

    @Argument(help: "The pipeline's name.")
    var pipeline: String

    @Argument(
        help:
            "One content: its SHA-256 (or a unique prefix), or the path it was last seen under. All failed and quarantined contents when omitted."
    )
    var content: String?

    func run() throws {
        let store = try state.openStore()
        let sha = try content.map { try resolveContent($0, pipeline: pipeline, store: store) }
        let count = try store.retry(pipeline: pipeline, sha256: sha, at: Date())
        Terminal.out("\(count) content\(count == 1 ? "" : "s") of \(pipeline) will run at the next reconcile.")
        if count == 0 { throw ExitCode.failure }
    }
}

/// `orchestrator forget PIPELINE SHA`: let a content be processed again.
struct ForgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Remove a content from a pipeline's ledger, so that it is processed again when seen.",
        discussion: "Exit codes: 0 forgotten; 1 unknown content or error; 64 bad usage."
    )

    @OptionGroup var state: StateOptions

    @Argument(help: "The pipeline's name.")
    var pipeline: String

    @Argument(help: "The content's SHA-256 (or a unique prefix), or the path it was last seen under.")
    var content: String

    func run() throws {
        let store = try state.openStore()
        let sha = try resolveContent(content, pipeline: pipeline, store: store)
        guard try store.forget(pipeline: pipeline, sha256: sha) else {
            Terminal.err("error: \(sha.prefix(12)) is running now; forget it once the run is over")
            throw ExitCode.failure
        }
        Terminal.out("Forgot \(sha.prefix(12)) in \(pipeline): it will be processed again when seen.")
    }
}

/// The SHA-256 of a content named by a hash prefix or by the path it was last seen under.
func resolveContent(_ reference: String, pipeline: String, store: any StateStore) throws -> String {
    let entries = try store.ledger(pipeline: pipeline).values
    // A path that is not UTF-8 can be named as shown (`r\xe9sum\xe9.csv`).
    let matches = entries.filter {
        $0.sha256.hasPrefix(reference.lowercased()) || $0.path == reference || $0.path.jsonDisplay == reference
    }
    guard matches.count == 1 else {
        Terminal.err(
            "error: \(matches.isEmpty ? "no content" : "\(matches.count) contents") of \(pipeline) match \"\(reference.terminalSafe)\""
        )
        throw ExitCode.failure
    }
    return matches[0].sha256
}
