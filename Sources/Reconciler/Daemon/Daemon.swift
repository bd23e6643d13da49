import Foundation
import Logging
import Model
import ServiceLifecycle
import UnixSignals

/// `orchestrator run`: the continuous, level-triggered reconcile loop, as a service of
/// swift-service-lifecycle (SIGTERM and SIGINT start a graceful shutdown; SIGHUP re-reads all).
///
/// At start it recovers what a dead orchestrator left and processes the backlog. Then inotify
/// events, the settle and retry timers, and a periodic full rescan wake the loop; each wake
/// checks what is due. On shutdown, intake stops, running jobs get `drain` to finish, then they
/// are killed and left retryable.
public final class Daemon: Service, Sendable {
    private let controller: Controller
    private let store: any StateStore
    private let wake: Wake
    private let options: DaemonOptions
    private let logger: Logger
    private let stopping = Flag()

    public init(options: DaemonOptions, store: any StateStore, executor: Executor, logger: Logger) throws {
        let inotify = try Inotify()
        self.store = store
        wake = Wake()
        self.options = options
        self.logger = logger
        controller = Controller(
            options: options,
            store: store,
            applier: Applier(store: store, executor: executor, lease: options.lease),
            inotify: inotify,
            wake: wake,
            logger: logger
        )
    }

    /// Whether the daemon has planned its start-up backlog, is not stopping, and its store
    /// answers (for `/readyz`). Read without waiting for the controller, which may be busy
    /// with a long folder walk or a store call: a probe must answer at once.
    public var isReady: Bool { controller.isReady.isSet && !stopping.isSet && store.isAvailable }

    /// Applies a change to the database pipelines at once (the console made it).
    public func pipelinesEdited() async {
        await controller.pipelinesEdited()
        wake.signal()
    }

    /// Looks at a pipeline's folder at once: its ledger was changed by the console (retry, forget).
    public func lookAgain(_ pipeline: String) async {
        await controller.lookAgain(pipeline)
        wake.signal()
    }

    public func run() async throws {
        try await controller.start()
        logger.info("running", metadata: ["pipelines": "\(options.pipelines)", "max-jobs": "\(options.maxJobs)"])
        // Cancellation (another service of the group failed) stops the loop as a graceful
        // shutdown does: a loop that waited on nothing else would never end.
        await withTaskCancellationHandler {
            await loop()
        } onCancel: { [stopping, wake] in
            stopping.set()
            wake.signal()
        }
        logger.info("stopped")
    }

    private func loop() async {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [controller] in
                    for await _ in await UnixSignalsSequence(trapping: .sighup) { await controller.hangUp() }
                }
                if let notifying = store as? any StateNotifying {
                    group.addTask { [controller, wake] in
                        for await notice in notifying.notices() {
                            await controller.noticed(notice)
                            wake.signal()
                        }
                    }
                }
                while !stopping.isSet {
                    await wake.wait(timeout: await controller.timeUntilDue())
                    if stopping.isSet { break }
                    await controller.tick()
                }
                await drain()
                await controller.stopEvents()
                group.cancelAll()
            }
        } onGracefulShutdown: { [stopping, wake] in
            stopping.set()
            wake.signal()
        }
    }

    /// Lets running jobs finish within the drain time, then kills them (they stay retryable).
    private func drain() async {
        await controller.stopIntake()
        let deadline = ContinuousClock.now + options.drain
        var running = await controller.runningCount
        if running > 0 {
            logger.info(
                "stopping: waiting for running jobs",
                metadata: ["running": "\(running)", "drain": "\(options.drain)"]
            )
        }
        while running > 0, ContinuousClock.now < deadline {
            await wake.wait(timeout: min(.milliseconds(200), deadline - ContinuousClock.now))
            running = await controller.runningCount
        }
        if running > 0 {
            logger.warning(
                "drain time over: killing running jobs; they will run again",
                metadata: ["running": "\(running)"]
            )
            await controller.cancelRunning()
        }
    }
}

/// Set once, read from anywhere: whether shutdown has begun, whether start-up is done.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
