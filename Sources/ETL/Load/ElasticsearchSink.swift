import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// Elasticsearch's `_bulk` API (NDJSON), with basic auth, https with a CA file, and retries with
/// backoff on 429, 502, 503 and 504. Per-document errors are counted and their first reasons kept.
/// The password is only ever put in the Authorization header, never in a message.
public final class ElasticsearchSink: BulkSink {
    private let client: HTTPClient
    private let base: String
    private let authorization: String?
    private let retries: Int

    public init(url: String, user: String, password: String, cafile: String?, retries: Int = 5) throws(ETLError) {
        var configuration = HTTPClient.Configuration()
        if let cafile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(cafile)
            configuration.tlsConfiguration = tls
        }
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(120))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        base = url.hasSuffix("/") ? String(url.dropLast()) : url
        authorization = user.isEmpty ? nil : "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        self.retries = retries
    }

    public func recreate(index: String, body: Data?) async throws {
        _ = try await request(.DELETE, "/\(index)", body: nil, contentType: nil, accept: [200, 404])
        _ = try await request(
            .PUT,
            "/\(index)",
            body: body.map { [UInt8]($0) } ?? Array("{}".utf8),
            contentType: "application/json",
            accept: [200]
        )
    }

    public func send(_ body: [UInt8], count: Int) async throws -> BulkResult {
        let response = try await request(
            .POST,
            "/_bulk",
            body: body,
            contentType: "application/x-ndjson",
            accept: [200]
        )
        guard let object = try? JSONSerialization.jsonObject(with: Data(response)) as? [String: Any] else {
            throw ETLError.sink("\(base)/_bulk: the answer is not JSON")
        }
        guard object["errors"] as? Bool == true, let items = object["items"] as? [[String: Any]] else {
            return BulkResult()
        }
        var result = BulkResult()
        for item in items {
            guard let outcome = item.values.first as? [String: Any], let error = outcome["error"] else { continue }
            result.failed += 1
            if result.reasons.count < 5 {
                if let error = error as? [String: Any] {
                    result.reasons.append("\(error["type"] ?? "error"): \(error["reason"] ?? "")")
                } else {
                    result.reasons.append("\(error)")
                }
            }
        }
        return result
    }

    public func close() async throws {
        try await client.shutdown()
    }

    private func request(
        _ method: HTTPMethod,
        _ path: String,
        body: [UInt8]?,
        contentType: String?,
        accept: Set<UInt>
    ) async throws -> [UInt8] {
        var attempt = 0
        while true {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            if let authorization { request.headers.add(name: "Authorization", value: authorization) }
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, timeout: .seconds(120))
            } catch {
                throw ETLError.sink("cannot reach Elasticsearch at \(base): \(ElasticsearchSink.describe(error))")
            }
            let bytes = try await response.body.collect(upTo: 256 << 20)
            let status = response.status.code
            if accept.contains(status) { return Array(buffer: bytes) }
            if [429, 502, 503, 504].contains(status), attempt < retries {
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int64(200 * (1 << attempt)) + Int64.random(in: 0...100)))
                continue
            }
            let text = String(buffer: bytes).prefix(300)
            throw ETLError.sink(
                "\(method.rawValue) \(base)\(path): HTTP \(status)\(status == 401 ? " (check elasticsearch_user and elasticsearch_password)" : ""): \(text)"
            )
        }
    }

    private static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the server's certificate is not trusted (set cafile in config.json or elasticsearch_cafile): "
                + text
        }
        return text
    }
}
