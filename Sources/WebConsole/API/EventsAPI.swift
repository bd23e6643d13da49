import Foundation
import Hummingbird
import NIOCore
import Reconciler

extension Console {
    /// `GET /api/v1/events`: Server-Sent Events. An `pipelines` event carries every pipeline's
    /// summary whenever one changes (looked at twice a second); a comment every 15 s keeps
    /// proxies from closing an idle stream. Pages re-render from it without reloading.
    func registerEvents(on router: Router<BasicRequestContext>) {
        router.get("api/v1/events") { request, _ -> Response in
            _ = try await caller(request, may: .read, what: "read")
            let live = self.live
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    var last: [PipelineSummary]?
                    var quiet = 0
                    while !Task.isCancelled {
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
                        try await Task.sleep(for: .milliseconds(500))
                    }
                    try await writer.finish(nil)
                }
            )
        }
    }
}
