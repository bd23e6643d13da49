import CProcess
import Foundation
import Glibc

/// A serial executor with a thread of its own: the controller's work — folder walks, hashing,
/// store calls that wait on their database — blocks, so it must hold neither a thread of the
/// cooperative pool nor an event loop (a store that waits on a NIO future must not wait on one).
///
/// While it has no job, the thread waits in `poll` on the descriptors it was asked to watch
/// (inotify) as well as on its own wake-up: an event is read and handled on this very thread,
/// with no hand-over from a reader thread through the cooperative pool (each hand-over is a
/// thread wake-up, a good part of a file's close-to-start latency).
final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    private let lock = NSLock()
    private var jobs: [UnownedJob] = []
    /// The thread sleeps in `poll`: the next job must wake it through `wakeDescriptor`.
    private var sleeping = false
    private let wakeDescriptor: Int32
    private var sources: [Int32: @Sendable () -> Void] = [:]
    private var thread: pthread_t?

    init(name: String) {
        wakeDescriptor = cprocess_eventfd()
        let thread = Thread { [unowned self] in
            lock.withLock { self.thread = pthread_self() }
            self.loop()
        }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let wake = lock.withLock { () -> Bool in
            jobs.append(unowned)
            defer { sleeping = false }
            return sleeping
        }
        if wake { signal() }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    /// Lets `assumeIsolated` accept code that runs on this thread outside a job: a `watch`
    /// handler, which runs between jobs, never beside one.
    func checkIsolated() {
        let current = pthread_self()
        precondition(lock.withLock { thread.map { pthread_equal($0, current) != 0 } ?? false }, "not on \(self)")
    }

    /// Calls `handler` on this executor's thread, between its jobs, whenever `descriptor` is
    /// readable, until `unwatch`. The handler must read what made it readable.
    func watch(_ descriptor: Int32, handler: @escaping @Sendable () -> Void) {
        lock.withLock { sources[descriptor] = handler }
        signal()
    }

    func unwatch(_ descriptor: Int32) {
        lock.withLock { sources[descriptor] = nil }
        signal()
    }

    private func signal() {
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, 8)
    }

    private func loop() {
        while true {
            let (batch, watched) = lock.withLock { () -> ([UnownedJob], [Int32: @Sendable () -> Void]) in
                let batch = jobs
                jobs.removeAll(keepingCapacity: true)
                sleeping = batch.isEmpty
                return (batch, sources)
            }
            if !batch.isEmpty {
                for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
                continue
            }
            var descriptors = [pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)]
            descriptors += watched.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&descriptors, nfds_t(descriptors.count), -1) > 0 else { continue }
            lock.withLock { sleeping = false }
            if descriptors[0].revents != 0 {
                var count: UInt64 = 0
                _ = read(wakeDescriptor, &count, 8)
            }
            for entry in descriptors.dropFirst() where entry.revents != 0 {
                // Unwatched meanwhile: its owner no longer wants its events.
                if let handler = lock.withLock({ sources[entry.fd] }) { handler() }
            }
        }
    }
}
