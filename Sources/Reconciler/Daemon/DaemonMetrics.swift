import Metrics

/// What the daemon counts, through swift-metrics: whichever backend the process bootstrapped
/// (Prometheus for `/metrics`) receives them; without one they cost nothing.
enum DaemonMetrics {
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
}
