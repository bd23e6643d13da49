import Foundation

/// Blocking work (folder walks, hashing, store calls, semaphores) awaited from async code: it
/// runs on a thread of `Blocking`'s own, so that it never holds a thread of the cooperative pool,
/// which has one thread per core and also runs the runs' tasks, their timers and the HTTP server.
public enum Blocking {
    /// Runs `work` on a blocking thread and returns its result (work that cannot fail needs no `try`).
    /// Called from an actor, it hands `work` over from the actor's own executor and resumes there,
    /// with no hop through the cooperative pool on either side.
    public static func run<T: Sendable, E: Error>(
        _ work: @escaping @Sendable () throws(E) -> T,
        isolation: isolated (any Actor)? = #isolation
    ) async throws(E) -> T {
        let result = await withCheckedContinuation(isolation: isolation) {
            (continuation: CheckedContinuation<Result<T, E>, Never>) in
            BlockingThreads.shared.submit { continuation.resume(returning: Result { () throws(E) -> T in try work() }) }
        }
        return try result.get()
    }
}

/// The threads behind `Blocking.run`: a thread is started whenever more jobs wait than threads
/// are idle, so that no job waits behind another that blocks (a store call behind a long folder
/// walk), and a thread idle for a minute ends. A thread per call would cost its creation on
/// every store call of every run.
final class BlockingThreads: @unchecked Sendable {
    static let shared = BlockingThreads()

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var idle = 0

    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        defer { condition.unlock() }
        jobs.append(job)
        if jobs.count > idle {
            let thread = Thread { [self] in work() }
            thread.name = "blocking"
            thread.start()
        } else {
            condition.signal()
        }
    }

    private func work() {
        condition.lock()
        while true {
            while jobs.isEmpty {
                idle += 1
                let signalled = condition.wait(until: Date().addingTimeInterval(60))
                idle -= 1
                if !signalled, jobs.isEmpty {
                    condition.unlock()
                    return
                }
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
            condition.lock()
        }
    }
}
