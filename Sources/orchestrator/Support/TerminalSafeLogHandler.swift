import Logging
import Model

/// Wraps a text log handler so that file names and other text from outside reach the log as
/// visible escapes, never as control sequences a terminal or `journalctl` would obey.
struct TerminalSafeLogHandler: LogHandler {
    var wrapped: any LogHandler

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var safe = event
        safe.message = "\(event.message.description.terminalSafe)"
        safe.metadata = event.metadata?.mapValues { .string("\($0)".terminalSafe) }
        wrapped.log(event: safe)
    }
}
