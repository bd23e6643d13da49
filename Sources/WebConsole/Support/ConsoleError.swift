import Foundation
import Hummingbird
import Model
import Reconciler

/// A refusal, as the API returns it: a status and a JSON body `{"error": MESSAGE}`, plus the
/// located validation errors for a manifest that does not validate (422).
public struct ConsoleError: HTTPResponseError {
    public let status: HTTPResponse.Status
    public let message: String
    public let diagnostics: [Diagnostic]

    public init(_ status: HTTPResponse.Status, _ message: String, diagnostics: [Diagnostic] = []) {
        self.status = status
        self.message = message
        self.diagnostics = diagnostics
    }

    struct Body: Encodable {
        let error: String
        let diagnostics: [Diagnostic]?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSON.response(Body(error: message, diagnostics: diagnostics.isEmpty ? nil : diagnostics), status: status)
    }

    static let unauthorized = ConsoleError(.unauthorized, "sign in first")
    static func forbidden(_ what: String) -> ConsoleError { ConsoleError(.forbidden, "your role may not \(what)") }
    static func notFound(_ what: String) -> ConsoleError { ConsoleError(.notFound, what) }

    /// The catalog's refusal with the status that says why.
    init(_ error: CatalogError) {
        switch error {
        case .invalid(let diagnostics):
            self.init(.unprocessableContent, "the manifest is not valid", diagnostics: diagnostics)
        case .managedByGit: self.init(.conflict, error.description)
        case .store(.versionConflict): self.init(.conflict, error.description)
        case .store(.noSuchPipeline), .store(.noSuchVersion): self.init(.notFound, error.description)
        case .unavailable: self.init(.serviceUnavailable, error.description)
        }
    }
}

/// JSON bodies with the console's conventions: snake_case keys, ISO 8601 dates, sorted keys.
enum JSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// Decodes a request body of at most 2 MiB, or refuses with 400 and the reason.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: 2 << 20) } catch {
            throw ConsoleError(.contentTooLarge, "the request body is over 2 MiB")
        }
        do { return try decoder.decode(T.self, from: Data(buffer.readableBytesView)) } catch {
            throw ConsoleError(.badRequest, "the request body is not the JSON expected: \(error)")
        }
    }
}
