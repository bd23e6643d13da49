import Foundation
import HTTPServer
import Hummingbird
import NIOCore
import Reconciler
import ServiceLifecycle

extension Console {
    /// `GET /api/v1/events`: Server-Sent Events. An `pipelines` event carries every pipeline's
    /// summary whenever one changes (looked at twice a second); a comment every 15 s keeps
    /// proxies from closing an idle stream. Pages re-render from it without reloading. A stream
    /// ends when the daemon shuts down (or after 10 minutes; browsers reconnect by themselves),
    /// so that an open page never holds up a graceful shutdown.
    func registerEvents(on router: Router<ServerContext>) {
        router.get("api/v1/events") { request, context -> Response in
            _ = try await caller(request, context, may: .read, what: "read")
            let live = self.live
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    var last: [PipelineSummary]?
                    var quiet = 0
                    let end = ContinuousClock.now + .seconds(600)
                    while !Task.isCancelled, !Task.isShuttingDownGracefully, ContinuousClock.now < end {
                        let now = try? await Blocking.run { try live.summaries() }
                        if let now, now != last {
                            last = now
                            quiet = 0
                            let data = (try? JSON.encoder.encode(now)) ?? Data("[]".utf8)
                            try await writer.write(
                                ByteBuffer(
                                    string: "event: pipelines\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
                                )
                            )
                        } else {
                            quiet += 1
                            if quiet >= 30 {
                                quiet = 0
                                try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                            }
                        }
                        try? await Task.sleep(for: .milliseconds(500))
                    }
                    try await writer.finish(nil)
                }
            )
        }
    }
}
