import Metrics

/// What the daemon counts, through swift-metrics: whichever backend the process bootstrapped
/// (Prometheus for `/metrics`) receives them; without one they cost nothing.
public enum DaemonMetrics {
    static func processed(_ pipeline: String) -> Counter {
        Counter(label: "orchestrator_files_processed_total", dimensions: [("pipeline", pipeline)])
    }
    static func failed(_ pipeline: String) -> Counter {
        Counter(label: "orchestrator_files_failed_total", dimensions: [("pipeline", pipeline)])
    }
    static func quarantined(_ pipeline: String) -> Counter {
        Counter(label: "orchestrator_files_quarantined_total", dimensions: [("pipeline", pipeline)])
    }
    static func runDuration(_ pipeline: String) -> Metrics.Timer {
        Metrics.Timer(
            label: "orchestrator_run_duration_seconds",
            dimensions: [("pipeline", pipeline)],
            preferredDisplayUnit: .seconds
        )
    }
    static let queueDepth = Gauge(label: "orchestrator_queue_depth")
    static let running = Gauge(label: "orchestrator_jobs_running")
    static let hashedBytes = Counter(label: "orchestrator_hashed_bytes_total")
    static let watchFallbacks = Counter(label: "orchestrator_watch_fallbacks_total")
    static let rescans = Counter(label: "orchestrator_rescans_total")
    static let overflows = Counter(label: "orchestrator_inotify_overflows_total")

    /// The `# HELP` text of every metric above, for the Prometheus exposition.
    public static let help: [String: String] = [
        "orchestrator_files_processed_total": "Contents whose run succeeded, by pipeline.",
        "orchestrator_files_failed_total": "Runs that failed (retried later, or quarantined), by pipeline.",
        "orchestrator_files_quarantined_total": "Contents quarantined after their last retry failed, by pipeline.",
        "orchestrator_run_duration_seconds": "How long runs took, from start to end, by pipeline.",
        "orchestrator_queue_depth": "Contents waiting for a job slot, all pipelines together.",
        "orchestrator_jobs_running": "Runs going on now.",
        "orchestrator_hashed_bytes_total": "Bytes of files hashed to know their content.",
        "orchestrator_watch_fallbacks_total": "Pipelines polled because no inotify watch was left.",
        "orchestrator_rescans_total": "Full rescans of every folder.",
        "orchestrator_inotify_overflows_total": "Times the kernel's inotify queue overflowed and events were lost.",
    ]

    /// Makes a pipeline's counters exist at zero from its start: a rate() over a counter that
    /// appears only with its first increment misses that increment.
    static func register(_ pipeline: String) {
        for counter in [processed(pipeline), failed(pipeline), quarantined(pipeline)] { counter.increment(by: 0) }
    }
}
