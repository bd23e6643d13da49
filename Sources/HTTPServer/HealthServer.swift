import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// The daemon's HTTP side: `/healthz` (the process answers), `/readyz` (manifests loaded and the
/// start-up backlog planned), `/metrics` (Prometheus text format).
public enum HealthServer {
    /// Routes every swift-metrics metric of the process to a Prometheus registry, and returns it.
    /// Call once, before anything records a metric. `help` describes metrics by name, for their
    /// `# HELP` lines.
    public static func bootstrapMetrics(help: [String: String] = [:]) -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        let buckets: [Duration] = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5),
            .seconds(15), .seconds(60), .seconds(300), .seconds(900), .seconds(3600),
        ]
        var fallback = PrometheusMetricsFactory(registry: registry)
        fallback.defaultDurationHistogramBuckets = buckets
        MetricsSystem.bootstrap(
            DescribedMetricsFactory(registry: registry, fallback: fallback, help: help, durationBuckets: buckets)
        )
        return registry
    }

    /// The HTTP service, to run in the daemon's service group. It logs the address it bound
    /// (port 0 picks a free one). `routes` adds more (the web console).
    public static func service(
        host: String,
        port: Int,
        registry: PrometheusCollectorRegistry,
        ready: @escaping @Sendable () async -> Bool,
        logger: Logger,
        routes: (Router<ServerContext>) -> Void = { _ in }
    ) -> some Service {
        let router = Router(context: ServerContext.self)
        routes(router)
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { _, _ -> Response in
            let isReady = await ready()
            return Response(
                status: isReady ? .ok : .serviceUnavailable,
                body: ResponseBody(byteBuffer: ByteBuffer(string: isReady ? "ready\n" : "not ready\n"))
            )
        }
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                logger.info("listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
            },
            logger: logger
        )
    }
}
