import ArgumentParser
import Foundation
import HTTPServer
import Logging
import Model
import Reconciler
import ServiceLifecycle
import WebConsole

/// `orchestrator run`: the daemon.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run continuously: watch the folders and the manifests, process each new content once.",
        discussion: """
            At start, claims left by a dead orchestrator are recovered and the files that arrived \
            meanwhile are processed. inotify events (close after write, renames in, new folders), \
            settle and retry timers and a periodic full rescan trigger checks; a lost event only \
            delays a file until the next rescan. Manifests are re-read when they change: pipelines \
            start, restart with their new spec or stop without a restart of the daemon; an invalid \
            manifest keeps its last applied spec running. SIGTERM/SIGINT: intake stops, running \
            jobs get --drain seconds to finish, then are killed and left retryable. SIGHUP re-reads all. \
            HTTP on --listen: /healthz, /readyz, /metrics (Prometheus), and the web console (/) with \
            its API (/api/v1, described at /api/v1/openapi.json) for users made with `orchestrator users add`. \
            Exit codes: 0 stopped by a signal; 1 could not start; 64 bad usage.
            """
    )

    @OptionGroup var state: StateOptions

    @Option(help: "Jobs running at once, all pipelines together (each pipeline also keeps to its run.concurrency).")
    var maxJobs = 4

    @Option(
        help:
            "Seconds running jobs may take to finish after SIGTERM or SIGINT before they are killed (then --kill-grace applies)."
    )
    var drain = 30

    @Option(help: "Seconds a timed-out run may take to exit after SIGTERM before SIGKILL.")
    var killGrace = 10

    @Option(help: "Seconds between full rescans of every folder (jittered by 10%).")
    var rescanInterval = 300

    @Option(help: "Seconds a file seen open for writing may stay unclosed before it is taken anyway.")
    var openWriterBound = 3600

    @Option(help: "Seconds between polls of a folder inotify cannot watch (the watch limit was reached).")
    var fallbackPoll = 10

    @Option(
        help:
            "HOST:PORT for /healthz, /readyz and /metrics ([::1]:PORT for IPv6; port 0 picks one), or off. A failed bind stops the daemon."
    )
    var listen = "127.0.0.1:9090"

    @Option(
        help:
            "Seconds a claim holds without renewal: a run renews it every third of it; when a replica dies or freezes, another takes its contents over after this long."
    )
    var lease = 60

    @Option(help: "The largest file the console accepts for upload, in MiB.")
    var uploadLimit = 1024

    @Flag(help: "Mark the console's session cookie Secure: set it when the console is reached over TLS (a TLS proxy).")
    var secureCookies = false

    @Option(
        help:
            "An IP address of a reverse proxy whose identity header the console believes (repeat for several; none by default)."
    )
    var trustProxy: [String] = []

    @Option(help: "The header in which a trusted proxy names the signed-in user (an existing console user).")
    var identityHeader = "X-Forwarded-User"

    @Flag(help: "Let an empty pipelines folder delete every applied pipeline (refused otherwise, as a likely mistake).")
    var allowEmpty = false

    @Option(help: "Log format: text, or json (one object per line).")
    var logFormat: LogFormat = .text

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        if maxJobs < 1 { throw ValidationError("--max-jobs must be at least 1.") }
        if listen != "off", Run.hostAndPort(listen) == nil {
            throw ValidationError("--listen takes HOST:PORT, [IPv6]:PORT or off, not \(listen).")
        }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("unknown --log-level \(logLevel).") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let format = logFormat
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                format == .json
                ? JSONLogHandler(label: label)
                : TerminalSafeLogHandler(wrapped: StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "orchestrator")
        let registry = HealthServer.bootstrapMetrics(help: DaemonMetrics.help)
        guard FileManager.default.fileExists(atPath: state.pipelines) else {
            logger.critical("\(ManifestDirectory.LoadError.notFound(state.pipelines))")
            throw ExitCode.failure
        }
        let store = try state.openStore()
        let executor = Executor(
            logDirectory: state.localDirectory + "/logs",
            grace: .seconds(killGrace),
            shim: Executor.installedShim()
        )
        if executor.shim == nil {
            logger.warning(
                "orchestrator-shim is not installed beside orchestrator: a run that ends while the daemon is down will run again"
            )
        }
        let options = DaemonOptions(
            pipelines: state.pipelines,
            maxJobs: maxJobs,
            drain: .seconds(drain),
            rescanInterval: .seconds(rescanInterval),
            openWriterBound: .seconds(openWriterBound),
            fallbackPoll: .seconds(fallbackPoll),
            allowEmpty: allowEmpty,
            lease: TimeInterval(lease)
        )
        let daemon: Daemon
        do {
            daemon = try Daemon(options: options, store: store, executor: executor, logger: logger)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode.failure
        }
        // The HTTP side failing (the port taken, an address not on this host) stops the daemon
        // with the error: a daemon nobody can probe is not one to leave running. Intake stops
        // gracefully, as on SIGTERM.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let (host, port) = Run.hostAndPort(listen) {
            let console = try Console(
                store: store,
                pipelinesFolder: state.pipelines,
                uploadLimit: Int64(uploadLimit) << 20,
                secureCookies: secureCookies,
                trustedProxies: trustProxy,
                identityHeader: identityHeader,
                pipelinesEdited: { await daemon.pipelinesEdited() },
                ledgerChanged: { await daemon.lookAgain($0) }
            )
            services.append(
                .init(
                    service: HealthServer.service(
                        host: host,
                        port: port,
                        registry: registry,
                        ready: { daemon.isReady },
                        logger: logger,
                        routes: console.register
                    ),
                    failureTerminationBehavior: .gracefullyShutdownGroup,
                    serviceName: "HTTP on \(listen)"
                )
            )
        }
        services.append(.init(service: daemon))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            logger.critical("stopped: cannot serve HTTP on \(listen) (--listen HOST:PORT, or --listen off): \(error)")
            throw ExitCode.failure
        }
    }

    /// `HOST:PORT`, where an IPv6 host is written in brackets (`[::1]:9090`), as in URLs.
    static func hostAndPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            return nil
        }
        return host.isEmpty ? nil : (host, port)
    }
}
